"""LSH banding: from signatures to candidate pairs.

A signature is cut into ``bands`` bands of ``rows`` values; documents whose
values agree on a whole band share a bucket and become a candidate pair. Each
band is hashed to 64 bits with numpy and sorted once, so a million documents
are paired with a few dozen sorts rather than a dict of tuples.

A bucket holding more than ``max_bucket`` documents (a template shared by
thousands of pages, say) would produce a quadratic number of pairs; each of its
members is then paired only with its ``max_bucket`` nearest neighbours in the
bucket, which keeps the work linear.
"""
from __future__ import annotations

import numpy as np

from .arrays import distinct_sorted, sorted_unique
from .shingles import fmix64


def band_hashes(signatures: np.ndarray, bands: int, rows: int, band: int) -> np.ndarray:
    """64-bit hash of one band of every signature (rows of ``signatures``)."""
    return hash_band(signatures[:, band * rows : (band + 1) * rows], band)


def hash_band(values: np.ndarray, band: int) -> np.ndarray:
    """64-bit hash of each row of a band's values (n, rows), distinct per band number."""
    cols = values.astype(np.uint64)
    with np.errstate(over="ignore"):
        h = np.full(len(values), np.uint64(band + 1) * np.uint64(0x9E3779B97F4A7C15), dtype=np.uint64)
        for j in range(cols.shape[1]):
            h = fmix64(h ^ cols[:, j])
    return h


def all_band_hashes(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n_docs, bands) band hashes, as stored in the incremental index."""
    out = np.empty((len(signatures), bands), dtype=np.uint64)
    for b in range(bands):
        out[:, b] = band_hashes(signatures, bands, rows, b)
    return out


def _bucket_pairs(order: np.ndarray, bucket: np.ndarray, max_bucket: int) -> np.ndarray:
    """All pairs of rows sharing a bucket, as (row, row) for rows in sorted order.

    Offsets d = 1, 2, ... pair each row with the row d places later in the same
    bucket, one array operation per offset, over only the rows whose bucket is
    still larger than d. Offsets stop at ``max_bucket``, so in a huge bucket each
    row meets at most ``max_bucket`` neighbours and the work stays linear.
    """
    sizes = np.bincount(bucket)
    at = np.flatnonzero(sizes[bucket] >= 2)
    found = []
    d = 1
    while len(at) and d < max_bucket:
        later = at + d
        inside = later < len(bucket)
        at, later = at[inside], later[inside]
        same = bucket[at] == bucket[later]
        if not same.any():
            break
        found.append(np.stack([order[at[same]], order[later[same]]], axis=1))
        at = at[sizes[bucket[at]] > d + 1]
        d += 1
    return np.concatenate(found) if found else np.empty((0, 2), dtype=np.int64)


def candidate_pairs(band_column, n_bands: int, nodes: np.ndarray, max_bucket: int = 1000,
                    skip: np.ndarray | None = None) -> np.ndarray:
    """Distinct (i, j) node pairs, i < j, that share at least one band bucket.

    band_column(b): the hashes of band b for every row (rows are ``nodes``, sorted
    ascending); one band is in memory at a time. skip: optional boolean per row;
    pairs of two skipped rows are dropped (documents compared in an earlier batch).
    """
    return pairs_of_keys(candidate_keys(band_column, range(n_bands), len(nodes), max_bucket, skip), nodes)


def candidate_keys(band_column, bands, n: int, max_bucket: int = 1000,
                   skip: np.ndarray | None = None) -> np.ndarray:
    """The pairs of rows (of ``n``) that share a bucket in one of ``bands``, as
    sorted distinct keys ``i * n + j`` (i < j): see :func:`candidate_pairs`.
    The keys of all the bands are the union of those of any split of them, so
    parts of the bands may be paired apart (in other processes) and their keys
    merged (:func:`merge_keys`).

    Pairs are kept as one int64 each, so memory follows the number of distinct
    pairs, not pairs times bands. Copies share most of their bands, so most of
    a band's pairs were found before: those are looked up in the sorted pairs
    so far, and only the new ones wait to be merged in, which re-sorts the
    whole set a few times in a run rather than once a band.
    """
    bands = list(bands)
    seen = np.empty(0, dtype=np.int64)
    waiting: list[np.ndarray] = []
    n_waiting = 0
    for at, b in enumerate(bands):
        keys = band_column(b)
        order = np.argsort(keys, kind="stable")
        k = keys[order]
        bucket = np.concatenate(([0], np.cumsum(k[1:] != k[:-1])))
        pairs = _bucket_pairs(order, bucket, max_bucket)
        if skip is not None and len(pairs):
            pairs = pairs[~(skip[pairs[:, 0]] & skip[pairs[:, 1]])]
        if len(pairs):
            lo, hi = pairs.min(axis=1), pairs.max(axis=1)
            keys = sorted_unique(lo * n + hi)
            if len(seen):
                found = np.minimum(np.searchsorted(seen, keys), len(seen) - 1)
                keys = keys[seen[found] != keys]
            waiting.append(keys)
            n_waiting += len(keys)
        if waiting and (4 * n_waiting > len(seen) or at == len(bands) - 1):
            seen = sorted_unique(np.concatenate([seen, *waiting]))
            waiting, n_waiting = [], 0
    return seen


def merge_keys(parts: list[np.ndarray]) -> np.ndarray:
    """The sorted distinct keys of several :func:`candidate_keys` results.
    ``parts`` is emptied: at 100k documents each part holds some 4 million keys,
    and they go as soon as they are copied; the copy is sorted in place."""
    if not parts:
        return np.empty(0, dtype=np.int64)
    keys = np.concatenate(parts)
    parts.clear()
    keys.sort()
    return distinct_sorted(keys)


def pairs_of_keys(keys: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """(node, node) of each pair key of :func:`candidate_keys` (rows are ``nodes``)."""
    n = len(nodes)
    return np.stack([nodes[keys // n], nodes[keys % n]], axis=1) if len(keys) else np.empty((0, 2), np.int64)
