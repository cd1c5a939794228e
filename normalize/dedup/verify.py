"""Verification: is a candidate pair really a duplicate?

LSH only says two signatures agree on a band; the decision is made on the
exact shingle sets (sorted arrays of 32-bit shingle hashes, see
:class:`.shingles.ShingleSet`). Call the smaller set A and the larger B.

Whole copies
    Reprints, light edits, copies with an added update paragraph or a new
    title: Jaccard ``|A & B| / |A | B|`` at or above ``threshold``.

Partial copies
    When A lies inside B (containment ``|A & B| / |A|`` at or above
    ``containment``) but B holds clearly more (A has less than
    ``full_copy_share`` of B's shingles), A is a *part* of B, and the question
    is which part. Two kinds of page look like that:

    * a truncated syndication: the story cut short late, so it keeps the
      headline, the lede and most of the paragraphs;
    * an excerpt: a teaser, a "read more" block, a page quoting a story's
      opening, or another article built on the same wire lede. It carries the
      first few paragraphs and nothing else.

    Counting words alone cannot tell them apart, because ledes are long: the
    first four paragraphs of a twelve-paragraph story are often half its
    words. Counting paragraphs can: the excerpt carries a third of them, the
    truncation two thirds or more. So a partial copy must carry at least
    ``min_line_share`` of B's lines (a line is carried when at least half of
    its shingles are in A; lines too short for a shingle are not counted)
    *and* at least ``min_word_share`` of B's shingles — or, whatever the
    lines say, at least ``word_share_alone`` of B's shingles (most of the
    story's words: cleaning can leave a few stray lines in one copy, and
    lines are the noisier count). This replaces the Jaccard test for such
    pairs, since the Jaccard similarity of a contained A is just its word
    share.

    A partial copy must also have ``min_containment_shingles`` shingles: a
    three-word line is "contained" in anything.

    The headline settles the short stories. For a story of up to about seven
    paragraphs, a truncation (four of seven, say) and an excerpt of the same
    four paragraphs carry the same share of lines; what the truncation has and
    the excerpt lacks is the story's headline. So when both texts *open* with
    the same headline — first lines short enough to be one (at most
    ``headline_max_shingles`` shingles, about twenty words) agreeing by half
    their shingles — the line share asked drops to ``headline_line_share``.
    The first line is compared as a line, not looked up anywhere in the other
    text: the words of a headline often recur in the body,
    and an excerpt that merely contains its words is not opened by it.

Sets without a layout (read back from an incremental index, which stores only
the hashes) are judged on words alone: containment with ``min_size_ratio``
of B's shingles, as before lines were known.

Known limits: when cleaning has dropped a page title (short title lines
in the page head often look like navigation), the copies no longer open with
it and the stricter line share applies; and when a story's own first
paragraph is headline-like and the page title is gone, an excerpt opens with
it too and is treated as a copy that keeps its headline. An excerpt of four
paragraphs of a title-less story of five to seven is indistinguishable from
a truncation of it. Two texts whose cleaned keys are identical are copies
whatever their pages were.
"""
from __future__ import annotations

import threading
from typing import Optional

import numpy as np

from .key import kernels
from .settings import DedupSettings
from .shingles import layout


