"""LSH banding: from signatures to candidate pairs.

A signature is cut into ``bands`` bands of ``rows`` values; documents whose
values agree on a whole band share a bucket and become a candidate pair. Each
band is hashed to 64 bits with numpy and sorted once, so a million documents
are paired with a few dozen sorts rather than a dict of tuples.

A bucket holding more than ``max_bucket`` documents (a template shared by
thousands of pages, say) would produce a quadratic number of pairs; each of its
members is then paired only with the bucket's first ``max_bucket`` members,
which keeps the work linear and still reaches every cluster through its
kept copy.
"""
from __future__ import annotations

import numpy as np

from .shingles import fmix64


def band_hashes(signatures: np.ndarray, bands: int, rows: int, band: int) -> np.ndarray:
    """64-bit hash of one band of every signature (rows of ``signatures``)."""
    cols = signatures[:, band * rows : (band + 1) * rows].astype(np.uint64)
    with np.errstate(over="ignore"):
        h = np.full(len(signatures), np.uint64(band + 1) * np.uint64(0x9E3779B97F4A7C15), dtype=np.uint64)
        for j in range(cols.shape[1]):
            h = fmix64(h ^ cols[:, j])
    return h


def all_band_hashes(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n_docs, bands) band hashes, as stored in the incremental index."""
    out = np.empty((len(signatures), bands), dtype=np.uint64)
    for b in range(bands):
        out[:, b] = band_hashes(signatures, bands, rows, b)
    return out


def _bucket_pairs(members: np.ndarray, max_bucket: int) -> np.ndarray:
    head = members[:max_bucket]
    i, j = np.triu_indices(len(head), k=1)
    pairs = [np.stack([head[i], head[j]], axis=1)]
    if len(members) > max_bucket:
        tail = members[max_bucket:]
        pairs.append(np.stack([np.repeat(head, len(tail)), np.tile(tail, len(head))], axis=1))
    return np.concatenate(pairs)


def candidate_pairs(band_table: np.ndarray, nodes: np.ndarray, max_bucket: int = 1000,
                    skip: np.ndarray | None = None) -> np.ndarray:
    """Distinct (i, j) node pairs, i < j, that share at least one band bucket.

    band_table: (n, bands) band hashes of ``nodes`` (node numbers, sorted ascending).
    skip: optional boolean per row; pairs of two skipped rows are dropped
    (documents already compared in an earlier batch).
    """
    found = []
    for b in range(band_table.shape[1]):
        keys = band_table[:, b]
        order = np.argsort(keys, kind="stable")
        k = keys[order]
        edges = np.flatnonzero(np.diff(k)) + 1
        starts = np.concatenate(([0], edges))
        ends = np.concatenate((edges, [len(k)]))
        big = np.flatnonzero(ends - starts >= 2)
        for s, e in zip(starts[big], ends[big]):
            rows = order[s:e]
            if skip is not None and skip[rows].all():
                continue
            found.append(_bucket_pairs(np.sort(rows), max_bucket))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(found)
    if skip is not None:
        pairs = pairs[~(skip[pairs[:, 0]] & skip[pairs[:, 1]])]
    pairs = np.unique(pairs, axis=0)
    return nodes[pairs]
