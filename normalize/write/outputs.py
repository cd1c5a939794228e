"""Writing a run's files into OUTDIR, all or nothing.

Every file is written under a temporary name (``.NAME.tmp-PID``) and renamed
into place only when the whole run has succeeded, so a failed or interrupted
run never leaves a half-written file under a final name. A rerun into the
same directory replaces the previous run's files.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any, Optional

from ..errors import Rejection, RunError

_orjson: Any  # (the module, or None)
try:
    import orjson as _orjson  # type: ignore[no-redef]
except ImportError:  # pragma: no cover - a dependency; json serves without it
    _orjson = None


def dumps(record: Any, built: frozenset = frozenset()) -> str:
    """One JSON line: UTF-8, deterministic, no NaN.

    The line is exactly what ``json.dumps(record, ensure_ascii=False,
    separators=(",", ":"), allow_nan=False)`` writes. orjson writes the same
    bytes several times faster (measured on every code point and on a million
    floats) for plain JSON values, and floats between 1e-4 and 1e16: below and
    above, Python writes an exponent ("1e-05") and orjson does not always
    ("0.00001"), and orjson writes NaN as null where Python refuses. So orjson
    takes the records made only of such values, and the json module the rest
    (and whatever orjson refuses, such as integers past 64 bits).

    ``built``: fields of the record (a dict) known to hold only strings and
    integers, as the lists of removed lines and artefacts do: not looked into.
    """
    line = _orjson_line(record, built)
    return line.decode("utf-8") if line is not None else _json_line(record)


def dumps_utf8(record: Any, built: frozenset = frozenset()) -> bytes:
    """``dumps(record, built).encode("utf-8")`` (strict: a lone surrogate raises,
    as writing it to a file would), without the trip through a str when orjson
    writes the line: it writes UTF-8 bytes, and a page's worth of text decoded
    and encoded again costs more than encoding it."""
    line = _orjson_line(record, built)
    return line if line is not None else _json_line(record).encode("utf-8")


def _orjson_line(record: Any, built: frozenset) -> Optional[bytes]:
    """orjson's line for ``record``, or None where it could differ from json's or refuses."""
    if _orjson is None:
        return None
    if not (all(_plain(v) for k, v in record.items() if k not in built) if built else _plain(record)):
        return None
    try:
        return _orjson.dumps(record)
    except TypeError:  # (an integer past 64 bits, a lone surrogate)
        return None


def _json_line(record: Any) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _plain(value: Any) -> bool:
    """Is ``value`` made of str (dict keys too), int, bool, None, lists, and
    floats that both encoders write alike (see :func:`dumps`)?"""
    kind = type(value)
    if kind in _SCALARS:
        return True
    if kind is float:
        return float_written_alike(value)
    if kind is dict:
        # the types of a dict's keys and values are taken in at once, and only
        # a dict holding more than scalars is looked into (a record's lists of
        # removed lines and artefacts are many small dicts)
        if not _STR.issuperset(map(type, value)):
            return False
        items = value.values()
    elif kind is list:
        items = value
    else:
        return False
    return _SCALARS.issuperset(map(type, items)) or all(map(_plain, items))


def float_written_alike(value: float) -> bool:
    """Do orjson and the json module write this float the same (see :func:`dumps`)?"""
    return value == 0.0 or 1e-4 <= abs(value) < 1e16  # (NaN fails both)


_SCALARS = frozenset((str, int, bool, type(None)))
_STR = frozenset((str,))


class OutputDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / f".write-test-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise RunError(f"cannot write to output directory {self.path}: {exc.strerror or exc}") from exc
        for stale in self.path.glob(".*.tmp-*"):  # left by a killed run
            try:
                stale.unlink()
            except OSError:
                pass
        self._pending: dict[str, Path] = {}

    def temp(self, name: str) -> Path:
        tmp = self.path / f".{name}.tmp-{os.getpid()}"
        self._pending[name] = tmp
        return tmp

    def open_text(self, name: str) -> IO[str]:
        return open(self.temp(name), "w", encoding="utf-8", newline="\n")

    def open_binary(self, name: str) -> IO[bytes]:
        # a large buffer: a document's line is several kilobytes, and each
        # would otherwise be a system call of its own
        return open(self.temp(name), "wb", buffering=1 << 20)

    def commit(self) -> None:
        """Move every temporary file to its final name."""
        for name, tmp in self._pending.items():
            os.replace(tmp, self.path / name)
        self._pending.clear()

    def abort(self) -> None:
        for tmp in self._pending.values():
            try:
                tmp.unlink()
            except OSError:
                pass
        self._pending.clear()


class JsonlWriter:
    """JSON lines into a binary file (``OutputDir.open_binary``), UTF-8."""

    def __init__(self, fh: IO[bytes]):
        self.fh = fh

    def write(self, record: dict | str | bytes) -> None:
        """Write a record, or its line (:func:`dumps`) made already, as text
        or as its UTF-8 bytes (a line a worker wrote: written as it is)."""
        if not isinstance(record, bytes):
            record = (record if isinstance(record, str) else dumps(record)).encode("utf-8")
        self.fh.write(record)
        self.fh.write(b"\n")

    def close(self) -> None:
        self.fh.close()


def write_rejection(writer: JsonlWriter, rejection: Rejection) -> None:
    writer.write(rejection.as_dict())
