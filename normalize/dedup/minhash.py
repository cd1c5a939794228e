"""MinHash signatures, computed with numpy for a whole document at once.

A MinHash signature keeps, for each of ``num_perm`` random permutations of the
hash space, the smallest permuted shingle hash; the fraction of positions on
which two signatures agree estimates the Jaccard similarity of the sets.

Two schemes:

``oph`` (default) — one-permutation hashing with optimal densification (Li,
Owen & Zhang 2012; Shrivastava 2017). Each shingle hash is permuted *once*;
its top bits choose one of ``num_perm`` bins and the rest is its value; each
bin keeps its minimum. A bin no shingle fell into borrows the value of a bin
chosen by a fixed pseudo-random probe sequence, so two documents fill it the
same way. Same estimator, same LSH banding, but the cost is one sort of the
shingles rather than ``num_perm`` passes over them: this is what makes the
stage fast.

``affine32`` — the classic k-permutation MinHash, datasketch's default
scheme: the 32-bit shingle hash is pre-mixed with the MurmurHash3 finaliser,
then ``a_k * h + b_k (mod 2**32)`` for every permutation k in one
(n_shingles x num_perm) numpy operation. The permutation parameters are
datasketch's own (same seed), so a signature equals
``datasketch.MinHash(num_perm, seed, scheme="affine32", hashfunc=...)`` fed the
same 32-bit shingle hashes.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

try:  # C loop for the bins (see kernels.pyx); numpy's sort otherwise
    from . import kernels
except ImportError:  # pragma: no cover - no compiler at install, or NORMALIZE_PURE_PYTHON
    kernels = None

_EMPTY32 = np.uint32(0xFFFFFFFF)
_PROBES = 16  # densification probes per empty bin before falling back to rotation


@lru_cache(maxsize=16)
def affine_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutation parameters (a odd, b), for this seed."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def affine32_signature(hashes32: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """k-permutation MinHash of 32-bit hashes (datasketch's affine32 scheme)."""
    if len(hashes32) == 0:
        return np.full(num_perm, _EMPTY32, dtype=np.uint32)
    a, b = affine_permutations(num_perm, seed)
    with np.errstate(over="ignore"):
        hv = _fmix32(hashes32.astype(np.uint32))
        phv = np.multiply.outer(a, hv)  # (num_perm, n): each row contiguous for the min
        phv += b[:, None]
    return phv.min(axis=1)


@lru_cache(maxsize=16)
def _probe_table(num_perm: int, seed: int) -> np.ndarray:
    """For each bin, a fixed sequence of other bins to borrow from when it is empty."""
    rng = np.random.Generator(np.random.PCG64([seed, num_perm, 0x0D5]))
    return rng.integers(0, num_perm, size=(num_perm, _PROBES), dtype=np.int64)


def oph_signature(hashes64: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """One-permutation MinHash with densification of one document's 64-bit hashes."""
    return oph_batch(hashes64, np.zeros(len(hashes64), np.int64), 1, num_perm, seed)[0][0]


def _densify(sig: np.ndarray, filled: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    empty = np.flatnonzero(~filled)
    probes = _probe_table(num_perm, seed)[empty]
    hit = filled[probes]
    found = hit.any(axis=1)
    src = np.where(found, probes[np.arange(len(empty)), hit.argmax(axis=1)], -1)
    # fallback: the next filled bin to the right, wrapping around
    rest = ~found
    if rest.any():
        idx = np.flatnonzero(filled)
        pos = np.searchsorted(idx, empty[rest]) % len(idx)
        src[rest] = idx[pos]
    out = sig.copy()
    out[empty] = sig[src]
    return out


def oph_batch(hashes64: np.ndarray, owner: np.ndarray, n_docs: int, num_perm: int,
              seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One-permutation MinHash of many documents with one sort.

    ``owner`` names the document of each hash (in any order: a batch's
    shingles come document by document, but a document too short for an
    n-gram gets its one shingle at the end). Returns the (n_docs, num_perm)
    uint32 signatures and each document's number of distinct shingles.
    The sort key packs document, bin and value into 64 bits, so each
    (document, bin) group starts with its minimum. The C kernel, when built,
    needs no sort: each hash goes straight to its bin (``kernels.oph_bins``),
    and the empty bins are filled in one more loop over the batch
    (``kernels.oph_densify``), not in numpy calls per document; a 32-page
    batch of news takes a third of the time or less.
    """
    bin_bits = max(1, int(num_perm - 1).bit_length())
    doc_bits = 64 - 32 - bin_bits
    if n_docs >= 1 << doc_bits:  # too many documents for one packed key: halve the batch
        hashes64, owner = _in_document_order(hashes64, owner)
        cut = n_docs // 2
        at = np.searchsorted(owner, cut)
        s1, c1 = oph_batch(hashes64[:at], owner[:at], cut, num_perm, seed)
        s2, c2 = oph_batch(hashes64[at:], owner[at:] - cut, n_docs - cut, num_perm, seed)
        return np.concatenate([s1, s2]), np.concatenate([c1, c2])
    sig = np.full((n_docs, num_perm), _EMPTY32, dtype=np.uint32)
    counts = np.zeros(n_docs, dtype=np.int64)
    if len(hashes64) == 0:
        return sig, counts
    mix = seed * 0x9E3779B97F4A7C15 & 0xFFFFFFFFFFFFFFFF
    if kernels is not None:  # the same bins in one C loop, no sort
        return _oph_bins_c(hashes64, owner, sig, counts, num_perm, seed, mix)
    with np.errstate(over="ignore"):
        h = hashes64 ^ np.uint64(mix)
        bins = ((h >> np.uint64(32)) * np.uint64(num_perm)) >> np.uint64(32)
        packed = np.sort((owner.astype(np.uint64) << np.uint64(32 + bin_bits))
                         | (bins << np.uint64(32)) | (h & np.uint64(0xFFFFFFFF)))
    distinct = np.ones(len(packed), dtype=bool)
    distinct[1:] = packed[1:] != packed[:-1]
    group = packed >> np.uint64(32)
    first = np.ones(len(packed), dtype=bool)
    first[1:] = group[1:] != group[:-1]
    doc = (group >> np.uint64(bin_bits)).astype(np.int64)
    counts += np.bincount(doc[distinct], minlength=n_docs)
    g = group[first]
    d, b = (g >> np.uint64(bin_bits)).astype(np.int64), (g & np.uint64((1 << bin_bits) - 1)).astype(np.int64)
    sig[d, b] = (packed[first] & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    filled = np.zeros((n_docs, num_perm), dtype=bool)
    filled[d, b] = True
    return _densified(sig, filled, num_perm, seed), counts


def _oph_bins_c(hashes64: np.ndarray, owner: np.ndarray, sig: np.ndarray, counts: np.ndarray,
                num_perm: int, seed: int, mix: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`oph_batch` by the kernels (``sig`` and ``counts`` as made there, still empty)."""
    owner = np.ascontiguousarray(owner, dtype=np.int64)
    hashes64 = np.ascontiguousarray(hashes64, dtype=np.uint64)
    filled = np.zeros(sig.shape, dtype=np.uint8)
    for _ in range(2):
        starts = np.searchsorted(owner, np.arange(len(sig) + 1))
        size = 1 << max(4, (2 * int(np.diff(starts).max()) - 1).bit_length())
        if kernels.oph_bins(hashes64, owner, starts, mix, num_perm, sig, filled, counts,
                            np.empty(size, np.uint64), np.full(size, -1, np.int64)):
            break
        # not in document order (the rare batch with a document too short for
        # an n-gram): start again in order
        hashes64, owner = _in_document_order(hashes64, owner)
        sig.fill(_EMPTY32)
        filled.fill(0)
        counts.fill(0)
    kernels.oph_densify(sig, filled, _probe_table(num_perm, seed))
    return sig, counts


def _in_document_order(hashes64: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(owner) > 1 and (owner[1:] < owner[:-1]).any():
        order = np.argsort(owner, kind="stable")
        return hashes64[order], owner[order]
    return hashes64, owner


def _densified(sig: np.ndarray, filled: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """``sig`` with the empty bins of each document that has any filled (see _densify)."""
    for i in np.flatnonzero(~filled.all(axis=1) & filled.any(axis=1)).tolist():
        sig[i] = _densify(sig[i], filled[i], num_perm, seed)
    return sig


def signature(hashes64: np.ndarray, num_perm: int, seed: int, scheme: str = "oph") -> np.ndarray:
    """The MinHash signature (uint32, length num_perm) of a document's shingle hashes."""
    if scheme == "oph":
        return oph_batch(hashes64, np.zeros(len(hashes64), np.int64), 1, num_perm, seed)[0][0]
    return affine32_signature((hashes64 >> np.uint64(32)).astype(np.uint32), num_perm, seed)


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of agreeing positions: the MinHash estimate of Jaccard similarity."""
    return float(np.count_nonzero(a == b)) / len(a)
