"""Disk spools that let a multi-pass run stream instead of holding the corpus.

The corpus-level passes (lines that recur across stories, near-duplicate
clusters) need to see every document before any can be written. Documents wait
in a :class:`DocumentSpool` on disk between passes, and the cleaned texts in a
:class:`TextStore` that the clusterer reads back by position to verify a
candidate pair.
"""
from __future__ import annotations

import os
import pickle
from array import array
from typing import IO, Iterator

from ..document import Document


class DocumentSpool:
    def __init__(self, directory: str, name: str):
        self.path = os.path.join(directory, name)
        self._fh: IO[bytes] | None = open(self.path, "wb")
        self.count = 0

    def write(self, doc: Document) -> None:
        assert self._fh is not None
        pickle.dump(doc, self._fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __iter__(self) -> Iterator[Document]:
        self.close()
        with open(self.path, "rb") as fh:
            for _ in range(self.count):
                yield pickle.load(fh)

    def remove(self) -> None:
        self.close()
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
            self._read = open(self.path, "rb")
        start, end = self._offsets[position], self._offsets[position + 1]
        self._read.seek(start)
        return self._read.read(end - start).decode("utf-8", "surrogatepass")

    def close(self) -> None:
        self._write.close()
        if self._read is not None:
            self._read.close()
