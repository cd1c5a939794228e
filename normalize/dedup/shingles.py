"""Shingles: the overlapping pieces a document is compared by.

A shingle is n consecutive words (for scripts written with spaces) or n
consecutive characters (for Chinese, Japanese, Thai and other scripts written
without them: there, a "word" would be a whole clause). Two copies of a story
share most shingles; an edit breaks only the n shingles that overlap it.

Shingles are hashed to 64 bits entirely in numpy, without a Python call per
word: the key is viewed as an array of code points, a polynomial prefix sum
``H[i] = sum c_j * P**j (mod 2**64)`` gives any substring's hash in O(1) as
``(H[e] - H[s]) * P**-s`` (P is odd, so it has an inverse modulo 2**64), and
n consecutive word hashes are combined with fixed odd multipliers. A
MurmurHash3 finaliser then spreads the bits. Everything is fixed arithmetic, so
a shingle hashes the same in every process and on every machine (Python's
``hash()`` is salted per process and would not).

Shingles stay within a line, and lines shorter than one shingle are skipped
(see :func:`word_shingles`). A document with no line that long falls back to
shingles across lines, and one shorter than a single shingle gets one shingle
of all it has, so short texts can still be matched; an empty key has none.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from importlib import resources

import numpy as np

from ..detect.scripts import COMMON, JAPANESE, char_script
from .key import lined_key

_U64 = np.uint64
_P = _U64(0x100000001B3)  # FNV prime: odd, so invertible mod 2**64
_P_INV = _U64(pow(0x100000001B3, -1, 1 << 64))
_SPACE = 32
_NEWLINE = 10
_FMIX = (_U64(33), _U64(0xFF51AFD7ED558CCD), _U64(0xC4CEB9FE1A85EC53))
_POWERS = {"n": 0, "p": np.ones(0, np.uint64), "q": np.ones(0, np.uint64)}


def fmix64(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: a bijection that avalanches every bit."""
    s, m1, m2 = _FMIX
    h = h ^ (h >> s)
    h = h * m1
    h = h ^ (h >> s)
    h = h * m2
    return h ^ (h >> s)


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """P**i and P**-i (mod 2**64) for i < n, grown geometrically and cached."""
    if _POWERS["n"] < n:
        size = max(n, 2 * _POWERS["n"], 4096)
        with np.errstate(over="ignore"):
            p = np.full(size, _P, dtype=np.uint64)
            p[0] = 1
            q = np.full(size, _P_INV, dtype=np.uint64)
            q[0] = 1
            _POWERS["p"] = np.multiply.accumulate(p)
            _POWERS["q"] = np.multiply.accumulate(q)
        _POWERS["n"] = size
    return _POWERS["p"], _POWERS["q"]


@lru_cache(maxsize=32)
def _combiners(n: int, seed: int) -> np.ndarray:
    """n fixed odd multipliers (one per word slot of a shingle), from the seed."""
    rng = np.random.Generator(np.random.PCG64(seed))
    return rng.integers(0, 1 << 63, size=n, dtype=np.uint64) * _U64(2) + _U64(1)


@lru_cache(maxsize=1)
def unspaced_scripts() -> frozenset[str]:
    text = resources.files("normalize.dedup").joinpath("data/unspaced_scripts.txt").read_text("utf-8")
    return frozenset(l.strip() for l in text.splitlines() if l.strip() and not l.startswith("#"))


def is_unspaced(key: str) -> bool:
    """Is most of the text in a script written without spaces between words?

    Counts distinct characters weighted by frequency (``Counter`` runs in C), so
    the cost is per distinct character, not per character.
    """
    counts: Counter = Counter()
    for ch, n in Counter(key).items():
        s = char_script(ch)
        if s != COMMON:
            counts["Japanese" if s in JAPANESE else s] += n
    if not counts:
        return False
    return counts.most_common(1)[0][0] in unspaced_scripts()


