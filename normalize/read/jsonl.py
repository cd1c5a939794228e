"""JSON Lines inputs, plain or compressed with gzip or zstandard, or on stdin.

Lines are read as bytes with a length cap, so one enormous line cannot
exhaust memory, and decoded strictly per line: invalid UTF-8 in one record
rejects that record, not the file. A compressed stream that ends early is a
run-level error naming the file and the last good line, because the records
after it are lost and no count could account for them.
"""
from __future__ import annotations

import gzip
import io
import json
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator, Optional, Union

from ..document import Document, Source
from ..errors import Rejection, RunError
from .options import ReadOptions
from .records import record_to_document

_CHUNK = 1 << 20


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


def read_jsonl_stream(stream: BinaryIO, name: str, options: ReadOptions) -> Iterator[Union[Document, Rejection]]:
    last = 0
    try:
        for number, line, size in iter_lines(stream, options.max_doc_bytes):
            last = number
            if line is None:
                yield Rejection(name, number, None, f"line is {size} bytes, over the limit of {options.max_doc_bytes}")
                continue
            if not line.strip():
                continue  # blank lines are not records
            yield parse_line(line, name, number, options)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise RunError(f"{name} is truncated or corrupt after line {last}: {exc}") from exc
    except OSError as exc:
        raise RunError(f"cannot read {name} after line {last}: {exc}") from exc
    except Exception as exc:  # zstandard.ZstdError and kin
        if type(exc).__module__.startswith("zstandard"):
            raise RunError(f"{name} is truncated or corrupt after line {last}: {exc}") from exc
        raise


def parse_line(line: bytes, name: str, number: int, options: ReadOptions) -> Union[Document, Rejection]:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection(name, number, None, f"invalid UTF-8 at byte {exc.start}")
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return Rejection(name, number, None, f"malformed JSON: {exc.msg} at column {exc.colno}")
    # a lone surrogate can only come from an escape ("\ud800"): look for one only then
    return record_to_document(record, name, number, options,
                              check_unicode=b"\\ud" in line or b"\\uD" in line, size_at_most=len(line))


def read_jsonl(path: Path, options: ReadOptions) -> Iterator[Union[Document, Rejection]]:
    try:
        stream = open_jsonl(path)
    except OSError as exc:
        raise RunError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with stream:
        yield from read_jsonl_stream(stream, str(path), options)