def members(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each value of sorted ``a``: is it in sorted ``b``? (distinct values)"""
    if len(a) == 0 or len(b) == 0:
        return np.zeros(len(a), dtype=bool)
    pos = np.searchsorted(b, a)
    pos[pos == len(b)] = 0
    return b[pos] == a


def overlap(a: np.ndarray, b: np.ndarray) -> int:
    """Size of the intersection of two sorted arrays of distinct values."""
    if kernels is not None and a.dtype == b.dtype == np.uint32:
        return int(overlaps(a, [b])[0])
    if len(a) > len(b):
        a, b = b, a
    return int(np.count_nonzero(members(a, b)))


def overlaps(mine: np.ndarray, others: list[np.ndarray]) -> np.ndarray:
    """:func:`overlap` of ``mine`` with each of ``others``, in one pass: every
    value of the others is looked up in ``mine`` at once, and the hits are
    counted per array (a kept copy is checked against all its candidates so).

    With the kernels built, each pair is a merge of the two sorted arrays in C
    (:func:`.kernels.intersection_sizes`). In numpy: most candidates LSH
    proposes share little with the kept copy, so most values are not in
    ``mine``. A binary search costs a dozen dependent reads per value; a table
    marking the low bits of ``mine``'s values (a quarter of a megabyte, which
    stays in the CPU cache) answers "certainly not" in one, and only the values
    it lets through are searched. The counts are exact either way.
    """
    if not others or len(mine) == 0:
        return np.zeros(len(others), dtype=np.int64)
    if kernels is not None and mine.dtype == np.uint32 and all(o.dtype == np.uint32 for o in others):
        out = np.empty(len(others), dtype=np.int64)
        kernels.intersection_sizes(np.ascontiguousarray(mine), [np.ascontiguousarray(o) for o in others], out)
        return out
    flat = np.asarray(np.concatenate(others))
    mine = np.asarray(mine)
    if len(mine) <= _SIEVE_MAX:
        maybe = _sieve.maybe_in(mine, flat)
        found = maybe[members(flat[maybe], mine)]
    else:  # the table would let most values through: search them all
        found = np.flatnonzero(members(flat, mine))
    ends = np.cumsum([len(o) for o in others])
    return np.diff(np.searchsorted(found, ends), prepend=0)


def overlaps_reaching(mine: np.ndarray, others: list[np.ndarray], settings: DedupSettings) -> np.ndarray:
    """:func:`overlaps`, where a count below :func:`least_overlap` (of the two
    sets' sizes) need not be exact: -1 may stand for it. Verification asks
    this: of the pairs LSH proposes, most are no copies, and a merge of two
    sorted sets can stop as soon as the values left cannot make up the
    shortfall (:func:`.kernels.intersection_sizes_reaching`)."""
    if kernels is not None and len(mine):
        # The sets are contiguous 32-bit arrays as stored and read back: handed
        # over as they are (at 100k documents, checking and converting a
        # million of them took a third of the time of the merges); the kernel
        # refuses any other, and then numpy counts them all.
        out = np.empty(len(others), dtype=np.int64)
        try:
            kernels.intersection_sizes_reaching(mine, others, settings.threshold, settings.containment,
                                                settings.min_containment_shingles, out)
            return out
        except (ValueError, TypeError):  # (not C-contiguous uint32)
            pass
    return overlaps(mine, others)


def least_overlap(a: int, b: int, settings: DedupSettings) -> int:
    """A count of shared shingles under which sets of ``a`` and ``b`` shingles
    are no copies, whatever the shingles: :func:`similarity_given` needs a
    Jaccard similarity of ``threshold``, or a containment of ``containment``
    of a smaller set of at least ``min_containment_shingles``. (One shingle
    short of each bound, against rounding.)"""
    small, big = min(a, b), max(a, b)
    t = settings.threshold
    least = t * (small + big) / (1 + t)
    if small >= settings.min_containment_shingles:
        least = min(least, settings.containment * small)
    return max(0, int(least) - 1)


def least_overlaps(size: int, sizes: np.ndarray, settings: DedupSettings) -> np.ndarray:
    """:func:`least_overlap` of a set of ``size`` shingles with sets of each of
    ``sizes``, at once (a node's thousand candidates: a call each would cost
    more than the bound saves, see :mod:`.bound`). Worked out as the merge
    works it out (floating point, the same operations in the same order), so
    that a pair ruled out with it is one the merge would give up on."""
    sizes = np.asarray(sizes, dtype=np.int64)
    small, big = np.minimum(size, sizes), np.maximum(size, sizes)
    t = settings.threshold
    least = t * (small + big) / (1 + t)
    least = np.where(small >= settings.min_containment_shingles, np.minimum(least, settings.containment * small), least)
    return np.maximum(least.astype(np.int64) - 1, 0)


_SIEVE_BITS = 18
_SIEVE_MAX = 1 << (_SIEVE_BITS - 5)  # at most 1 value in 32 let through by chance


class _Sieve(threading.local):
    """A table of 2**18 flags, cleared after each use (not reallocated: a quarter
    of a megabyte zeroed per kept copy would cost more than the look-ups)."""

    def __init__(self) -> None:
        self.flags = np.zeros(1 << _SIEVE_BITS, dtype=bool)

    def maybe_in(self, mine: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Positions of ``values`` that may be in ``mine`` (all that are, and a few more)."""
        mask = np.uint32((1 << _SIEVE_BITS) - 1)
        slots = mine & mask
        self.flags[slots] = True
        maybe = np.flatnonzero(self.flags[values & mask])
        self.flags[slots] = False
        return maybe


_sieve = _Sieve()


def line_share(lines: np.ndarray, shared: np.ndarray) -> float:
    """Share of a document's lines (those with shingles) that are carried by the
    other document: at least half of the line's shingles are shared.
    ``lines[i]`` is the line of shingle i, ``shared[i]`` whether it is shared."""
    if len(lines) == 0:
        return 0.0
    total = np.bincount(lines)
    hits = np.bincount(lines, weights=shared, minlength=len(total))
    has = total > 0
    return float(np.count_nonzero(has & (2 * hits >= total)) / np.count_nonzero(has))


def is_partial_copy(small: np.ndarray, big: np.ndarray, inter: int, settings: DedupSettings) -> bool:
    """Does ``small`` (contained in ``big``) carry enough of ``big`` to be a cut-short copy
    of it rather than an excerpt? See the module docstring."""
    words = inter / len(big)
    if words >= settings.word_share_alone:
        return True
    lines = layout(big)
    if lines is None:  # no layout (an index set): words only
        return words >= settings.min_size_ratio
    if words < settings.min_word_share:
        return False
    found = _carried_c(small, big, lines, settings.headline_max_shingles) if kernels is not None else None
    if found is None:
        share = line_share(lines, members(np.asarray(big), np.asarray(small)))
        headline = same_headline(small, big, settings.headline_max_shingles)
    else:
        share, headline = found
    return share >= (settings.headline_line_share if headline else settings.min_line_share)


_NO_LINES = np.empty(0, dtype=np.int32)


def _carried_c(small: np.ndarray, big: np.ndarray, big_lines: np.ndarray,
               max_shingles: int) -> Optional[tuple[float, bool]]:
    """(:func:`line_share` of ``big``'s lines carried by ``small``, :func:`same_headline`)
    in one merge of the two sets (:func:`.kernels.carried_lines`), where numpy
    makes a dozen small arrays: at a million generated documents, judging the
    partial copies so took 40% of the verifying helpers' samples. None if the
    arrays are not the contiguous 32-bit ones the store gives (numpy then)."""
    small_lines = layout(small)
    try:
        carried, counted, head_small, head_big, head_both = kernels.carried_lines(
            small, _NO_LINES if small_lines is None else small_lines, big, big_lines)
    except (ValueError, TypeError):
        return None
    return (carried / counted if counted else 0.0), _heads_agree(head_small, head_big, head_both, len(big_lines),
                                                                 max_shingles)


def same_headline(small: np.ndarray, big: np.ndarray, max_shingles: int) -> bool:
    """Do both copies open with the same headline: first lines short enough to be
    one (at most ``max_shingles`` shingles) whose shingle sets agree by half
    (Jaccard)? A retitled copy ("... | Update", upper case) still agrees."""
    small_lines, big_lines = layout(small), layout(big)
    if small_lines is None:
        return False
    head_big = np.asarray(big)[big_lines == 0]
    head_small = np.asarray(small)[small_lines == 0]
    return _heads_agree(len(head_small), len(head_big), overlap(head_small, head_big), len(big_lines), max_shingles)


def _heads_agree(head_small: int, head_big: int, shared: int, big_size: int, max_shingles: int) -> bool:
    """:func:`same_headline` from counts: the shingles on each text's first line,
    those on both, and the longer text's shingles in all."""
    return (0 < head_small <= max_shingles and 0 < head_big <= max_shingles and head_big < big_size
            and 2 * shared >= head_small + head_big - shared)


def similarity(a: np.ndarray, b: np.ndarray, settings: DedupSettings) -> Optional[float]:
    """The similarity that makes ``a`` and ``b`` duplicates, or None if they are not.

    For a whole copy it is the Jaccard similarity; for a partial copy the
    containment (it says more about a truncated copy than Jaccard does).
    """
    return similarity_given(a, b, overlap(a, b), settings)


def similarity_given(a: np.ndarray, b: np.ndarray, inter: int, settings: DedupSettings) -> Optional[float]:
    """:func:`similarity`, the size of the intersection being known already."""
    if len(a) == 0 or len(b) == 0:
        return None
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    jaccard = inter / (len(small) + len(big) - inter)
    if _partial(len(small), len(big), inter, settings):
        return max(inter / len(small), jaccard) if is_partial_copy(small, big, inter, settings) else None
    return jaccard if jaccard >= settings.threshold else None


def needs_layout(a: int, b: int, inter: int, settings: DedupSettings) -> bool:
    """Does :func:`similarity_given` of sets of ``a`` and ``b`` shingles sharing
    ``inter`` look at their lines? Only for a partial copy; a whole copy is
    judged on the counts alone, and its set's line numbers need not be read."""
    return a > 0 and b > 0 and _partial(min(a, b), max(a, b), inter, settings)


def _partial(small: int, big: int, inter: int, settings: DedupSettings) -> bool:
    """Is the smaller set contained in the bigger one, which holds clearly more?"""
    return (inter / small >= settings.containment and inter < settings.full_copy_share * big
            and small >= settings.min_containment_shingles)
