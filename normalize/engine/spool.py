"""Disk spools that let a multi-pass run stream instead of holding the corpus.

The corpus-level passes (lines that recur across stories, near-duplicate
clusters) need to see every document before any can be written. What waits
for them waits on disk: items the main process keeps in order (a
:class:`DocumentSpool`), the cleaned texts (a :class:`TextStore`) and the
shingle sets the workers made (a :class:`ShingleStore`), both kept where they
were made (:mod:`.shelf`): the clusterer reads them back by position to verify
a candidate pair and to report what copies share.
"""
from __future__ import annotations

import os
import pickle
import sys
from array import array
from typing import IO, Any, Iterator

import numpy as np

from ..document import Document
from .shelf import Addresses, Shelf, Shelved, mapped_words, open_for_reads, read_at, read


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
        self.write_pickled(pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL))

    def write_pickled(self, data: bytes) -> None:
        """Append an item pickled already (elsewhere: a worker)."""
        assert self._fh is not None
        self._fh.write(data)
        self._offsets.append(self._offsets[-1] + len(data))  # (a tell() would be a system call)

    def at(self, k: int) -> Any:
        """The ``k``-th item written."""
        self.close()
        if self._read is None:
            self._read = open_for_reads(self.path)
        start = self._offsets[k]
        return pickle.loads(read_at(self._read, start, self._offsets[k + 1] - start))

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
    """Texts put on a :class:`~.shelf.Shelf` (:func:`encode_text`), added by
    address (:meth:`add`) and read back by position."""

    def __init__(self, directory: str) -> None:
        self.shelf = Shelf(directory)
        self.addresses = Addresses()

    def add(self, address: Shelved) -> int:
        return self.addresses.append(address)

    def __len__(self) -> int:
        return len(self.addresses)

    def __getitem__(self, position: int) -> str:
        return read(self.addresses[position]).decode("utf-8", "surrogatepass")


