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
from typing import Any, Optional, get_args, get_type_hints

from .errors import RunError
from .read.names import shown
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
        return {k: shown(v) if isinstance(v, str) else v for k, v in asdict(self).items() if k not in EXECUTION_ONLY}

    def updated(self, **changes: Any) -> "Settings":
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise RunError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        changes = {k: v for k, v in changes.items() if v is not None}
        hints = get_type_hints(Settings)
        for name, value in changes.items():  # (a config file's values: the command line types its own)
            allowed = [t for t in get_args(hints[name]) or (hints[name],) if t is not type(None)]
            if not any(_is_a(value, t) for t in allowed):
                wanted = " or ".join(_WORDS.get(t, t.__name__) for t in allowed)
                raise RunError(f"setting '{name}' must be {wanted}, not {value!r}")
        if changes.get("max_doc_bytes", 1) < 1:
            raise RunError(f"setting 'max_doc_bytes' must be at least 1, not {changes['max_doc_bytes']!r}")
        return replace(self, **changes)


_WORDS = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}


def _is_a(value: Any, kind: type) -> bool:
    if isinstance(value, bool):  # (True is an int to Python, not to a settings file)
        return kind is bool
    if kind is float:
        return isinstance(value, (int, float))
    return isinstance(value, kind)


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
