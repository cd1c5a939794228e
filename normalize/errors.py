"""Errors that end a run, and the per-record rejections that do not.

A run-level problem (an input that cannot be opened, an output directory that
cannot be written) raises :class:`RunError`: the CLI prints its one-line message
and exits 1. A problem with one record never stops the run: the record becomes
a :class:`Rejection` in ``rejected.jsonl`` so that every input record is
accounted for.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


class RunError(Exception):
    """A problem that stops the whole run (exit code 1)."""


class StrictModeStop(RunError):
    """``--strict`` was given and a record was rejected (exit code 3)."""

    exit_code = 3


@dataclass
class Rejection:
    """An input record that could not be processed, and why."""

    file: str
    line: int
    id: Optional[str]
    reason: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "id": self.id, "reason": self.reason}