def _code_points(key: str) -> np.ndarray:
    return np.frombuffer(key.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def _prefix(cps: np.ndarray) -> np.ndarray:
    p, _ = _powers(len(cps) + 1)
    h = np.zeros(len(cps) + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.cumsum(cps * p[: len(cps)], out=h[1:])
    return h


def _substring_hashes(h: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    _, q = _powers(len(h))
    with np.errstate(over="ignore"):
        return (h[ends] - h[starts]) * q[starts] + (ends - starts).astype(np.uint64)


def _ngrams(items: np.ndarray, line: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Combine n consecutive item hashes, keeping only windows inside one line."""
    m = len(items)
    mult = _combiners(n, seed)
    with np.errstate(over="ignore"):
        out = items[: m - n + 1] * mult[0]
        for j in range(1, n):
            out += items[j : m - n + 1 + j] * mult[j]
    return out[line[: m - n + 1] == line[n - 1 :]]


def _whole(items: np.ndarray, n: int, seed: int) -> np.ndarray:
    """The fallback for a text with no line as long as a shingle: n-grams across
    lines, or, if the text is shorter than one shingle, one shingle of all of it."""
    k = min(n, len(items))
    return _ngrams(items, np.zeros(len(items), dtype=np.int64), k, seed)


def word_shingles(key: str, n: int, seed: int = 1) -> np.ndarray:
    """64-bit hashes of the word n-grams of a key.

    Words are separated by single spaces, lines by single newlines. Shingles do
    not cross lines, and a line shorter than n words yields none: such lines are
    menu items, bylines, share buttons and captions — page furniture, not story
    — and across line ends they would weave the furniture into the story's
    shingles.
    """
    if not key:
        return np.empty(0, dtype=np.uint64)
    cps = _code_points(key)
    h = _prefix(cps)
    gaps = np.flatnonzero((cps == _SPACE) | (cps == _NEWLINE))
    starts = np.concatenate(([0], gaps + 1))
    ends = np.concatenate((gaps, [len(cps)]))
    line = np.concatenate(([0], np.cumsum(cps[gaps] == _NEWLINE)))
    with np.errstate(over="ignore"):
        words = fmix64(_substring_hashes(h, starts, ends) ^ _U64(seed))
        out = _ngrams(words, line, n, seed) if len(words) >= n else np.empty(0, np.uint64)
        if len(out) == 0:
            out = _whole(words, n, seed)
        return fmix64(out)


def char_shingles(key: str, n: int, seed: int = 1) -> np.ndarray:
    """64-bit hashes of the character n-grams of a key, spaces left out, within lines."""
    key = key.replace(" ", "")
    if not key.strip("\n"):
        return np.empty(0, dtype=np.uint64)
    cps = _code_points(key)
    newline = cps == _NEWLINE
    line = np.cumsum(newline)[~newline]
    cps = cps[~newline]
    with np.errstate(over="ignore"):
        chars = fmix64(cps ^ _U64(seed))
        out = _ngrams(chars, line, n, seed) if len(chars) >= n else np.empty(0, np.uint64)
        if len(out) == 0:
            out = _whole(chars, n, seed)
        return fmix64(out)


def shingle_hashes(key: str, word_n: int, char_n: int, seed: int = 1) -> np.ndarray:
    """Shingle hashes of a key, by word or by character as its script calls for."""
    if is_unspaced(key):
        return char_shingles(key, char_n, seed)
    return word_shingles(key, word_n, seed)


def text_shingles(text: str, word_n: int, char_n: int, seed: int = 1) -> np.ndarray:
    """Shingle hashes of a (cleaned) text, lines kept apart."""
    return shingle_hashes(lined_key(text), word_n, char_n, seed)


def shingle_set(text: str, word_n: int, char_n: int, seed: int = 1) -> np.ndarray:
    """The sorted, distinct 32-bit shingle hashes of a key: what verification compares.

    32 bits keep the stored sets small; for sets of a few thousand shingles a
    chance collision moves a similarity by well under a thousandth.
    """
    h = text_shingles(text, word_n, char_n, seed)
    return np.unique((h >> _U64(32)).astype(np.uint32))
