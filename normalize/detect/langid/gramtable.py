"""A hash table from integer keys to rows, looked up for a whole array of keys at once.

A Python ``dict`` costs a string and a look-up per n-gram; a binary search over
88,000 sorted keys costs a cache miss per step. This table is two numpy arrays
of buckets, four slots each, and every key lives in one of TWO buckets given
by two hash functions (the "power of two choices": each key goes to the less
full one, which keeps even the fullest bucket nearly empty). A look-up then
reads both candidate buckets of every key in one vectorised step - eight slots
a key, no probing loop - so the cost of a text is a fixed handful of array
operations.

Key 0 is reserved for "empty slot" (and "no n-gram" in a text).
"""
from __future__ import annotations

import numpy as np

SLOTS = 4  # per bucket
# two multiplicative (Fibonacci-style) hashes: multiply, keep the top bits
_MULT = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))
_MULTS = np.array(_MULT, dtype=np.uint64)[:, None]


class GramTable:
    def __init__(self, keys: np.ndarray, values: np.ndarray):
        keys = np.asarray(keys, dtype=np.int64)
        values = np.asarray(values, dtype=np.int64)
        if np.any(keys == 0):
            raise ValueError("key 0 is reserved")
        bits = max(2, int(np.ceil(np.log2(max(1, keys.size) / 1.5))))  # ~1.5 keys a bucket
        while not self._build(keys, values, bits):
            bits += 1

    def _buckets(self, keys: np.ndarray, which: int) -> np.ndarray:
        return ((keys.view(np.uint64) * _MULT[which]) >> self._shift).astype(np.int64)

    def _build(self, keys: np.ndarray, values: np.ndarray, bits: int) -> bool:
        self._shift = np.uint64(64 - bits)
        n_buckets = 1 << bits
        self.keys = np.zeros((n_buckets, SLOTS), dtype=np.int64)
        self.values = np.zeros((n_buckets, SLOTS), dtype=np.int64)
        fill = [0] * n_buckets
        places = []
        for a, b in zip(self._buckets(keys, 0).tolist(), self._buckets(keys, 1).tolist()):
            bucket = a if fill[a] <= fill[b] else b
            if fill[bucket] == SLOTS:
                return False  # too full: retry with twice the buckets
            places.append(bucket * SLOTS + fill[bucket])
            fill[bucket] += 1
        self.keys.ravel()[places] = keys
        self.values.ravel()[places] = values
        return True

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The value of each key; 0 for keys not in the table (and for key 0)."""
        keys = np.asarray(keys, dtype=np.int64)
        flat = keys.ravel()
        out = np.zeros(flat.shape, dtype=np.int64)
        idx = np.flatnonzero(flat)
        query = flat[idx]
        # both candidate buckets of every key in one go: (2, n) -> 2n buckets
        bucket = ((query.view(np.uint64) * _MULTS) >> self._shift).astype(np.int64).ravel()
        both = np.concatenate([query, query])
        # a key is stored at most once, so it matches at most one of its 8 slots
        hits = np.flatnonzero(np.take(self.keys, bucket, axis=0) == both[:, None])
        found = np.take(self.values, bucket, axis=0).ravel()[hits]
        out[np.concatenate([idx, idx])[hits // SLOTS]] = found
        return out.reshape(keys.shape)
