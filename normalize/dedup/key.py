"""The normalised key a document is compared on.

Two copies of one story differ in ways that say nothing about the story:
typographic quotes, non-breaking spaces, full-width forms, letter case, the
number of spaces, a date or a figure updated in passing. The key removes those
differences before anything is hashed:

* NFKC folds compatibility forms (full-width letters, ligatures, NBSP);
* casefold() is case folding that also handles ß and final sigma;
* every run of digits becomes "0", so "2,300" and "2,350" read alike;
* every run of punctuation, symbols and whitespace becomes one space.

Combining marks are kept as part of words: they are letters in Devanagari,
Thai or Arabic, not punctuation (Python's ``\\w`` alone would split on them).
The exact pass hashes the whole key with xxh3-64; the same key feeds shingling.
"""
from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

import xxhash

_DIGITS = re.compile(r"\d+")


@lru_cache(maxsize=1)
def _separator_re() -> re.Pattern:
    """Anything that is not a letter, digit or combining mark, and the underscore."""
    ranges = []
    start = None
    for cp in range(0x300, min(sys.maxunicode, 0x1FFFF) + 1):
        is_mark = unicodedata.category(chr(cp))[0] == "M"
        if is_mark and start is None:
            start = cp
        elif not is_mark and start is not None:
            ranges.append((start, cp - 1))
            start = None
    marks = "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)
    return re.compile(f"(?:[^\\w\\n{marks}]|_)+")


_NEWLINES = re.compile(r" ?\n[ \n]*")


def lined_key(text: str) -> str:
    """The key with line breaks kept, as single newlines between non-empty lines."""
    s = unicodedata.normalize("NFKC", text).casefold()
    s = _DIGITS.sub("0", s)
    s = _separator_re().sub(" ", s)
    return _NEWLINES.sub("\n", s).strip(" \n")


def flat_key(lined: str) -> str:
    """A lined key with its line breaks turned into spaces."""
    return lined.replace("\n", " ")


def normalise_key(text: str) -> str:
    """NFKC, casefold, digits folded, punctuation and whitespace squeezed to one space."""
    return flat_key(lined_key(text))


def line_keys(text: str) -> list[str]:
    """The key of each non-empty line, in order."""
    return lined_key(text).split("\n") if text.strip() else []


def exact_hash(key: str, seed: int = 0) -> int:
    """64-bit hash of a key: equal keys, equal hashes, on every machine."""
    return xxhash.xxh3_64_intdigest(key.encode("utf-8"), seed=seed)
