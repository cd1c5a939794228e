"""The n-gram sums and script counts of lines seen before.

News lines repeat: a site's chrome ("Home", "Subscribe to our newsletter") is on
every page of the site, and a story is reprinted with its paragraphs intact.
The sums of a line's n-grams depend on the line alone (the n-grams never reach
across a line break, and each line's sums start from zero and add its n-grams
in text order), and so do its letters by script, so a line met again need not
be read again: its row (the sums, then the letters by script) is remembered
under the line's text, or the text and how many characters were read of it
when it was cut (see :func:`~.scorer.line_caps`).

The rows live in one matrix and the keys map to their row numbers, so that a
page's remembered lines are put back with one array operation, not one per line.
The memory is bounded: past :data:`LIMIT` lines the older half is forgotten.
What is remembered never changes a figure, only how soon it is ready.
"""
from __future__ import annotations

from itertools import islice
from typing import Any

import numpy as np

# Lines remembered (a row of some 90 floats and the line's text each: ~50 MB at
# most, the rows' pages taken as they are first written). At 100k generated
# articles (190k distinct lines, recurring across the corpus), the non-empty
# lines of a worker's documents, played through this memory, miss 281k times
# with room for 65,536 lines, 389k times with room for 32,768.
LIMIT = 65536


class LineMemo:
    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.rows: dict = {}  # key -> its row in ``matrix``, oldest first
        self.matrix: Any = None  # float32 (limit, width), made on the first put

    def get(self, keys: list) -> list:
        """The row number of each key remembered, or None (see :meth:`take`)."""
        rows = self.rows
        return [rows.get(key) for key in keys]  # (compiled: a loop in C)

    def take(self, found: list[int]) -> np.ndarray:
        """The remembered rows numbered ``found`` (numbers :meth:`get` gave, before any put)."""
        return self.matrix[found]

    def put(self, keys: list, rows: np.ndarray) -> None:
        """Remember ``rows[i]`` under ``keys[i]`` (the rows are copied)."""
        if not keys:
            return
        rows = np.asarray(rows, dtype=np.float32)
        last = dict(zip(keys, range(len(keys))))  # a line new twice in a batch gets one row
        if len(last) < len(keys):
            keys, rows = list(last), rows[list(last.values())]
        if len(keys) > self.limit:  # (more new lines at once than the memory holds: the last ones)
            keys, rows = keys[-self.limit:], rows[-self.limit:]
        if self.matrix is None or self.matrix.shape[1] != rows.shape[1]:
            self.rows.clear()
            self.matrix = np.empty((self.limit, rows.shape[1]), dtype=np.float32)
        if len(self.rows) + len(keys) > self.limit:
            self._forget_older(len(keys))
        start = len(self.rows)  # (rows 0 .. start - 1 are in use: see _compact)
        self.matrix[start:start + len(keys)] = rows
        self.rows.update(zip(keys, range(start, start + len(keys))))
        if len(self.rows) < start + len(keys):  # a key put again: its old row is left unused
            self._compact(self.rows)

    def _forget_older(self, room: int) -> None:
        """Keep the newer half (less if ``room`` new rows would not fit beside it)."""
        keep = min(self.limit // 2, self.limit - room)
        self._compact(dict(islice(self.rows.items(), len(self.rows) - keep, None)))

    def _compact(self, kept: dict) -> None:
        """Renumber ``kept`` as rows 0, 1, ... in their order, moving their rows up."""
        old = np.fromiter(kept.values(), dtype=np.intp, count=len(kept))
        self.matrix[:len(kept)] = self.matrix[old]
        self.rows = dict(zip(kept, range(len(kept))))

    def clear(self) -> None:
        self.rows.clear()


MEMO = LineMemo()