def encode_text(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


class ShingleStore:
    """Shingle sets (32-bit hashes and the line of each) on a
    :class:`~.shelf.Shelf` of their own kind (:data:`SETS`), read back by
    position as the ``ShingleSet`` that was stored, or viewed where they are:
    appended here, or put on a worker's shelf (:func:`shingle_bytes`, aligned
    to :data:`SHINGLE_ALIGN`) and added by address."""

    def __init__(self, directory: str) -> None:
        self.shelf = Shelf(directory, SETS)
        self.addresses = Addresses()

    def append(self, shingles: np.ndarray | None) -> int:
        """Store a set; None (not known) is stored as such and read back as None."""
        return self.add(None if shingles is None else self.shelf.put(shingle_bytes(shingles), align=SHINGLE_ALIGN))

    def add(self, address: Shelved | None) -> int:
        return self.addresses.append(address)

    def __len__(self) -> int:
        return len(self.addresses)

    def __getitem__(self, position: int) -> np.ndarray | None:
        address = self.addresses[position]
        # verification reads sets at random, hundreds of thousands of times at 100k documents
        return None if address is None else shingles_from_bytes(read(address))

    def read_hashes(self, position: int) -> np.ndarray | None:
        """The shingle hashes alone of the set at ``position`` (the first half of
        what was stored), read, not viewed: for a pass over every set that keeps
        none of them (a mapping would count the whole file in this process's
        resident size)."""
        address = self.addresses[position]
        if address is None:
            return None
        path, offset, size = address
        return np.frombuffer(read(Shelved(path, offset, size // 2)), _HASHES)

    def hashes(self, positions: list[int]) -> list[np.ndarray] | None:
        """The shingle hashes alone of the sets at ``positions``, viewed where they
        are stored (:func:`.shelf.words`): what a candidate pair's first check
        needs (most candidates are no copies, and their sets' other half, the
        lines, is never looked at). None if some set cannot be viewed (not
        known, or not put aligned)."""
        return self._views(positions, 8)

    def laid_out(self, positions: list[int]) -> list[np.ndarray] | None:
        """The sets at ``positions`` as ``[]`` reads them (hashes and lines),
        viewed where they are stored, as :meth:`hashes` views the hashes: for
        the candidate pairs that may be partial copies, whose lines are
        compared. None if some set cannot be viewed (then neither can its hashes)."""
        views = self._views(positions, 4)
        return None if views is None else list(map(shingles_from_bytes, views))

    def _views(self, positions: list[int], per_word: int) -> list[np.ndarray] | None:
        """Views of the stored 32-bit words of the sets at ``positions``: of the
        first ``4 / per_word`` of each (8: the hashes alone; 4: all of it)."""
        files, offsets, sizes = self.addresses.columns(positions)
        if not _LITTLE_ENDIAN or (files < 0).any() or ((offsets | sizes) % SHINGLE_ALIGN).any():
            return None
        # (thousands of candidates at a time: no address made, no call, per set)
        starts = offsets // 4
        ends = starts + sizes // per_word
        maps = {int(f): mapped_words(self.addresses.path(int(f)), int(4 * ends[files == f].max()))
                for f in np.unique(files)}
        return [maps[f][start:end] for f, start, end in zip(files.tolist(), starts.tolist(), ends.tolist())]

    def close(self) -> None:
        """Close this process's files of the directory (the shelf's, see :meth:`.shelf.Shelf.close`)."""
        self.shelf.close()


# Sets are put on shelves of their own kind (see .shelf.Shelf), at offsets that
# are a multiple of SHINGLE_ALIGN: viewed in place as 32-bit numbers.
SETS = "sets"
SHINGLE_ALIGN = 4


def shingle_bytes(shingles: np.ndarray) -> bytes:
    """A shingle set as stored: each shingle's 4 bytes of hash, then each one's
    4 bytes of line (-1 for a set without a layout)."""
    from ..dedup.shingles import layout

    hashes = np.asarray(shingles, dtype="<u4")
    lines = layout(shingles)
    if lines is None:
        lines = np.full(len(hashes), -1, dtype="<i4")
    return hashes.tobytes() + np.asarray(lines, dtype="<i4").tobytes()


_LITTLE_ENDIAN = sys.byteorder == "little"
_HASHES, _LINES = np.dtype("<u4"), np.dtype("<i4")
_ShingleSet: Any = None  # normalize.dedup.shingles.ShingleSet, once shingles_from_bytes has imported it


def shingles_from_bytes(data: bytes | np.ndarray) -> np.ndarray:
    """The set :func:`shingle_bytes` stored (views of ``data``, read-only, not copies;
    ``data`` may be the bytes, or the stored 32-bit numbers, see :func:`.shelf.words`).

    Verification reads hundreds of thousands of sets at 100k documents, and
    this is written for it: positional arguments, no conversion where the
    stored byte order is the machine's, and the set made as a view, without
    ``ShingleSet``'s constructor (a third of the cost, all told), whose class
    is imported once (an import statement here took a third of the rest)."""
    global _ShingleSet
    if _ShingleSet is None:  # (not with this module: commands that do not cluster import no dedup code)
        from ..dedup.shingles import ShingleSet as _ShingleSet

    if isinstance(data, np.ndarray):  # the numbers, in the machine's (little-endian) order
        n = len(data) >> 1
        hashes, lines = data[:n], data[n:].view(np.int32)
    else:
        n = len(data) >> 3
        hashes = np.frombuffer(data, _HASHES, n)
        lines = np.frombuffer(data, _LINES, n, 4 * n)
        if not _LITTLE_ENDIAN:
            hashes, lines = hashes.astype(np.uint32), lines.astype(np.int32)
    if n and lines[0] < 0:
        return hashes
    stored = hashes.view(_ShingleSet)
    stored.lines = lines
    return stored
