"""The n-gram sums of lines seen before.

News lines repeat: a site's chrome ("Home", "Subscribe to our newsletter") is on
every page of the site, and a story is reprinted with its paragraphs intact.
The sums of a line's n-grams depend on the line alone (the n-grams never reach
across a line break, and each line's sums start from zero and add its n-grams
in text order), so a line met again need not be scored again: its row of sums
is remembered under the line's text, or the text and how many characters were
read of it when it was cut (see :func:`~.scorer.line_caps`).

The memory is bounded: past :data:`LIMIT` lines the older half is forgotten.
What is remembered never changes a figure, only how soon it is ready.
"""
from __future__ import annotations

from itertools import islice

import numpy as np

LIMIT = 32768  # lines (a row of 56 floats and the line's text each: ~20 MB at most)


class LineMemo:
    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.rows: dict = {}

    def get(self, keys: list) -> list:
        """The remembered row of each key, or None."""
        return list(map(self.rows.get, keys))

    def put(self, keys: list, rows: np.ndarray) -> None:
        """Remember ``rows[i]`` under ``keys[i]`` (the rows are copied)."""
        if not keys:
            return
        self.rows.update(zip(keys, np.array(rows, dtype=np.float32)))
        if len(self.rows) > self.limit:
            for key in list(islice(self.rows, len(self.rows) - self.limit // 2)):
                del self.rows[key]

    def clear(self) -> None:
        self.rows.clear()


MEMO = LineMemo()
