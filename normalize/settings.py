"""Run settings: from flags, or from a TOML file given with ``--config``.

Every setting that can change the output is echoed into ``summary.json``;
settings that only change how fast the run goes (workers, engine) are not, so
that the same input and settings give byte-identical outputs.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Optional

from .errors import RunError
from .read.options import DEFAULT_MAX_DOC_BYTES, ReadOptions


# Settings that do not change what is written.
EXECUTION_ONLY = frozenset({"workers", "engine", "spark_master", "quiet", "verbose", "debug", "progress"})


@dataclass(frozen=True)
class Settings:
    text_field: str = "text"
    id_field: str = "id"
    max_doc_bytes: int = DEFAULT_MAX_DOC_BYTES
    output_format: str = "jsonl"  # or "parquet"
    corpus_repeats: bool = True  # the corpus-level pass that strips lines recurring across stories
    keep: Optional[str] = None  # dedup keep policy; None: the dedup stage's default
    threshold: Optional[float] = None  # dedup similarity threshold; None: default
    index: Optional[str] = None  # incremental dedup index path
    strict: bool = False
    report: bool = True  # write index.html and summary.md
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    engine: str = "local"
    spark_master: str = "local[*]"

    @property
    def read_options(self) -> ReadOptions:
        return ReadOptions(self.text_field, self.id_field, self.max_doc_bytes)

    def echo(self) -> dict[str, Any]:
        """The settings that shape the output, for summary.json."""
        return {k: v for k, v in asdict(self).items() if k not in EXECUTION_ONLY}

    def updated(self, **changes: Any) -> "Settings":
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise RunError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a TOML settings file; keys are setting names with - or _."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise RunError(f"cannot read config {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RunError(f"config {path} is not valid TOML: {exc}") from exc
    table = data.get("normalize", data)
    return {str(k).replace("-", "_"): v for k, v in table.items()}
