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
    """The candidate n-grams of a text, one array per order, aligned on positions.

    Position ``p`` is the ``p``-th character of the text padded with a space on
    both sides (langdetect's window starts on a space); ``unigrams[p]`` is the
    code point there, ``bigrams[p]`` and ``trigrams[p]`` the keys of the 2- and
    3-gram STARTING there. 0 marks "no n-gram at this position".
    """

    unigrams: np.ndarray  # int64 (n,)
    bigrams: np.ndarray  # int64 (n,)
    trigrams: np.ndarray  # int64 (n,)


def text_grams(cps: np.ndarray, wide: bool | None = None) -> Grams:
    """Candidate n-grams of normalised code points whose words are separated by spaces
    (``wide``: whether any is beyond the BMP, if already known)."""
    c = np.empty(cps.size + 2, dtype=np.int64)
    c[0] = c[-1] = SPACE
    c[1:-1] = cps
    n = c.size
    space = c == SPACE
    uni = np.where(space, 0, c)  # a lone space is not an n-gram
    bi = np.zeros(n, dtype=np.int64)
    bi[:-1] = c[:-1] | (c[1:] << BITS)
    tri = np.zeros(n, dtype=np.int64)
    tri[:-2] = c[:-2] | (c[1:-1] << BITS) | (c[2:] << (2 * BITS))
    # windows across a space ("x y") and double spaces are never n-grams
    tri[:-2][space[1:-1]] = 0
    bi[:-1][space[:-1] & space[1:]] = 0

    # capital-word rule: drop the n-grams that END on a capital after a capital
    upper = tables.upper_mask(c, wide)
    if upper.any():
        run = upper[1:] & upper[:-1]  # run[i]: position i + 1 ends such a pair
        uni[1:][run] = 0
        bi[:-1][run] = 0
        tri[:-2][run[1:]] = 0
    return Grams(unigrams=uni, bigrams=bi, trigrams=tri)
