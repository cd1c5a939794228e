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

What verification compares is a :class:`ShingleSet`: the sorted distinct 32-bit
hashes, which also remember the line each shingle first occurs on, so that a
cut-short copy of a story can be told from a few paragraphs lifted out of it.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from .. import cache
from ..detect.scripts import COMMON, JAPANESE, char_script
from .arrays import sorted_unique
from .key import KeyBatch, batch_keys, key_points, kernels

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


@lru_cache(maxsize=1)
def _script_table() -> np.ndarray:
    """Per BMP code point: 0 no script (Common), 1 a script written without spaces,
    2 + k the k-th other script (from detect/scripts.py). Kept in the disk cache
    (see :func:`~.key.tables`), keyed on what it is made from."""
    return cache.derived("dedup-scripts", _script_table_inputs, lambda: {"table": _derive_script_table()})["table"]


def _script_table_inputs() -> list[bytes]:
    from ..detect import scripts

    data = [resources.files(package).joinpath(name).read_bytes()
            for package, name in (("normalize.detect", "data/scripts.tsv"), ("normalize.dedup", "data/unspaced_scripts.txt"))]
    return [Path(__file__).read_bytes(), Path(scripts.__file__).read_bytes(), *data]


def _derive_script_table() -> np.ndarray:
    unspaced = unspaced_scripts()
    ids: dict[str, int] = {}
    table = np.zeros(0x10000, dtype=np.int16)
    for cp in range(0x10000):
        name = char_script(chr(cp)) if not 0xD800 <= cp <= 0xDFFF else COMMON
        if name == COMMON:
            continue
        if name in unspaced or name in JAPANESE:
            table[cp] = 1
        else:
            table[cp] = ids.setdefault(name, 2 + len(ids))
    char_script.cache_clear()  # the table replaces 65k cached entries
    return table


_FIRST_UNSPACED = 0x0E00  # Thai; every script without spaces lies above it


def unspaced_docs(batch: KeyBatch) -> np.ndarray:
    """Per document: are more of its letters in scripts written without spaces
    than in any other one script? Only points above U+0E00 need a script lookup;
    the letters below it (Latin, Greek, Cyrillic, Arabic, Indic, ...) count as
    "another script" together, which only matters for texts mixing three."""
    n = len(batch)
    points = batch.points
    if kernels is not None:  # the same counts in one C loop
        table = _script_table()
        counts = np.zeros((n, int(table.max()) + 1), dtype=np.int64)
        low_counts = np.zeros(n, dtype=np.int64)
        kernels.script_counts(points, np.asarray(batch.starts, dtype=np.int64), table, counts, low_counts)
        return _mostly_unspaced(counts, low_counts)
    high = np.flatnonzero(points >= _FIRST_UNSPACED)
    if len(high) == 0:
        return np.zeros(n, dtype=bool)
    table = _script_table()
    k = int(table.max()) + 1
    sid = table[np.minimum(points[high], 0xFFFF)].astype(np.int64)
    counts = np.bincount(batch.owner(high) * k + sid, minlength=n * k).reshape(n, k)
    low = (points < _FIRST_UNSPACED) & (points != _SPACE) & (points != _NEWLINE)
    low_pos = np.flatnonzero(low)
    low_counts = np.bincount(batch.owner(low_pos), minlength=n) if len(low_pos) else np.zeros(n, np.int64)
    return _mostly_unspaced(counts, low_counts)


def _mostly_unspaced(counts: np.ndarray, low_counts: np.ndarray) -> np.ndarray:
    """(see :func:`unspaced_docs`) ``counts``: letters per document and script class."""
    others = np.maximum(counts[:, 2:].max(axis=1) if counts.shape[1] > 2 else 0, low_counts)
    return (counts[:, 1] > 0) & (counts[:, 1] >= others)


def is_unspaced(points: np.ndarray) -> bool:
    """Is one key mostly in scripts written without spaces?"""
    return bool(unspaced_docs(KeyBatch.single(points))[0])


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


