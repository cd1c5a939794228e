"""The normalised key a document is compared on.

Two copies of one story differ in ways that say nothing about the story:
typographic quotes, non-breaking spaces, full-width forms, letter case, the
number of spaces, a date or a figure updated in passing. The key removes those
differences before anything is hashed:

* NFKC folds compatibility forms (full-width letters, ligatures, NBSP);
* case folding (``str.casefold``) makes "Berlin" and "BERLIN" one word;
* every run of digits becomes "0", so "2,300" and "2,350" read alike;
* every run of punctuation, symbols and whitespace becomes one space — or one
  newline if it spans a line break (shingles do not cross lines).

Combining marks are kept as part of words: they are letters in Devanagari,
Thai or Arabic, not punctuation.

The key is computed on an array of code points, for a whole batch of texts at
once, with a lookup table built once per process from ``unicodedata``: a
Python call (or a Unicode-aware regex) per character would cost more than
everything else in the stage. A character whose folding is several letters
("ß" -> "ss", "ﬁ" -> "fi") is expanded in the array; a text that is not in NFC
(decomposed accents) is first normalised by ``unicodedata`` so that accents
compose before the per-character table applies.

The exact pass hashes the whole key (line breaks as spaces) with xxh3-64.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import xxhash

from .. import cache

try:  # C loops for the per-character steps (see kernels.pyx); numpy otherwise
    from . import kernels
except ImportError:  # pragma: no cover - installed without a C compiler
    kernels = None

SEP, NEWLINE, WORD, DIGIT = 0, 1, 2, 3  # separators sort first: "c < WORD" is one test
_LINE_BREAKS = "\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_SPACE, _NL, _ZERO = 32, 10, 48


def _char_class(ch: str) -> int:
    if ch in _LINE_BREAKS:
        return NEWLINE
    cat = unicodedata.category(ch)
    if cat == "Nd":
        return DIGIT
    if cat[0] in "LMN" and ch != "_":
        return WORD
    return SEP


EXPAND = 4  # class of a character whose folding is several characters ("ß" -> "ss")
_BMP = 0x10000


@lru_cache(maxsize=1)
def tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-code-point tables of the Basic Multilingual Plane.

    ``table[cp] = folded | class << 24``: the NFKC + casefold image of cp (when
    it is one character) and its class (separator, word, digit, line break, or
    EXPAND). For an EXPAND character, ``folded`` is a row of ``expansions``
    (up to 4 code points, zero-padded) and ``expansion_len`` its length.

    Working them out looks at 65,536 characters one by one (a twentieth of a
    second, at the start of every run), so they are kept in the disk cache
    (:mod:`normalize.cache`), keyed on this module's source and the Unicode
    version.
    """
    t = cache.derived("dedup-fold", lambda: [Path(__file__).read_bytes()], _derive_tables)
    return t["table"], t["expansions"], t["lengths"]


