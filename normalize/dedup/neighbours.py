"""Candidates found in the LSH bands when a node is visited, not listed beforehand.

A story syndicated to G sites puts its G copies in one bucket of nearly every
band, and a bucket of G documents makes G(G-1)/2 candidate pairs (each member
meets up to ``max_bucket`` neighbours, so ~1,000 G in larger buckets). The
clustering verifies only a few of them: the kept copy is checked against the
copies not yet taken, about G checks for the whole group
(:func:`~normalize.dedup.cluster.greedy_verified`). On a crawl of a thousand
such stories, listing every pair first costs more than all the rest of the
clustering: a million generated documents, with groups of hundreds of copies,
gave 254 million distinct pairs among 390,000 texts, 165 s to pair the bands
and 11 GB at the peak to index the pairs by node.

:class:`BandNeighbours` keeps each band's sort order instead (16 bytes per
document and band, whatever the size of the groups) and, when a node is
visited, gathers its bucket neighbours in every band: the same candidates
:func:`~normalize.dedup.lsh.candidate_keys` lists, the rows within
``max_bucket - 1`` places of it in a bucket sorted by key, then by row. The
clustering asks for them through the same interface as
:class:`~normalize.dedup.cluster.Candidates`, so its outcome is the same.
"""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from .key import kernels


def band_pairs_bound(sizes: np.ndarray, max_bucket: int) -> int:
    """How many pairs buckets of these ``sizes`` give, as :func:`~.lsh.candidate_keys`
    pairs them: every pair of a bucket, or ``max_bucket - 1`` later neighbours a member."""
    sizes = sizes.astype(np.int64)
    d = np.minimum(sizes - 1, max_bucket - 1)  # offsets that pair anything
    return int(np.sum(d * sizes - d * (d + 1) // 2))


class BandNeighbours:
    """Candidate partners of each node, looked up in the sorted bands.

    ``band_column(b)`` gives band ``b``'s hashes for ``nodes`` (sorted node
    numbers), one band at a time, as :func:`~.lsh.candidate_keys` takes them.
    ``pairs`` is the number of pairs the bands give, counted once per band
    they share: at least the number of distinct candidate pairs.
    """

    def __init__(self, band_column: Callable[[int], np.ndarray], bands: Iterable[int], nodes: np.ndarray,
                 max_bucket: int):
        bands = list(bands)
        n = len(nodes)
        self._nodes = np.asarray(nodes, dtype=np.int64)
        self._reach = max_bucket - 1
        self._order = np.empty((len(bands), n), dtype=np.int32)  # rows by (key, row), per band
        self._at = np.empty((len(bands), n), dtype=np.int32)  # each row's place in that order
        self._start = np.empty((len(bands), n), dtype=np.int32)  # by place: where its bucket starts
        self._end = np.empty((len(bands), n), dtype=np.int32)  # ... and ends
        paired = np.zeros(n, dtype=bool)
        self.pairs = 0
        places = np.arange(n, dtype=np.int32)
        for i, band in enumerate(bands):
            keys = band_column(band)
            order = np.argsort(keys, kind="stable")
            k = keys[order]
            opens = np.ones(n, dtype=bool)
            opens[1:] = k[1:] != k[:-1]
            starts = np.flatnonzero(opens)
            sizes = np.diff(np.append(starts, n))
            bucket = np.cumsum(opens) - 1
            self._order[i] = order
            self._at[i, order] = places
            self._start[i] = starts[bucket]
            self._end[i] = (starts + sizes)[bucket]
            paired[order[sizes[bucket] > 1]] = True
            self.pairs += band_pairs_bound(sizes, max_bucket)
        self._bands = np.arange(len(bands))
        self._offsets = self._bands * n
        # nodes with a partner in some band (every other one is a loner)
        self.nodes = self._nodes[paired]
        self._seen = self._found = None  # the C loop's room to work (see of)
        if kernels is not None:
            self._seen = np.zeros(n, dtype=np.uint8)
            self._found = np.empty(len(bands) * (2 * self._reach + 1), dtype=np.int64)

    def of(self, node: int) -> np.ndarray:
        """``node``'s candidate partners, in ascending order."""
        row = int(np.searchsorted(self._nodes, node))
        if self._found is not None:  # (the same rows; a copy's rows recur in most bands, met once here)
            found = kernels.band_neighbours(self._order, self._at, self._start, self._end, row, self._reach,
                                            self._seen, self._found)
            return self._nodes[np.sort(self._found[:found])]
        at = self._at[:, row].astype(np.int64)
        lo = np.maximum(self._start[self._bands, at], at - self._reach)
        hi = np.minimum(self._end[self._bands, at], at + self._reach + 1)
        width = hi - lo
        some = width > 1
        if not some.any():
            return np.empty(0, dtype=np.int64)
        lo, width = lo[some] + self._offsets[some], width[some]
        # the places lo .. hi-1 of each band, as one gather from the flat order
        starts = np.repeat(lo - np.concatenate(([0], np.cumsum(width)[:-1])), width)
        rows = np.unique(self._order.reshape(-1)[starts + np.arange(len(starts))])
        return self._nodes[rows[rows != row]]
