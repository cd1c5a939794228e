"""Disk spools that let a multi-pass run stream instead of holding the corpus.

The corpus-level passes (lines that recur across stories, near-duplicate
clusters) need to see every document before any can be written. Documents wait
in a :class:`DocumentSpool` on disk between passes, the cleaned texts in a
:class:`TextStore`, and the shingle sets the workers made in a
:class:`ShingleStore`: the clusterer reads them back by position to verify a
candidate pair and to report what copies share.
"""
from __future__ import annotations

import os
import pickle
from array import array
from typing import IO, Any, Iterator

import numpy as np

from ..document import Document


class DocumentSpool:
    """Pickled items (documents, documents a worker pickled, a document's name
    mentions) appended in order; read back in that order, as often as needed,
    once writing is done, or one by one (:meth:`at`)."""

    def __init__(self, directory: str, name: str):
        self.path = os.path.join(directory, name)
        self._fh: IO[bytes] | None = open(self.path, "wb")
        self._offsets = array("q", [0])
        self._read: IO[bytes] | None = None

    @property
    def count(self) -> int:
        return len(self._offsets) - 1

    def write(self, doc: Document | bytes | tuple) -> None:
        assert self._fh is not None
        pickle.dump(doc, self._fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._offsets.append(self._fh.tell())

    def at(self, k: int) -> Any:
        """The ``k``-th item written."""
        self.close()
        if self._read is None:
            self._read = _open_for_reads(self.path)
        start = self._offsets[k]
        return pickle.loads(_read_at(self._read, start, self._offsets[k + 1] - start))

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __iter__(self) -> Iterator[Any]:
        self.close()
        with open(self.path, "rb") as fh:
            for _ in range(self.count):
                yield pickle.load(fh)

    def remove(self) -> None:
        self.close()
        if self._read is not None:
            self._read.close()
            self._read = None
        if os.path.exists(self.path):
            os.remove(self.path)


class TextStore:
    """Append-only texts on disk, read back by position."""

    def __init__(self, directory: str, name: str = "texts.bin"):
        self.path = os.path.join(directory, name)
        self._write = open(self.path, "wb")
        self._read: IO[bytes] | None = None
        self._offsets = array("q", [0])

    def append(self, text: str) -> int:
        data = text.encode("utf-8", "surrogatepass")
        self._write.write(data)
        self._offsets.append(self._offsets[-1] + len(data))
        return len(self._offsets) - 2

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, position: int) -> str:
        if self._read is None:
            self._write.flush()
            self._read = _open_for_reads(self.path)
        start, end = self._offsets[position], self._offsets[position + 1]
        return _read_at(self._read, start, end - start).decode("utf-8", "surrogatepass")

    def close(self) -> None:
        self._write.close()
        if self._read is not None:
            self._read.close()


_PREAD = hasattr(os, "pread")


def _open_for_reads(path: str) -> IO[bytes]:
    # unbuffered for pread; buffered where seek + read stands in (a raw read may return short)
    return open(path, "rb", buffering=0 if _PREAD else -1)


def _read_at(fh: IO[bytes], start: int, size: int) -> bytes:
    """``size`` bytes at ``start``: one positioned read, with no seek, no buffer to
    copy through, and no file offset shared with a forked process (see
    engine/aside.py); seek and read where there is no pread (Windows, which does
    not fork either)."""
    if _PREAD:
        return os.pread(fh.fileno(), size, start)
    fh.seek(start)
    return fh.read(size)


class ShingleStore:
    """Append-only shingle sets on disk (32-bit hashes and the line of each),
    read back by position as the ``ShingleSet`` that was stored."""

    def __init__(self, directory: str, name: str = "shingles.bin"):
        self.path = os.path.join(directory, name)
        self._write = open(self.path, "wb")
        self._read: IO[bytes] | None = None
        self._offsets = array("q", [0])  # in shingles
        self._missing: set[int] = set()

    def append(self, shingles: np.ndarray | None) -> int:
        """Store a set; None (not known) is stored as such and read back as None."""
        from ..dedup.shingles import layout

        if shingles is None:
            self._missing.add(len(self._offsets) - 1)
            shingles = np.empty(0, dtype=np.uint32)
        hashes = np.asarray(shingles, dtype="<u4")
        lines = layout(shingles)
        if lines is None:
            lines = np.full(len(hashes), -1, dtype="<i4")
        self._write.write(hashes.tobytes())
        self._write.write(np.asarray(lines, dtype="<i4").tobytes())
        self._offsets.append(self._offsets[-1] + len(hashes))
        return len(self._offsets) - 2

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, position: int) -> np.ndarray | None:
        from ..dedup.shingles import ShingleSet

        if position in self._missing:
            return None
        if self._read is None:
            self._write.flush()
            self._read = _open_for_reads(self.path)
        start, end = self._offsets[position], self._offsets[position + 1]
        n = end - start
        # verification reads sets at random, hundreds of thousands of times at
        # 100k documents; each shingle: 4 bytes of hash, 4 of line
        data = _read_at(self._read, 8 * start, 8 * n)
        # views of the bytes read (read-only), not copies, on a little-endian machine
        hashes = np.frombuffer(data, dtype="<u4", count=n).astype(np.uint32, copy=False)
        lines = np.frombuffer(data, dtype="<i4", offset=4 * n, count=n).astype(np.int32, copy=False)
        return hashes if n and lines[0] < 0 else ShingleSet(hashes, lines)

    def close(self) -> None:
        self._write.close()
        if self._read is not None:
            self._read.close()