def _ngrams(items: np.ndarray, line: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Combine n consecutive item hashes; keep windows inside one line. Returns
    (hashes, index of each window's first item)."""
    m = len(items)
    if m < n:
        return np.empty(0, np.uint64), np.empty(0, np.int64)
    mult = _combiners(n, seed)
    with np.errstate(over="ignore"):
        out = items[: m - n + 1] * mult[0]
        for j in range(1, n):
            out += items[j : m - n + 1 + j] * mult[j]
    ok = np.flatnonzero(line[: m - n + 1] == line[n - 1 :])
    return out[ok], ok


def _shingle_items(items: np.ndarray, line: np.ndarray, owner: np.ndarray, n_docs: int,
                   n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n-grams of items (words or characters) within lines, with the fallback for
    documents that have no line of n items: n-grams across their lines, or one
    shingle of everything if they are shorter than n items. Returns (hashes,
    document of each, line of each; a fallback document is one line)."""
    hashes, first = _ngrams(items, line, n, seed)
    owners = owner[first]
    lines = line[first]
    has = np.zeros(n_docs, dtype=bool)
    has[owners] = True
    present = np.zeros(n_docs, dtype=bool)
    present[owner] = True
    lacking = np.flatnonzero(present & ~has)
    if len(lacking):
        extra_h, extra_o, extra_l = [hashes], [owners], [lines]
        lo = np.searchsorted(owner, lacking)
        hi = np.searchsorted(owner, lacking, side="right")
        for d, a, b in zip(lacking.tolist(), lo.tolist(), hi.tolist()):
            h, _ = _ngrams(items[a:b], np.zeros(b - a, np.int64), min(n, b - a), seed)
            extra_h.append(h)
            extra_o.append(np.full(len(h), d, dtype=np.int64))
            extra_l.append(np.full(len(h), line[a], dtype=line.dtype))
        hashes, owners, lines = np.concatenate(extra_h), np.concatenate(extra_o), np.concatenate(extra_l)
        # back in document order, as every caller takes a batch's shingles (a
        # document's own together, the documents in turn): the fallbacks came last
        order = np.argsort(owners, kind="stable")
        hashes, owners, lines = hashes[order], owners[order], lines[order]
    # number lines from each document's first line: every line of a key has an
    # item, so a document's first item (``owner`` is sorted) sits on its first line
    # (looked up per document, not per shingle: a few dozen searches, not thousands)
    if len(line):
        first_item = np.minimum(np.searchsorted(owner, np.arange(n_docs)), len(line) - 1)
        lines = lines - line[first_item][owners]
    with np.errstate(over="ignore"):
        return fmix64(hashes), owners, lines


def _word_items(batch: KeyBatch, seed: int):
    """Word hashes, line numbers and documents of a batch (documents are divided
    by newlines, so a word never spans two)."""
    if kernels is not None:  # the same, as one C loop
        room = len(batch.points) // 2 + 1  # words are separated
        words, lines, owners = np.empty(room, np.uint64), np.empty(room, np.int64), np.empty(room, np.int64)
        count = kernels.word_items(batch.points, np.asarray(batch.starts, dtype=np.int64), seed, words, lines, owners)
        return words[:count], lines[:count], owners[:count]
    cps = batch.points
    gap = (cps == _SPACE) | (cps == _NEWLINE)
    edge = np.diff(gap.view(np.int8), prepend=np.int8(1), append=np.int8(1))
    starts = np.flatnonzero(edge == -1)
    ends = np.flatnonzero(edge == 1)
    line = np.searchsorted(np.flatnonzero(cps == _NEWLINE), starts)
    h = _prefix(cps.astype(np.uint64))
    with np.errstate(over="ignore"):
        words = fmix64(_substring_hashes(h, starts, ends) ^ _U64(seed))
    return words, line, batch.owner(starts)


def _char_items(batch: KeyBatch, seed: int):
    """Character hashes (spaces left out), line numbers and documents."""
    cps = batch.points
    at = np.flatnonzero((cps != _SPACE) & (cps != _NEWLINE))
    line = np.searchsorted(np.flatnonzero(cps == _NEWLINE), at)
    with np.errstate(over="ignore"):
        chars = fmix64(cps[at].astype(np.uint64) ^ _U64(seed))
    return chars, line, batch.owner(at)


def _subset(batch: KeyBatch, docs: np.ndarray) -> tuple[KeyBatch, np.ndarray]:
    """A batch of some of the documents (renumbered), and their old numbers."""
    parts = [batch.doc(int(i)) for i in docs]
    nl = np.array([_NEWLINE], dtype=np.uint32)
    pts = np.concatenate([x for p in parts for x in (p, nl)]) if parts else np.empty(0, np.uint32)
    lens = np.array([len(p) for p in parts], dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(lens + 1)[:-1]))
    return KeyBatch(pts, starts, starts + lens), docs


def batch_shingles(batch: KeyBatch, word_n: int, char_n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """64-bit shingle hashes of every document of a batch, and the document of each
    (sorted by document, in text order within one).

    Word n-grams for space-delimited scripts, character n-grams for the others
    (decided per document); shingles never cross a line. Lines shorter than one
    shingle yield none: such lines are menu items, bylines, share buttons and
    captions — page furniture, not story — and across line ends they would
    weave the furniture into the story's shingles.
    """
    hashes, owners, _ = batch_shingles_lines(batch, word_n, char_n, seed)
    return hashes, owners


def batch_shingles_lines(batch: KeyBatch, word_n: int, char_n: int,
                         seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`batch_shingles`, plus the line of each shingle (increasing within a
    document; numbers are comparable within one document only)."""
    n_docs = len(batch)
    unspaced = unspaced_docs(batch)
    if not unspaced.any():
        words, line, own = _word_items(batch, seed)
        return _shingle_items(words, line, own, n_docs, word_n, seed)
    parts_h, parts_o, parts_l = [], [], []
    for want, items_of, n in ((False, _word_items, word_n), (True, _char_items, char_n)):
        docs = np.flatnonzero(unspaced == want)
        if len(docs) == 0:
            continue
        sub, numbers = _subset(batch, docs)
        items, line, own = items_of(sub, seed)
        h, o, l = _shingle_items(items, line, own, len(sub), n, seed)
        parts_h.append(h)
        parts_o.append(numbers[o])
        parts_l.append(l)
    hashes, owners, lines = np.concatenate(parts_h), np.concatenate(parts_o), np.concatenate(parts_l)
    order = np.argsort(owners, kind="stable")
    return hashes[order], owners[order], lines[order]


def shingle_hashes(points: np.ndarray, word_n: int, char_n: int, seed: int = 1) -> np.ndarray:
    """Shingle hashes of one key."""
    return batch_shingles(KeyBatch.single(points), word_n, char_n, seed)[0]


def text_shingles(text: str, word_n: int, char_n: int, seed: int = 1) -> np.ndarray:
    """Shingle hashes of one (cleaned) text."""
    return shingle_hashes(key_points(text), word_n, char_n, seed)


class ShingleSet(np.ndarray):
    """A document's sorted, distinct 32-bit shingle hashes — to every reader a
    plain ``uint32`` array — that also remembers where each shingle sits:
    ``lines[i]`` is the line of the normalised key (0 = the first non-empty line;
    lines too short for a shingle keep their number) where shingle ``i`` first
    occurs.

    Verification uses the layout to tell a cut-short copy of a story from a
    passage lifted out of it (see :mod:`.verify`). Arrays derived from a set
    (slices, views, results of arithmetic) do not keep the layout, and sets
    read back from an index never had one; ``lines`` is None then.
    """

    lines: np.ndarray | None

    def __new__(cls, hashes: np.ndarray, lines: np.ndarray | None = None) -> "ShingleSet":
        obj = np.asarray(hashes, dtype=np.uint32).view(cls)
        obj.lines = lines
        return obj

    def __array_finalize__(self, obj) -> None:
        self.lines = None  # a slice or a view no longer matches the layout

    def __reduce__(self):
        return ShingleSet, (np.asarray(self), self.lines)


def layout(shingles: np.ndarray) -> np.ndarray | None:
    """The line of each shingle of a set, or None if the set carries none."""
    lines = getattr(shingles, "lines", None)
    return lines if lines is not None and len(lines) == len(shingles) else None


def sets_with_lines(hashes: np.ndarray, owners: np.ndarray, lines: np.ndarray,
                     n_docs: int) -> list[ShingleSet]:
    """Per document: distinct 32-bit shingles (sorted) and the line of each one's
    first occurrence. One sort for each document (see :func:`_first_of_each`)."""
    if len(hashes) == 0:
        return [ShingleSet(np.empty(0, np.uint32), np.empty(0, np.int32)) for _ in range(n_docs)]
    # (the owners ascend, as batch_shingles_lines gives them: each document's
    # keys lie above the one before's, their high bits being its number)
    stretches = np.searchsorted(owners, np.arange(n_docs + 1)).tolist()
    uniq, first = _first_of_each((owners.astype(np.uint64) << _U64(32)) | (hashes >> _U64(32)), stretches)
    doc = (uniq >> _U64(32)).astype(np.int64)
    line = lines[first].astype(np.int32)
    bounds = np.searchsorted(doc, np.arange(n_docs + 1))
    hashes32 = (uniq & _U64(0xFFFFFFFF)).astype(np.uint32)
    return [ShingleSet(hashes32[a:b], line[a:b]) for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist())]


def _first_of_each(key: np.ndarray, stretches: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_index=True)``: the distinct values, sorted, and where
    each first occurs. That is an indirect stable sort; when the positions fit
    in the bits above the largest value, each value and its position are packed
    into one integer and sorted directly, several times faster.

    ``stretches``: where runs of ``key`` start (and the last ends), when every
    value of a run is above every value of the runs before it (a batch's
    documents, numbered in the high bits). Each run is then sorted alone: the
    same order, and about three times faster than sorting a batch's 150,000
    values at once (2.2 against 6.1 ms): a document's thousand values sort
    in fewer rounds, within the processor's cache."""
    n = len(key)
    top = int(key.max()).bit_length() if n else 0
    pos_bits = max(1, (n - 1).bit_length())
    if top + pos_bits > 64:
        return np.unique(key, return_index=True)
    packed = (key << _U64(pos_bits)) | np.arange(n, dtype=np.uint64)
    # by value, then by position: a value's first occurrence leads its run
    if stretches is None:
        packed.sort()
    else:
        for start, end in zip(stretches[:-1], stretches[1:]):
            packed[start:end].sort()
    values = packed >> _U64(pos_bits)
    lead = np.empty(n, dtype=bool)
    lead[:1] = True
    np.not_equal(values[1:], values[:-1], out=lead[1:])
    return values[lead], (packed[lead] & _U64((1 << pos_bits) - 1)).astype(np.intp)


def shingle_set(text: str, word_n: int, char_n: int, seed: int = 1) -> ShingleSet:
    """The sorted, distinct 32-bit shingle hashes of a text: what verification compares
    (with the line of each, see :class:`ShingleSet`).

    32 bits keep the stored sets small; for sets of a few thousand shingles a
    chance collision moves a similarity by well under a thousandth.
    """
    return shingle_sets([text], word_n, char_n, seed)[0]


def to_set(hashes: np.ndarray) -> np.ndarray:
    """64-bit shingle hashes -> sorted distinct 32-bit ones (the high half)."""
    return sorted_unique((hashes >> _U64(32)).astype(np.uint32))


def shingle_sets(texts: list[str], word_n: int, char_n: int, seed: int = 1) -> list[ShingleSet]:
    """:func:`shingle_set` of many texts, computed as one batch."""
    if not texts:
        return []
    hashes, owner, lines = batch_shingles_lines(batch_keys(texts), word_n, char_n, seed)
    return sets_with_lines(hashes, owner, lines, len(texts))
