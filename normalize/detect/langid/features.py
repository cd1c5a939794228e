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
an n-gram is an integer instead, so that all the n-grams of a text are built
with a few shifts over an array and found in the profiles with a vectorised
hash table (:mod:`.gramtable`). The profiles use only about 3,200 distinct
characters, so each character is first given a small *character id* (12 bits:
:data:`SPACE_ID` for the space, :data:`UNKNOWN_ID` for every character no
profile has, so that no n-gram holding one is ever found), and an n-gram is
its ids packed 12 bits apiece: 36 bits at most, which leaves room in a 64-bit
word for the row it maps to.
"""
from __future__ import annotations

import numpy as np

BITS = 12  # bits per character id
SPACE_ID = 1  # id 0 is "no character", never a character's
UNKNOWN_ID = (1 << BITS) - 1  # every character that no profile n-gram holds


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


def gram_key(ids: list[int]) -> int:
    """An n-gram (the ids of its 1 to 3 characters) as one integer: first character in the low bits."""
    key = 0
    for k, c in enumerate(ids):
        key |= c << (BITS * k)
    return key


def text_grams(ids: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Candidate n-gram keys of a text as character ids, words separated by :data:`SPACE_ID`.

    ``upper``: whether each character is upper case. Returns an int64 array
    (3, n): row ``k`` holds the (k+1)-grams STARTING at each position of the
    text padded with a space on both sides (langdetect's window starts on a
    space), 0 where there is no n-gram (a lone space is left as it is: no
    profile has it, so it finds no row).
    """
    n = ids.size + 2
    keys = np.empty((3, n), dtype=np.int64)
    c = keys[0]  # the 1-grams are the characters (a lone space's row is 0: no profile has it)
    c[0] = c[-1] = SPACE_ID
    c[1:-1] = ids
    np.left_shift(c[1:], BITS, out=keys[1, :-1])
    keys[1, :-1] |= c[:-1]
    keys[1, -1] = 0
    np.left_shift(c[2:], 2 * BITS, out=keys[2, :-2])
    keys[2, :-2] |= keys[1, :-2]
    keys[2, -2:] = 0
    keys[2, :-2] *= c[1:-1] != SPACE_ID  # windows across a space ("x y") are never n-grams

    # capital-word rule: drop the n-grams that END on a capital after a capital
    # (the padding spaces are not capitals)
    run = upper[1:] & upper[:-1]  # run[i]: character i + 1 ends such a pair
    if run.any():
        # character i + 1 is padded position i + 2: its 1-gram starts there, its
        # 2-gram one before, its 3-gram two before
        keys[0, 2:-1][run] = 0
        keys[1, 1:-2][run] = 0
        keys[2, :-3][run] = 0
    return keys
