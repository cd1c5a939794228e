"""Readers: turn INPUT arguments into a stream of Documents and Rejections.

An INPUT is a directory (every ``*.txt`` below it, id = relative path without
suffix), a ``.txt`` file, a ``.jsonl`` / ``.jsonl.gz`` / ``.jsonl.zst`` file, a
``.parquet`` file, or ``-`` for JSON Lines on standard input. Everything is
streamed: per-document memory does not grow with the corpus.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator, Optional, Union

from ..document import Document
from ..errors import Rejection, RunError
from .jsonl import RawRecord, read_jsonl, read_jsonl_stream
from .names import shown
from .options import ReadOptions
from .parquet import read_parquet
from .txt import read_txt, txt_files

__all__ = ["RawRecord", "ReadOptions", "read_inputs", "input_kind"]

log = logging.getLogger(__name__)

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".ndjson", ".json.gz", ".jsonl.zstd")


def input_kind(arg: str, default: Optional[str] = None) -> str:
    """What ``arg`` names: "stdin", "dir", "txt", "parquet" or "jsonl"; for
    any other file ``default``, or without one a RunError."""
    if arg == "-":
        return "stdin"
    path = Path(arg)
    if path.is_dir():
        return "dir"
    lower = path.name.lower()
    if lower.endswith(".txt"):
        return "txt"
    if lower.endswith(".parquet"):
        return "parquet"
    if lower.endswith(JSONL_SUFFIXES) or lower.endswith(".json"):
        return "jsonl"
    if default is not None:
        return default
    raise RunError(f"{arg}: unknown input type (expected a directory, .txt, .jsonl[.gz|.zst], .parquet or -)")


def check_inputs(inputs: Iterable[str]) -> None:
    """Fail fast, before any output is written, on inputs that do not exist."""
    for arg in inputs:
        if arg != "-" and not Path(arg).exists():
            raise RunError(f"{arg}: no such file or directory")
        input_kind(arg)


def read_inputs(
    inputs: Iterable[str], options: ReadOptions = ReadOptions(), stdin: Optional[BinaryIO] = None,
    raw: bool = False,
) -> Iterator[Union[Document, Rejection, RawRecord]]:
    """Every record of ``inputs`` in order. ``raw``: JSON lines come as
    :class:`~.jsonl.RawRecord`, to be parsed where the caller likes."""
    for arg in inputs:
        kind = input_kind(arg)
        if kind == "stdin":
            yield from read_jsonl_stream(stdin or sys.stdin.buffer, "<stdin>", options, raw)
        elif kind == "dir":
            root = Path(arg)
            paths = txt_files(root)
            if not paths:
                _say_what_the_folder_holds(root)
            for path in paths:
                yield from read_txt(path, shown(path.relative_to(root).with_suffix("").as_posix()), options)
        elif kind == "txt":
            path = Path(arg)
            yield from read_txt(path, shown(path.stem), options)
        elif kind == "parquet":
            yield from read_parquet(Path(arg), options)
        else:
            yield from read_jsonl(Path(arg), options, raw)


def _say_what_the_folder_holds(root: Path) -> None:
    """A folder is read for its .txt files only (a run's own outputs, JSON Lines,
    may lie in it). One that has none but holds JSON Lines or Parquet files was
    most likely meant to be read for those: say how, rather than read nothing
    without a word."""
    structured = sorted(p for p in root.rglob("*") if p.is_file() and input_kind(str(p), "") in ("jsonl", "parquet")
                        and not p.name.lower().endswith(".json"))
    if structured:
        example = shown(str(structured[0]))
        log.warning(f"{shown(str(root))} holds no .txt files; its {len(structured)} JSON Lines or Parquet "
                    f"file(s) are read when named, e.g. {example}")
