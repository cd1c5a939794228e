"""Verification: is a candidate pair really a duplicate?

LSH only says two signatures agree on a band; the decision is made on the
exact shingle sets (sorted arrays of 32-bit shingle hashes):

* Jaccard ``|A & B| / |A | B|`` at or above ``threshold``: reprints, light
  edits, copies with an added update paragraph or a new title.
* Containment ``|A & B| / min(|A|, |B|)`` at or above ``containment``: a
  truncated syndication is most of the story and nothing else. Containment is
  only trusted when the shorter text is big enough (a three-word line is
  "contained" in anything) and is a good part of the longer one (a story
  quoting four paragraphs of another is an excerpt, not a copy).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from .settings import DedupSettings


def overlap(a: np.ndarray, b: np.ndarray) -> int:
    """Size of the intersection of two sorted arrays of distinct values."""
    if len(a) > len(b):
        a, b = b, a
    if len(a) == 0:
        return 0
    pos = np.searchsorted(b, a)
    pos[pos == len(b)] = 0
    return int(np.count_nonzero(b[pos] == a))


def similarity(a: np.ndarray, b: np.ndarray, settings: DedupSettings) -> Optional[float]:
    """The similarity that makes ``a`` and ``b`` duplicates, or None if they are not.

    When both tests pass, the higher value is returned: containment says more
    about a truncated copy than its Jaccard similarity does.
    """
    if len(a) == 0 or len(b) == 0:
        return None
    inter = overlap(a, b)
    passed = []
    jaccard = inter / (len(a) + len(b) - inter)
    if jaccard >= settings.threshold:
        passed.append(jaccard)
    small, big = sorted((len(a), len(b)))
    if small >= settings.min_containment_shingles and small >= settings.min_size_ratio * big:
        contained = inter / small
        if contained >= settings.containment:
            passed.append(contained)
    return max(passed) if passed else None
