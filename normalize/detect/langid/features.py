"""The n-grams langdetect reads from a text, found with array operations.

After normalisation (:mod:`.tables`) langdetect walks the text with a
three-character window that restarts at every space, and emits, at each
character, the 1-, 2- and 3-gram ending there. For a word ``w`` that is every
substring of ``" " + w + " "`` of length 1 to 3, except the lone spaces
(:func:`word_ngrams`, the reference definition). One rule breaks the pattern:
inside a run of capitals (``NATO``, ``BBC``) the n-grams ending at the second
and later capitals are dropped, since acronyms say little about the language
around them.

Doing that in Python costs a string and a dictionary look-up per n-gram. Here
an n-gram is a 64-bit integer instead - its code points packed 21 bits apiece
- so that all the n-grams of a text are built with a few shifts over its
code-point array and found in the profiles with one binary search
(:meth:`~normalize.detect.langid.profiles.Profiles.rows`). Windows that span a
space (``"x y"``) are built too, but langdetect never produces them, so no
profile has them and they are simply not found.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from normalize.detect.langid import tables

SPACE = 0x20
BITS = 21  # enough for any code point (max U+10FFFF)


def word_ngrams(word: str) -> list[str]:
    """The n-grams langdetect extracts from one normalised word, in its order."""
    s = " " + word + " "
    last = len(s) - 1
    grams = []
    for i in range(1, len(s)):
        if s[i].isupper() and s[i - 1].isupper():
            continue  # langdetect's "capital word" rule
        if i < last:
            grams.append(s[i])
        grams.append(s[i - 1 : i + 1])
        if i >= 2:
            grams.append(s[i - 2 : i + 1])
    return grams


def gram_key(gram: str) -> int:
    """An n-gram (1 to 3 characters) as one integer: first character in the low bits."""
    key = 0
    for k, ch in enumerate(gram):
        key |= ord(ch) << (BITS * k)
    return key


@dataclass(frozen=True)
class Grams:
    """Every candidate n-gram of a text, position-major (1-, 2-, 3-gram per position)."""

    keys: np.ndarray  # int64 (3 * n_positions,); 0 where there is no n-gram
    starts: np.ndarray  # int64: index of each n-gram's first character in the input


def text_grams(cps: np.ndarray) -> Grams:
    """Candidate n-grams of normalised code points in which words are separated by spaces.

    The text is padded with a space on both sides, like langdetect's window.
    Positions count from the first real character (the leading pad is -1).
    """
    c = np.empty(cps.size + 2, dtype=np.int64)
    c[0] = c[-1] = SPACE
    c[1:-1] = cps
    n = c.size
    keys = np.zeros((n, 3), dtype=np.int64)
    keys[:, 0] = c
    keys[:-1, 1] = c[:-1] | (c[1:] << BITS)
    keys[:-2, 2] = c[:-2] | (c[1:-1] << BITS) | (c[2:] << (2 * BITS))
    keys[c == SPACE, 0] = 0  # a lone space is not an n-gram

    # capital-word rule: drop the n-grams that END on a capital after a capital
    upper = tables.upper_mask(c)
    run = np.zeros(n, dtype=bool)
    run[1:] = upper[1:] & upper[:-1]
    keys[run, 0] = 0
    keys[:-1, 1][run[1:]] = 0
    keys[:-2, 2][run[2:]] = 0

    starts = np.repeat(np.arange(-1, n - 1, dtype=np.int64), 3)
    return Grams(keys=keys.ravel(), starts=starts)