def _derive_tables() -> dict[str, np.ndarray]:
    table = np.zeros(_BMP, dtype=np.uint32)
    rows: list[list[int]] = []
    for cp in range(_BMP):
        ch = chr(cp)
        if 0xD800 <= cp <= 0xDFFF:
            table[cp] = _SPACE | SEP << 24
            continue
        folded = unicodedata.normalize("NFKC", ch).casefold()
        if len(folded) == 1 and ord(folded) < _BMP:
            table[cp] = ord(folded) | _char_class(folded) << 24
        elif not any(unicodedata.category(c)[0] in "LN" for c in folded):
            table[cp] = _SPACE | SEP << 24  # "…" -> "...", "´" -> " ́": punctuation either way
        elif len(folded) <= 4 and all(ord(c) < _BMP for c in folded):
            table[cp] = len(rows) | EXPAND << 24
            rows.append([ord(c) for c in folded])
        else:
            table[cp] = cp | WORD << 24  # long compatibility forms ("ﷺ"): kept whole
    expansions = np.zeros((len(rows), 4), dtype=np.uint32)
    lengths = np.zeros(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        expansions[i, : len(row)] = row
        lengths[i] = len(row)
    # the characters of an expansion are already folded: look their classes up
    klass = table[expansions] >> np.uint32(24)
    table_ok = (klass != EXPAND) | (expansions == 0)
    assert table_ok.all(), "an expansion expands again"
    return {"table": table, "expansions": expansions, "lengths": lengths}


def _lookup(cps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    table = tables()[0]
    astral = cps >= _BMP
    v = table[np.minimum(cps, _BMP - 1)]
    f, c = v & np.uint32(0xFFFFFF), v >> np.uint32(24)
    if astral.any():
        # beyond the BMP (rare): identity; emoji and tags are separators, the rest letters
        a = cps[astral]
        sep = ((a >= 0x1F000) & (a < 0x1FB00)) | ((a >= 0xE0000) & (a < 0xE0080))
        f[astral] = a
        c[astral] = np.where(sep, SEP, WORD)
    return f, c


@dataclass
class KeyBatch:
    """The keys of several texts in one array: ``points`` (uint32 code points;
    32 between words, 10 between lines and between documents); document i is
    ``points[starts[i]:ends[i]]``. Working on a whole batch at once pays numpy's
    per-call overhead once, not once per document."""

    points: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def single(cls, points: np.ndarray) -> "KeyBatch":
        return cls(points, np.array([0]), np.array([len(points)]))

    def __len__(self) -> int:
        return len(self.starts)

    def doc(self, i: int) -> np.ndarray:
        return self.points[self.starts[i] : self.ends[i]]

    def owner(self, positions: np.ndarray) -> np.ndarray:
        """The document each of ``positions`` (sorted or not) lies in."""
        return np.searchsorted(self.starts, positions, side="right") - 1


def _fold(cps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Folded code points, their classes, and (if any character expanded, like
    "ß" -> "ss") how many points each input point became."""
    f, c = _lookup(cps)
    at = np.flatnonzero(c == EXPAND)
    if len(at) == 0:
        return f, c, None
    _, expansions, lengths = tables()
    row = f[at].astype(np.int64)
    lens = np.ones(len(f), dtype=np.int64)
    lens[at] = lengths[row]
    out = np.repeat(f, lens)
    start = (np.cumsum(lens) - lens)[at]
    for k in range(expansions.shape[1]):
        sel = lengths[row] > k
        out[start[sel] + k] = expansions[row[sel], k]
    f, c = _lookup(out)
    return f, c, lens


def batch_keys(texts: list[str], nfc: bool = False) -> KeyBatch:
    """The lined keys of many texts in a fixed number of array operations.

    ``nfc``: the texts are known to be NFC (a run's Normalise made them so).
    The table folds one code point at a time, which is NFKC only for text in
    NFC, so a text is otherwise checked first (a seventh of the instructions
    of a batch's fingerprints go to that check alone) and made over if it is not."""
    fixed = texts if nfc else [
        t if t.isascii() or unicodedata.is_normalized("NFC", t) else unicodedata.normalize("NFKC", t) for t in texts]
    # documents are joined by a line break: it merges with the separators around
    # it into one newline, which then divides the documents in the output
    cps = np.frombuffer("\n".join(fixed).encode("utf-32-le"), dtype=np.uint32)
    joins = np.cumsum(np.fromiter((len(t) + 1 for t in fixed), dtype=np.int64, count=len(fixed)))[:-1] - 1
    out, kept_through = (_fold_runs if kernels is None else _fold_runs_c)(cps, joins)
    total = len(out)
    if total and (out[-1] == _SPACE or out[-1] == _NL):
        total -= 1
    # document i+1 starts after the newline kept at or before join i
    starts = np.concatenate(([0], kept_through)).astype(np.int64)
    ends = np.maximum(np.concatenate((starts[1:] - 1, [total])), starts)
    return KeyBatch(out[:total], np.minimum(starts, total), np.minimum(ends, total))


def _fold_runs(cps: np.ndarray, joins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fold the code points of joined texts (``joins``: where the joining line
    breaks are) and squeeze their runs of digits and separators. Returns the
    folded points (a trailing separator included) and, per join, how many of
    them lie up to and including it."""
    f, c, lens = _fold(cps)
    if lens is not None:
        joins = joins + (np.cumsum(lens) - np.arange(1, len(lens) + 1))[joins]
    sep = c < WORD
    keep = ~sep
    digit = c == DIGIT
    f[digit] = _ZERO
    keep[1:] &= ~(digit[1:] & digit[:-1])  # a run of digits is one "0"
    sep_at = np.flatnonzero(sep)
    if len(sep_at):
        run = np.flatnonzero(np.diff(sep_at, prepend=-2) != 1)  # first separator of each run
        # a run holding a line break becomes "\n", any other one " " (10 < 32: take the min)
        mark = np.where(c[sep_at] == NEWLINE, np.uint32(_NL), np.uint32(_SPACE))
        first = sep_at[run]
        f[first] = np.minimum.reduceat(mark, run)
        keep[first] = True
        keep[0] = keep[0] and not sep[0]  # a leading run is dropped
    kept_through = np.cumsum(keep.view(np.uint8), dtype=np.int64)
    return f[keep], kept_through[joins]


def _fold_runs_c(cps: np.ndarray, joins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_fold_runs` as one C loop (:func:`.kernels.fold_key`)."""
    table, expansions, lengths = tables()
    kept_through = np.empty(len(joins), dtype=np.int64)
    out = np.empty(len(cps) + len(cps) // 8 + 16, dtype=np.uint32)
    total = kernels.fold_key(cps, table, expansions, lengths, joins, out, kept_through)
    if total < 0:  # many characters expanded: room for all of them expanding
        out = np.empty(4 * len(cps) + 16, dtype=np.uint32)
        total = kernels.fold_key(cps, table, expansions, lengths, joins, out, kept_through)
    return out[:total], kept_through


def key_points(text: str) -> np.ndarray:
    """The lined key of one text as a uint32 array of code points."""
    return batch_keys([text]).points


def points_text(points: np.ndarray) -> str:
    return points.astype(np.uint32).tobytes().decode("utf-32-le")


def lined_key(text: str) -> str:
    """The key with line breaks kept, as single newlines between non-empty lines."""
    return points_text(key_points(text))


def normalise_key(text: str) -> str:
    """NFKC, casefold, digits folded, punctuation and whitespace squeezed to one space."""
    return lined_key(text).replace("\n", " ")


def line_keys(text: str) -> list[str]:
    """The key of each non-empty line, in order."""
    key = lined_key(text)
    return key.split("\n") if key else []


def exact_hash_points(points: np.ndarray) -> int:
    """64-bit hash of a key (line breaks count as spaces): equal keys, equal hashes, everywhere."""
    return exact_hashes(KeyBatch.single(points))[0]


def exact_hashes(batch: KeyBatch) -> list[int]:
    """:func:`exact_hash_points` of each key of a batch: the line breaks made
    spaces once for the batch, and each key hashed where it lies."""
    flat = np.where(batch.points == _NL, np.uint32(_SPACE), batch.points).astype("<u4")
    digest = xxhash.xxh3_64_intdigest
    return [digest(flat[start:end]) for start, end in zip(batch.starts.tolist(), batch.ends.tolist())]


def exact_hash(text: str) -> int:
    """The exact-pass hash of a text."""
    return exact_hash_points(key_points(text))
