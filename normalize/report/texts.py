"""Each distinct document text once, on disk, read back by number.

The page embeds every text (cut to fit, see budget.py), but which cut fits is
known only once all texts are seen, and 100,000 texts held as Python strings
are some 600 MB more than the report needs at once. So the pass over the
documents writes each distinct text to a temporary file, remembers where it
is, and the encoder reads the texts back one at a time in the order the page
stores them.

A text is known by a 128-bit hash of its UTF-8 bytes, so identical copies (the
kept copy and its exact duplicates) are stored once. Only the first
``cap + 1`` characters are written: nothing longer is ever embedded, and the
extra character keeps ``cut(stored, c) == cut(text, c)`` for every cap
``c <= cap`` (see embed.cut). The full length is kept apart, for the page's
"cut from N characters" note.
"""
from __future__ import annotations

import os
import tempfile
from array import array

import xxhash


_BUFFER = 1 << 20


class TextSpool:
    """Distinct texts in a temporary file (deleted on close); numbers in first-seen order."""

    def __init__(self, cap: int, directory: str | None = None):
        self.cap = cap
        # (buffered by the megabyte: a text is some kilobytes, and written one
        # at a time through the default 8 kB buffer, each went to the kernel alone)
        self._file = tempfile.TemporaryFile(prefix="normalize-report-", dir=directory, buffering=_BUFFER)
        self._number: dict[bytes, int] = {}
        self._offsets = array("q", [0])
        self.lengths = array("q")  # each text's full length in characters
        self._unflushed = False

    def add(self, text: str) -> int:
        """The number of ``text``, storing it if it is new."""
        # surrogatepass: a lone surrogate escaped in the JSON comes back as it went in
        data = text.encode("utf-8", "surrogatepass")
        key = xxhash.xxh3_128_digest(data)
        number = self._number.get(key)
        if number is None:
            number = self._number[key] = len(self.lengths)
            if len(text) > self.cap:
                data = text[: self.cap + 1].encode("utf-8", "surrogatepass")
            self._file.write(data)
            self._unflushed = True
            self._offsets.append(self._offsets[-1] + len(data))
            self.lengths.append(len(text))
        return number

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def size(self) -> int:
        """Bytes stored."""
        return self._offsets[-1]

    def __getitem__(self, number: int) -> str:
        if self._unflushed:
            self._file.flush()
            self._unflushed = False
        start, end = self._offsets[number], self._offsets[number + 1]
        return os.pread(self._file.fileno(), end - start, start).decode("utf-8", "surrogatepass")

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "TextSpool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
