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
code-point array and found in the profiles with a vectorised hash table
(:mod:`.gramtable`).
"""
from __future__ import annotations

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


def text_grams(cps: np.ndarray, wide: bool | None = None) -> np.ndarray:
    """Candidate n-gram keys of normalised code points whose words are separated by spaces.

    Returns an int64 array (3, n): row ``k`` holds the (k+1)-grams STARTING at
    each position of the text padded with a space on both sides (langdetect's
    window starts on a space), 0 where there is no n-gram. ``wide``: whether any
    code point is beyond the BMP, if the caller knows.
    """
    c = np.empty(cps.size + 2, dtype=np.int64)
    c[0] = c[-1] = SPACE
    c[1:-1] = cps
    n = c.size
    space = c == SPACE
    keys = np.zeros((3, n), dtype=np.int64)
    np.multiply(c, ~space, out=keys[0])  # a lone space is not an n-gram
    keys[1, :-1] = c[:-1] | (c[1:] << BITS)
    keys[2, :-2] = keys[1, :-2] | (c[2:] << (2 * BITS))
    keys[2, :-2][space[1:-1]] = 0  # windows across a space ("x y") are never n-grams

    # capital-word rule: drop the n-grams that END on a capital after a capital
    upper = tables.upper_mask(c, wide)
    if upper.any():
        run = upper[1:] & upper[:-1]  # run[i]: position i + 1 ends such a pair
        keys[0, 1:][run] = 0
        keys[1, :-1][run] = 0
        keys[2, :-2][run[1:]] = 0
    return keys
