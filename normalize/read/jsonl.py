"""JSON Lines inputs, plain or compressed with gzip or zstandard, or on stdin.

Lines are read as bytes with a length cap, so one enormous line cannot
exhaust memory, and decoded strictly per line: invalid UTF-8 in one record
rejects that record, not the file. A compressed stream that ends early is a
run-level error naming the file and the last good line, because the records
after it are lost and no count could account for them.

A UTF-8 byte order mark opening a line is dropped: JSON Lines has none, but
editors and tools on Windows write one at the start of a file, and files
joined with ``cat`` carry it into the middle. It marks the encoding, holds no
data, and ``json`` would reject the record it stands before.
"""
from __future__ import annotations

import codecs
import gzip
import io
import json
import zlib
from pathlib import Path
from typing import Any, BinaryIO, Iterator, NamedTuple, Optional, Union

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - a declared dependency
    _orjson = None  # type: ignore[assignment]

from ..document import Document, Source
from ..errors import Rejection, RunError
from .names import shown
from .options import ReadOptions
from .records import record_to_document

_CHUNK = 1 << 20
_BOM = codecs.BOM_UTF8


def open_jsonl(path: Path) -> BinaryIO:
    """A binary stream of the decompressed bytes of ``path``."""
    name = path.name.lower()
    # a large buffer: records are a few kilobytes, and with the default one
    # most lines would cost a read of their own
    raw = open(path, "rb", buffering=_CHUNK)
    if name.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if name.endswith(".zst") or name.endswith(".zstd"):
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=True)
        return io.BufferedReader(reader, buffer_size=_CHUNK)  # type: ignore[arg-type]
    return raw


def iter_lines(stream: BinaryIO, limit: int) -> Iterator[tuple[int, Optional[bytes], int]]:
    """Yield ``(line_number, line_bytes, size)``; ``line_bytes`` is None when the
    line is longer than ``limit`` (the rest of it is skipped without keeping it)."""
    number = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            size = len(line)
            while True:  # drain the rest of the over-long line
                more = stream.readline(_CHUNK)
                size += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield number, None, size
            continue
        yield number, line, len(line)


class RawRecord(NamedTuple):
    """A JSON line as read, not yet parsed: :meth:`parse` makes it a Document
    (or a Rejection), as reading it would have.

    Parsing is a good part of what reading costs (tens of microseconds for a
    6 KB article, and the Document then has to be pickled to reach a worker),
    and a pool of workers can parse side by side where the process that reads
    would parse alone. So a reader asked for ``raw`` records yields these, and
    whoever runs the first stages parses them (see :class:`~normalize.pipeline.Pipeline`)."""

    file: str
    line: int
    data: bytes
    options: ReadOptions

    def parse(self) -> Union[Document, Rejection]:
        return parse_line(self.data, self.file, self.line, self.options)


def _as_utf8(stream: BinaryIO) -> BinaryIO:
    """``stream``, or for one that opens with a UTF-16 or UTF-32 byte order
    mark (JSON Lines saved by a Windows tool), its text as UTF-8: JSON Lines are
    UTF-8, and such a file's every line would be rejected as invalid UTF-8."""
    peek = getattr(stream, "peek", None)
    head = peek(4)[:4] if peek is not None else b""
    for bom, encoding in _WIDE_BOMS:  # (UTF-32's before UTF-16's: FF FE opens both)
        if head.startswith(bom):
            stream.read(len(bom))
            # (a byte pair that is no UTF-16 becomes U+FFFD, as in any damaged text)
            return codecs.EncodedFile(stream, "utf-8", encoding, errors="replace")  # type: ignore[return-value]
    return stream


_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
              (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def read_jsonl_stream(stream: BinaryIO, name: str, options: ReadOptions,
                      raw: bool = False) -> Iterator[Union[Document, Rejection, RawRecord]]:
    """The records of a JSON Lines stream, each parsed, or with ``raw`` as a
    :class:`RawRecord` (a line too long to read is rejected either way)."""
    last = 0
    try:
        for number, line, size in iter_lines(_as_utf8(stream), options.max_doc_bytes):
            last = number
            if line is None:
                yield Rejection(name, number, None, f"line is {size} bytes, over the limit of {options.max_doc_bytes}")
                continue
            if line.startswith(_BOM):
                line = line[len(_BOM):]
            if not line.strip():
                continue  # blank lines are not records
            yield RawRecord(name, number, line, options) if raw else parse_line(line, name, number, options)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise RunError(f"{name} is truncated or corrupt after line {last}: {exc}") from exc
    except OSError as exc:
        raise RunError(f"cannot read {name} after line {last}: {exc}") from exc
    except Exception as exc:  # zstandard.ZstdError and kin
        if type(exc).__module__.startswith("zstandard"):
            raise RunError(f"{name} is truncated or corrupt after line {last}: {exc}") from exc
        raise


def parse_line(line: bytes, name: str, number: int, options: ReadOptions) -> Union[Document, Rejection]:
    record = _strict_loads(line)
    if record is not _UNREAD:  # valid UTF-8 and JSON, and no lone surrogate in it
        return record_to_document(record, name, number, options, check_unicode=False, size_at_most=len(line))
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection(name, number, None, f"invalid UTF-8 at byte {exc.start}")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return Rejection(name, number, None, f"malformed JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return Rejection(name, number, None, "malformed JSON: nested too deeply")
    # a lone surrogate can only come from an escape ("\ud800"): look for one only then
    return record_to_document(record, name, number, options,
                              check_unicode=b"\\ud" in line or b"\\uD" in line, size_at_most=len(line))


_UNREAD = object()


def _strict_loads(line: bytes) -> Any:
    """The record of a JSON line, by orjson, or ``_UNREAD`` where it might differ
    from the standard library's ``json``, which then reads it.

    orjson reads the bytes as they are (no decoding first) at about twice the
    speed, and it is stricter: invalid UTF-8, a lone surrogate ("\\ud800"),
    NaN and the other inputs ``json`` rejects or reads leniently, it refuses,
    and ``json`` has the last word on those, with its messages. Where it reads
    a line, it reads it as ``json`` does, but for one thing: an integer beyond
    64 bits comes out a float. A record with any float is read again by ``json``
    (news records rarely hold one). Having read a line, it has also shown that
    no lone surrogate is in it: the scan for a "\\ud" escape in every line,
    which took as long as parsing it where the text was written in escapes, is
    left to the lines it refuses."""
    if _orjson is None:
        return _UNREAD
    try:
        record = _orjson.loads(line)
    except _orjson.JSONDecodeError:
        return _UNREAD
    return _UNREAD if _holds_float(record) else record


def _holds_float(value: Any) -> bool:
    stack = [value]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is float:
            return True
        if kind is dict:
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
    return False


def read_jsonl(path: Path, options: ReadOptions, raw: bool = False) -> Iterator[Union[Document, Rejection, RawRecord]]:
    try:
        stream = open_jsonl(path)
    except OSError as exc:
        raise RunError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with stream:
        yield from read_jsonl_stream(stream, shown(str(path)), options, raw)
