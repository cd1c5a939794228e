"""Cluster reports that wait on disk, in id order, until they are written.

A cluster's report lists its members with their similarity and the lines
they share: for a million news articles, half a gigabyte of
``clusters.jsonl``, and several times that as Python dicts. The reports are
made in two forked processes (see :meth:`~.cluster._Batch.report`), each for
half of the clusters, while the main process writes the documents. Sent back
whole through a pipe, they would all be held in the main process at the end
of the run, when it writes them. So each process makes its half in id order,
:data:`CHUNK` clusters at a time, and writes each chunk to an anonymous
temporary file (:func:`spool`; no name, so nothing is left if the run is
killed), and :class:`SpooledClusters` reads both back a chunk at a time,
merged by id: the same reports, in the same order, and no process holds
more than a chunk of them.
"""
from __future__ import annotations

import heapq
import pickle
import struct
import tempfile
from operator import itemgetter
from typing import IO, Iterable, Iterator

from ..engine.shelf import read_at

CHUNK = 512  # clusters made and pickled together: one pickle per report would cost more than it saves
_LENGTH = struct.Struct("<Q")


def spool_file() -> IO[bytes]:
    """An anonymous temporary file for one process's reports (made before it forks)."""
    return tempfile.TemporaryFile(prefix="normalize-reports-")


def spool(chunks: Iterable[list[dict]], file: IO[bytes]) -> int:
    """Write the reports of ``chunks`` (lists, in id order throughout) to
    ``file``, replacing what a failed attempt left there; returns how many.
    The order is checked: the merge relies on it."""
    file.seek(0)
    file.truncate()
    count, last = 0, ""
    for chunk in chunks:
        ids = [report["id"] for report in chunk]
        if ids and (ids[0] < last or any(a > b for a, b in zip(ids, ids[1:]))):
            raise ValueError("cluster reports spooled out of id order")
        data = pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)
        file.write(_LENGTH.pack(len(data)))
        file.write(data)
        count += len(chunk)
        last = ids[-1] if ids else last
    file.flush()
    return count


class SpooledClusters:
    """The reports of several :func:`spool` files, merged by id as they are
    iterated (as often as asked: each pass reads the files afresh)."""

    def __init__(self, files: list[IO[bytes]], counts: list[int]) -> None:
        self.files, self.count = files, sum(counts)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[dict]:
        return heapq.merge(*map(_read, self.files), key=itemgetter("id"))


def _read(file: IO[bytes]) -> Iterator[dict]:
    """The reports of one file, a chunk at a time; read at offsets of its own
    (:func:`~normalize.engine.shelf.read_at`), so that two passes over the
    same file, or a forked process writing it, do not meet."""
    offset = 0
    while header := read_at(file, offset, _LENGTH.size):
        (length,) = _LENGTH.unpack(header)
        yield from pickle.loads(read_at(file, offset + _LENGTH.size, length))
        offset += _LENGTH.size + length
