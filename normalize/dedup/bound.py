"""How many shingles two sets can share at most, known before either is read.

Verification reads a candidate's shingle set and merges it with the kept
copy's (:func:`.verify.overlaps_reaching`), about five microseconds a pair
when the set is viewed where the store keeps it. Where a crawl has groups of
hundreds of copies of a story, a text has a thousand candidates or more, and
most of them are other stories that share a few bands by chance: of the
pairs asked about at a million generated documents, about four in five fall
short of the overlap a copy needs (:func:`.verify.least_overlap`).

Count each set's shingles by bucket (the low ten bits of the hash: 1,024
buckets, half a byte each). Two sets cannot share more shingles in a bucket
than the smaller of their two counts there, so the sum of the smaller counts
over the buckets bounds their overlap, exactly. When that bound is under the
least overlap of a copy, the pair is no copy, and its set need not be read:
on that corpus the bound rules out 72.9% of the candidate pairs of texts
drawn at random, at under half a microsecond each (a C loop over the two rows
of counts, :func:`.kernels.bucket_bounds`). The clusters are the ones without it: only
pairs that could never be copies are left out, and a pair's verdict depends on
the pair alone.

Half a byte holds a count up to 14; 15 means "15 or more". A bucket full in
both sets gives no bound; it takes a set of thousands of shingles to fill one
(11 of the 223,306 sets counted for the figure above had a full bucket).

It costs half a kilobyte a text (190 MB for the 390,000 texts of that million
documents) and a read of every set before the walk, so it is made only where
there are many pairs to verify (as many as make helpers worth forking): at
100k generated documents the clustering took 7.66 s with it, 8.80 s without.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import numpy as np

from .key import kernels
from .settings import DedupSettings
from .verify import least_overlaps

BITS = 10
BUCKETS = 1 << BITS  # two to a byte: even buckets in the low half, odd ones in the high half
FULL = 15
NO_BOUND = np.iinfo(np.int64).max  # (no bound known: the pair must be verified)
_CHUNK = 256  # sets counted at once (the arrays of a chunk are eight bytes a shingle, several times over)


class OverlapBound:
    """Counts by bucket of the shingle sets of ``nodes`` (ascending node numbers),
    read with ``hashes_of(node)`` (a set's sorted 32-bit hashes, or None when it is
    not known: such a node gets no bound)."""

    def __init__(self, nodes: np.ndarray, hashes_of: Callable[[int], Optional[np.ndarray]]):
        nodes = np.asarray(nodes, dtype=np.int64)
        self.counts = np.empty((len(nodes), BUCKETS // 2), dtype=np.uint8)
        self.sizes = np.empty(len(nodes), dtype=np.int64)
        known = np.ones(len(nodes), dtype=bool)
        for start in range(0, len(nodes), _CHUNK):
            got = [hashes_of(v) for v in nodes[start : start + _CHUNK].tolist()]
            known[start : start + len(got)] = [s is not None for s in got]
            sets = [np.empty(0, np.uint32) if s is None else np.asarray(s) for s in got]
            self.counts[start : start + len(sets)] = bucket_counts(sets)
            self.sizes[start : start + len(sets)] = [len(s) for s in sets]
        if not known.all():
            self.counts, self.sizes = self.counts[known], self.sizes[known]
        self.nodes = nodes[known]
        # (a look-up table, not a search: a node's thousand candidates are looked up at every visit)
        self._row_of = np.full(int(nodes[-1]) + 1 if len(nodes) else 0, -1, dtype=np.int64)
        self._row_of[self.nodes] = np.arange(len(self.nodes))

    def rows(self, nodes: np.ndarray) -> np.ndarray:
        """Each node's row of counts, -1 for a node not counted."""
        nodes = np.asarray(nodes, dtype=np.int64)
        inside = nodes < len(self._row_of)
        if inside.all():
            return self._row_of[nodes]
        rows = np.full(len(nodes), -1, dtype=np.int64)
        rows[inside] = self._row_of[nodes[inside]]
        return rows

    def may_reach(self, u: int, vs: np.ndarray, settings: DedupSettings) -> np.ndarray:
        """For each node of ``vs``: can it share with ``u`` the least overlap of a
        copy? False only where it certainly cannot."""
        row = self.rows(np.array([u], dtype=np.int64))[0]
        if row < 0 or len(vs) == 0:
            return np.ones(len(vs), dtype=bool)
        rows = self.rows(np.asarray(vs, dtype=np.int64))
        bounds = bucket_bounds(self.counts, int(row), rows)
        need = least_overlaps(int(self.sizes[row]), self.sizes[np.maximum(rows, 0)], settings)
        return bounds >= need


def bucket_counts(sets: Sequence[np.ndarray]) -> np.ndarray:
    """One row per set: how many of its hashes fall in each bucket (their low
    bits), at most :data:`FULL`, two buckets to a byte."""
    lengths = np.array([len(s) for s in sets], dtype=np.int64)
    counts = np.zeros(len(sets) * BUCKETS, dtype=np.int64)
    if lengths.sum():
        flat = np.concatenate(sets).astype(np.int64) & (BUCKETS - 1)
        owner = np.repeat(np.arange(len(sets), dtype=np.int64), lengths)
        counts = np.bincount(owner * BUCKETS + flat, minlength=len(sets) * BUCKETS)
    counts = np.minimum(counts, FULL).astype(np.uint8).reshape(len(sets), BUCKETS)
    return counts[:, 0::2] | (counts[:, 1::2] << 4)


def unpacked(counts: np.ndarray) -> np.ndarray:
    """:func:`bucket_counts` one bucket to a byte."""
    out = np.empty((len(counts), 2 * counts.shape[1]), dtype=np.uint8)
    out[:, 0::2], out[:, 1::2] = counts & 15, counts >> 4
    return out


def bucket_bounds(counts: np.ndarray, row: int, rows: np.ndarray) -> np.ndarray:
    """For each of ``rows``: the sum over the buckets of the smaller count of it
    and ``row``, a bound on the overlap of their sets; :data:`NO_BOUND` for a row
    of -1, or where some bucket is full in both."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    out = np.empty(len(rows), dtype=np.int64)
    if kernels is not None and counts.flags.c_contiguous and counts.dtype == np.uint8:
        kernels.bucket_bounds(counts, row, rows, out)
        return out
    low = np.minimum(unpacked(counts[np.maximum(rows, 0)]), unpacked(counts[row : row + 1]))
    out[:] = low.sum(axis=1, dtype=np.int64)
    out[(low == FULL).any(axis=1) | (rows < 0)] = NO_BOUND
    return out

