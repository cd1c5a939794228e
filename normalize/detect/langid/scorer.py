"""Text in, per-line log-likelihoods out.

The steps mirror langdetect's ``Detector.append`` / ``cleaning_text`` /
``_extract_ngrams``, applied to every line of a text at once:

1. URLs and e-mail addresses become spaces; Vietnamese letters written with a
   combining accent are composed into one character (langdetect's regexes).
2. In a line where letters of another script make up a third or more, the
   ASCII letters are dropped: an Urdu or Russian line carrying a site name,
   "iPhone" or a dateline in Latin letters is judged on its own script. Latin
   boilerplate is everywhere on non-Latin pages; the reverse is rare. langdetect
   does this only past two thirds (and counts punctuation such as curly quotes
   as "other"), for the whole text; we count letters by script, per line, since
   a document mixes lines of different scripts.
3. Characters are normalised with langdetect's table, the n-grams of the
   whole text are built and looked up at once (:mod:`.features`), and their
   rows of log-probabilities are summed per line. One look-up per character
   (:attr:`~.profiles.Profiles.codes`) gives its script, its normalised form
   as a small id, and whether that is upper case.
4. A line already scored (the same text, cut the same way) is not read
   again: its sums and its letters by script are remembered (:mod:`.memo`),
   and only the new lines of a text go through steps 1-3. Pages share their
   chrome, and reprints their paragraphs.

Nothing is random, so the same text always gets the same numbers. Like
langdetect, which reads only the first 10,000 characters, a long text can be
read in part: with a ``budget``, the longest lines are cut to their first
sentences (:func:`line_caps`), so that every line still has its own evidence
but an article costs about as much as a few paragraphs. The per-line sums are
one sparse-matrix product (:func:`_line_sums`), not a Python loop over lines.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, Sequence

import numpy as np
from langdetect.detector import Detector
from langdetect.utils.ngram import NGram

from normalize.detect import scripts
from normalize.detect.langid import tables
from normalize.detect.langid.features import UNKNOWN_ID, text_grams
from normalize.detect.langid.memo import LIMIT, MEMO
from normalize.detect.langid.profiles import ID_MASK, SCRIPT_SHIFT, UPPER_BIT, load_profiles
from normalize.memo import remember

kernels: Any  # (the C module, or None)
try:  # the n-gram look-up as one C loop (see kernels.pyx); numpy otherwise
    from normalize.detect.langid import kernels  # type: ignore[attr-defined, no-redef]
except ImportError:  # pragma: no cover - installed without a C compiler
    kernels = None

_URL_RE = Detector.URL_RE
_MAIL_RE = Detector.MAIL_RE
_COMBINING_ACCENT = re.compile("[\u0300-\u0323]")  # what NGram.normalize_vi composes

# A line keeps its Latin letters only while they are at least this many times
# the letters of all other scripts together (other scripts under a third).
LATIN_KEEP_RATIO = 2
# Fewest characters of a line read when a text is sampled (line_caps): a
# sentence or two, about what the n-grams need to be right ~98% of the time.
MIN_LINE_SAMPLE = 120


@dataclass(frozen=True)
class LineScores:
    """Per-line evidence for one text (one row per ``text.split("\\n")`` line)."""

    loglik: np.ndarray  # float64 (n_lines, n_langs): sum of log p(gram | lang)
    grams: np.ndarray  # float64 (n_lines,): known n-grams in the line
    scripts: np.ndarray  # int64 (n_lines, n_scripts): letters per script id


def prepare(text: str) -> np.ndarray:
    """langdetect's ``append`` clean-up, as code points (its collapsing of spaces
    is left out: runs of spaces yield no n-grams anyway)."""
    if "://" in text:
        text = _URL_RE.sub(" ", text)
    if "@" in text:
        text = _without_mail(text)
    cps = tables.codepoints(text)
    # compose letter + accent (Vietnamese): looked for only in a text with a
    # character past the Latin letters (the maximum is one cheap pass), and in
    # the code points when the text is long (cheaper than a regex scan)
    if (cps.size and cps.max() >= 0x300
            and (len(text) < 1000 or ((cps >= 0x300) & (cps <= 0x323)).any())
            and _COMBINING_ACCENT.search(text)):
        cps = tables.codepoints(NGram.normalize_vi(text))
    return cps


def _without_mail(text: str) -> str:
    """langdetect's e-mail pattern applied to the lines holding an "@" only: it
    backtracks at every letter, and a page has an address on a line or two."""
    out: list[str] = []
    pos = 0
    at = text.find("@")
    while at >= 0:
        start = text.rfind("\n", pos, at) + 1 or pos
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        out += (text[pos:start], _MAIL_RE.sub(" ", text[start:end]))
        pos = end
        at = text.find("@", end)
    out.append(text[pos:])
    return "".join(out)


@lru_cache(maxsize=1)
def _latin_id() -> int:
    return tables.script_names().index("Latin")


def _line_sums(logp: np.ndarray, rows: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Sum the ``logp`` rows of each line's n-grams: line ``i`` owns ``rows[bounds[i]:bounds[i + 1]]``.

    This is a sparse (lines x n-grams) count matrix times ``logp``, and scipy's
    compressed-row kernel does exactly that in one C loop, adding each n-gram's
    row in text order (so a line always adds up the same way). Gathering the
    rows with numpy and reducing them costs several times more, and a Python
    loop over lines costs a call per line. :func:`.kernels.line_sums` is the
    same loop with the width of a row known to be floats side by side, which
    the compiler adds several at a time: about twice as fast, the same sums.
    """
    n_lines = bounds.size - 1
    out = np.zeros((n_lines, logp.shape[1]), dtype=np.float32)
    if rows.size and kernels is not None:  # the same loop, a row of floats at a time (see kernels.line_sums)
        if kernels.line_sums(logp, np.ascontiguousarray(rows, dtype=np.int32),
                             np.ascontiguousarray(bounds, dtype=np.int32), out) != n_lines:
            raise ValueError("n-gram rows out of step with the lines")
    elif rows.size and _csr_matvecs() is None:  # the same product through the public API
        from scipy.sparse import csr_array

        counts = csr_array((np.ones(rows.size, dtype=np.float32), rows, bounds), shape=(n_lines, logp.shape[0]))
        out[:] = counts @ logp
    elif rows.size:
        _csr_matvecs()(n_lines, logp.shape[0], logp.shape[1], bounds, rows,
                       _ones(rows.size), logp.ravel(), out.ravel())
    return out


@lru_cache(maxsize=1)
def _csr_matvecs():
    """The compressed-row kernel behind scipy.sparse's matrix product, or None.
    Imported only without the C kernels: scipy.sparse takes about a fifth
    of a second to import."""
    try:
        from scipy.sparse._sparsetools import csr_matvecs
    except ImportError:  # pragma: no cover - layout of another scipy version
        return None
    return csr_matvecs


_ONES = np.ones(0, dtype=np.float32)


def _ones(n: int) -> np.ndarray:
    """``n`` ones (the count of each n-gram), from a buffer kept between calls."""
    global _ONES
    if _ONES.size < n:
        _ONES = np.ones(max(n, 2 * _ONES.size, 4096), dtype=np.float32)
    return _ONES[:n]


def line_caps(lengths: Sequence[int], budget: int) -> int | None:
    """The most characters to read of any line so that ``lengths`` add up to about
    ``budget`` (never under :data:`MIN_LINE_SAMPLE`); None when all fit.

    The cap is the same for every long line ("water filling"): short lines are
    read whole, and a long paragraph by its first sentences, which name its
    language as surely as the rest.

    It is then rounded down to a rung of :func:`cap_rungs`. Reprints of a story
    carry its paragraphs under other chrome, so each page's water level is a
    little different, and a paragraph cut at 163 characters on one page and
    at 171 on the next would be read anew on each (a cut line is remembered
    by its text and its cap, see :mod:`.memo`). On the rungs they mostly
    agree. A text is then read from four fifths of its budget to all of it.
    """
    # (a page's few dozen lines: a plain loop costs less than array steps)
    ordered = sorted(lengths.tolist() if isinstance(lengths, np.ndarray) else lengths)
    if sum(ordered) <= budget:
        return None
    # reading every line whole up to the k-th shortest, and k..n-1 cut to its
    # length: the first k where that is over the budget (the last one is)
    n, before = len(ordered), 0
    for k, length in enumerate(ordered):
        if before + length * (n - k) > budget:
            break
        before += length
    cap = max(MIN_LINE_SAMPLE, (budget - before) // (n - k))
    rungs = cap_rungs()
    return rungs[bisect_right(rungs, cap) - 1]


@lru_cache(maxsize=1)
def cap_rungs() -> list[int]:
    """The caps a line can be cut at: :data:`MIN_LINE_SAMPLE`, then each a
    quarter more than the one before (120, 150, 187, 233, ...), in integers."""
    rungs = [MIN_LINE_SAMPLE]
    while rungs[-1] < 1 << 24:  # (more than any cap a budget of characters gives)
        rungs.append(rungs[-1] + rungs[-1] // 4)
    return rungs


def _caps(lengths: np.ndarray, budget: int, parts: list[int]) -> np.ndarray | None:
    """Per line, the characters to read (:func:`line_caps` of its document); None if all."""
    caps = np.empty(lengths.size, dtype=np.int64)
    cut = False
    start = 0
    every = lengths.tolist()
    whole = max(every, default=0) + 1  # (a cap no line reaches)
    for n in parts:
        cap = line_caps(every[start:start + n], budget)
        cut |= cap is not None
        caps[start:start + n] = whole if cap is None else cap
        start += n
    return caps if cut else None


def score_documents(texts: list[str], budget: int | None = None) -> list[LineScores]:
    """:func:`score_lines` of each text, in one pass over all of them.

    A page costs a few dozen array operations whatever its length; joined, a
    batch of pages pays them once. Each text keeps its own budget.
    """
    parts = [text.count("\n") + 1 for text in texts]
    scores = score_lines("\n".join(texts), budget, parts)
    out, start = [], 0
    for n in parts:
        rows = slice(start, start + n)
        # copies, not views: numpy's sums may round differently on an array that
        # starts elsewhere in memory, and a document must get the same figures
        # whichever batch it came in
        out.append(LineScores(scores.loglik[rows].copy(), scores.grams[rows].copy(),
                              scores.scripts[rows].copy()))
        start += n
    return out


def _known_rows(profiles, codes: np.ndarray, breaks: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The profile rows of the known n-grams of ``codes`` in text order, and where
    each line's begin (``breaks``: where the line breaks are; None: one line)."""
    rows = profiles.rows(text_grams(codes & ID_MASK, (codes & UPPER_BIT) != 0))  # (3, n_positions)
    # an n-gram belongs to the line of its first character (position p of the
    # padded text is character p - 1, and a line break reads as a space, so
    # the n-grams starting on it are the next line's); read position-major,
    # n-grams come in text order, so each line is one run
    rows = rows.T.ravel()
    known = rows > 0
    n_lines = 1 if breaks is None else breaks.size + 1
    bounds = np.empty(n_lines + 1, dtype=np.int32)  # the index type of the n-gram rows
    if breaks is not None:
        # a line after the first opens at its line break, padded position
        # break + 1: the known n-grams before it are those of positions <= break
        before = np.cumsum(known)
        bounds[0] = 0
        bounds[1:-1] = before[3 * breaks + 2]
        bounds[-1] = before[-1]
    else:
        bounds[0], bounds[1] = 0, np.count_nonzero(known)
    return rows[known], bounds


_NO_BREAKS = np.zeros(0, dtype=np.int64)


def _known_rows_c(profiles, codes: np.ndarray, breaks: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_known_rows` as one C loop (:func:`.kernels.gram_rows`)."""
    breaks = _NO_BREAKS if breaks is None else breaks.astype(np.int64, copy=False)
    rows = np.empty(3 * (codes.size + 2), dtype=np.int32)
    bounds = np.empty(breaks.size + 2, dtype=np.int32)
    table = profiles.table
    count = kernels.gram_rows(np.ascontiguousarray(codes, dtype=np.uint32), breaks, profiles.unigram_rows,
                              table.entries, table._bits, int(table._shift), rows, bounds)
    return rows[:count], bounds


def codes_of(cps: np.ndarray, wide: bool) -> np.ndarray:
    """:attr:`~.profiles.Profiles.codes` of each code point (``wide``: whether any
    is beyond the BMP; those are looked up one by one, as langdetect leaves them:
    unknown to the profiles, their own case, their script)."""
    codes = load_profiles().codes
    if not wide:
        return np.take(codes, cps)
    out = np.empty(cps.shape, dtype=np.uint32)
    low = cps < tables.BMP
    out[low] = codes[cps[low]]
    script_id = {name: i for i, name in enumerate(tables.script_names())}
    for i in np.flatnonzero(~low).tolist():
        ch = chr(int(cps[i]))
        out[i] = (UNKNOWN_ID | (UPPER_BIT if ch.isupper() else 0)
                  | script_id.get(scripts.char_script(ch), 0) << SCRIPT_SHIFT)
    return out


def score_lines(text: str, budget: int | None = None, parts: list[int] | None = None) -> LineScores:
    """Score every line of ``text`` against every language of the profiles.

    With a ``budget`` (characters), the n-grams of the longest lines are read
    from their first :func:`line_caps` characters only; letters and scripts
    still count whole. (A cut can leave half a word, a couple of n-grams
    among a hundred or more.) ``parts``: when ``text`` is several documents
    joined by line breaks, how many lines each has; the budget is then each
    document's (see :func:`score_documents`).

    A line met before (the same text, cut the same way) is not read again:
    its sums and its letters by script are remembered (:mod:`.memo`), and
    only the new lines go through the per-character steps, as one text.
    """
    return score_cut(CutLines.of(text, budget, parts))


@dataclass(frozen=True)
class CutLines:
    """The lines of a text, each with its length once prepared and the
    characters of it that are read (see :func:`score_lines`)."""

    lines: list[str]
    lengths: np.ndarray  # int64: code points of each line once prepared (see _prepared_lengths)
    caps: np.ndarray | None  # int64: characters read of each line; None: all of every line

    def __reduce__(self):  # (compiled, a frozen dataclass cannot be unpickled field by field)
        return CutLines, (self.lines, self.lengths, self.caps)

    @classmethod
    def of(cls, text: str | None, budget: int | None = None, parts: list[int] | None = None,
           lines: list[str] | None = None) -> "CutLines":
        """``lines``: ``text.split("\\n")``, if the caller has them (as objects whose
        hashes are known already, which the look-ups by line then need not work
        out); with them, ``text`` may be None (a batch's lines need not be joined)."""
        if lines is None:
            if text is None:
                raise ValueError("CutLines.of needs the text or its lines")
            lines = text.split("\n")
        lengths = _prepared_lengths(lines)
        caps = None
        size = len(text) if text is not None else sum(map(len, lines)) + len(lines) - 1
        if budget is not None and size > budget:
            caps = _caps(lengths, budget, parts or [len(lines)])
        return cls(lines, lengths, caps)

    def select(self, rows: list[int]) -> "CutLines":
        """Some of the lines, cut as they are here: a line's scores depend on
        its text and its cap alone, so they may be scored without the others."""
        at = np.asarray(rows, dtype=np.intp)
        return CutLines([self.lines[i] for i in rows], self.lengths[at],
                        None if self.caps is None else self.caps[at])


def score_cut(cut: CutLines) -> LineScores:
    """:func:`score_lines` of lines already measured and cut (:class:`CutLines`)."""
    n_langs = load_profiles().n_langs
    lines, lengths, caps = cut.lines, cut.lengths, cut.caps
    scale = None
    if caps is not None:
        # a cut line's sums stand for the whole line: scaled up by its length
        # over the cap, so that in a block of lines (judge) a long paragraph
        # read in part still outweighs a short line next to it, as it would whole
        scale = np.maximum(lengths / caps, 1.0)
    if len(lines) == 1:
        sums, scripts = _score(lines[0], caps)
    else:
        sums, scripts = _score_remembered(lines, lengths, caps, n_langs + 1)
    if scale is not None:
        sums *= scale[:, None]
    return LineScores(loglik=sums[:, :n_langs], grams=sums[:, n_langs], scripts=scripts)


def _score_remembered(lines: list[str], lengths: np.ndarray, caps: np.ndarray | None,
                      width: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_score` of the lines, the remembered ones taken from :data:`~.memo.MEMO`
    (a row: the sums, then the letters by script), the new ones scored
    together and remembered (not the empty lines: nothing to remember)."""
    keys: list = lines
    if caps is not None:  # a line's key: its text, or its text and the characters read when it is cut
        keys = [(line, cap) if cut else line
                for line, cut, cap in zip(lines, (lengths > caps).tolist(), caps.tolist())]
    found = MEMO.get(keys)
    sums = np.empty((len(lines), width), dtype=np.float32)
    scripts = np.empty((len(lines), len(tables.script_names())), dtype=np.int64)
    new = [i for i, row in enumerate(found) if row is None]
    if len(new) < len(lines):  # (taken before anything is put, which may renumber the rows)
        hit = [i for i, row in enumerate(found) if row is not None]
        rows = MEMO.take([found[i] for i in hit])
        sums[hit] = rows[:, :width]
        scripts[hit] = rows[:, width:]
    if new:
        new_sums, new_scripts = _score("\n".join([lines[i] for i in new]), None if caps is None else caps[new])
        sums[new] = new_sums
        scripts[new] = new_scripts
        kept = [k for k, i in enumerate(new) if keys[i]]
        MEMO.put([keys[new[k]] for k in kept], np.concatenate([new_sums[kept], new_scripts[kept]], axis=1))
    return sums, scripts


def _score(text: str, caps: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Each line's sums of n-gram log-probabilities (float32, one column per
    language, then the known n-grams) and letters by script (int64; Common
    not counted), reading at most ``caps[i]`` characters of line ``i``."""
    profiles = load_profiles()
    cps = prepare(text)
    chars = (_Characters if kernels is None else _CharactersC)(cps, codes_of(cps, tables.beyond_bmp(cps)),
                                                                 text.count("\n") + 1)
    scripts = chars.scripts
    scripts[:, 0] = 0  # Common: not letters
    letters = scripts.sum(axis=1)
    latin_letters = scripts[:, _latin_id()]
    drop = latin_letters < LATIN_KEEP_RATIO * (letters - latin_letters)
    codes, breaks = chars.kept(drop if drop.any() else None, caps)
    rows, bounds = (_known_rows if kernels is None else _known_rows_c)(profiles, codes, breaks)
    return _line_sums(profiles.logp, rows, bounds), scripts


# The lengths worked out (see normalize.memo), for as many lines as the memo
# remembers the lines' rows (both forget their older half when full).
_LENGTHS: Final[dict[str, int]] = {}


def _prepared_lengths(lines: list[str]) -> np.ndarray:
    """The code points of each line once :func:`prepare` has made it over (URLs
    and e-mail addresses put as one space, Vietnamese accents composed): its
    length, but for the few lines holding one of those. Each is made over
    within its line, so a line is prepared alone as it would be in the text,
    and its length is remembered (:func:`_line_length`)."""
    known = _LENGTHS
    lengths = [known.get(line, -1) for line in lines]  # (compiled: a loop in C)
    for i, length in enumerate(lengths):
        if length < 0:
            lengths[i] = remember(known, lines[i], _line_length(lines[i]), LIMIT)
    return np.array(lengths, dtype=np.int64)


def _line_length(line: str) -> int:
    """:func:`prepare`'s length of one line: ``len(line)`` unless it holds what
    :func:`prepare` replaces or composes.

    Remembered, as the memo remembers the lines' scores (and for as many): a
    batch's lines were once searched as one text, joined, for "@", "://" and
    the accents (some 700,000 characters, four bytes each where any line of
    the batch holds an emoji), and most of them were met before. (The lines
    that change are mostly a site's chrome, "Follow us: https://...", on page
    after page.)"""
    if "@" in line or "://" in line or (not line.isascii() and _COMBINING_ACCENT.search(line) is not None):
        return int(prepare(line).size)
    return len(line)


class _Characters:
    """The per-character steps of :func:`score_lines`, as numpy array operations:
    letters by script per line, and the characters whose n-grams are read."""

    breaks: np.ndarray | None  # where the line breaks are (None: one line)
    line_of: np.ndarray | None  # the line of each character (None: one line)

    def __init__(self, cps: np.ndarray, codes: np.ndarray, n_lines: int) -> None:
        self.cps, self.codes = cps, codes
        n_scripts = len(tables.script_names())
        sids = codes >> SCRIPT_SHIFT
        if n_lines > 1:
            self.breaks = np.flatnonzero(cps == tables.NEWLINE)
            # a line break belongs to the line it opens
            self.line_of = np.zeros(cps.size, dtype=np.intp)
            self.line_of[self.breaks] = 1
            np.cumsum(self.line_of, out=self.line_of)
            scripts = np.bincount(self.line_of * n_scripts + sids, minlength=n_lines * n_scripts)
            self.scripts = scripts.reshape(n_lines, n_scripts)
        else:  # one line: the common case of a sentence or a paragraph
            self.breaks = self.line_of = None
            self.scripts = np.bincount(sids, minlength=n_scripts)[None, :]

    def heads(self) -> np.ndarray:
        """Where each line starts, at its line break (the first: at 0)."""
        return np.concatenate(([0], self.breaks)) if self.breaks is not None else np.zeros(1, dtype=np.intp)

    def lengths(self) -> np.ndarray:
        """Characters of each line; its line break (counted in it, at its head) aside."""
        lengths = np.diff(self.heads(), append=self.cps.size)
        lengths[1:] -= 1
        return lengths

    def kept(self, drop: np.ndarray | None, caps: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        """The codes whose n-grams are read, and where the line breaks are among
        them (None: one line). Per line: ``drop`` leaves out the code points
        'A'..'z', ``caps`` the characters past the cap; line breaks always stay."""
        cps, line_of = self.cps, self.line_of
        keep = None
        if drop is not None:
            # what langdetect's cleaning_text removes: the code points 'A'..'z'
            keep = (cps >= 0x41) & (cps <= 0x7A)
            if line_of is not None:
                keep &= drop[line_of]
            np.logical_not(keep, out=keep)
        if caps is not None:
            if line_of is not None:
                line_start = self.heads() + 1
                line_start[0] = 0
                offset = np.arange(cps.size) - line_start[line_of]  # the line break: -1, kept
                within = offset < caps[line_of]
            else:
                within = np.arange(cps.size) < caps[0]
            keep = within if keep is None else keep & within
        if keep is None:
            return self.codes, self.breaks
        breaks = self.breaks
        if breaks is not None:  # where the (always kept) line breaks are now
            breaks = np.cumsum(keep)[breaks] - 1
        return self.codes[keep], breaks


class _CharactersC(_Characters):
    """:class:`_Characters` as C loops (:func:`.kernels.line_scripts`, :func:`.kernels.kept_codes`)."""

    def __init__(self, cps: np.ndarray, codes: np.ndarray, n_lines: int) -> None:
        self.cps, self.codes = cps, np.ascontiguousarray(codes, dtype=np.uint32)
        self.scripts = np.zeros((n_lines, len(tables.script_names())), dtype=np.int64)
        breaks = np.empty(n_lines - 1, dtype=np.int64)
        if kernels.line_scripts(cps, self.codes, SCRIPT_SHIFT, self.scripts, breaks) != n_lines:
            raise ValueError("line breaks or scripts out of step with the text")
        self.breaks = breaks if n_lines > 1 else None

    def kept(self, drop: np.ndarray | None, caps: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        n_lines = len(self.scripts)
        if drop is None and caps is None:
            return self.codes, self.breaks
        out = np.empty(self.cps.size, dtype=np.uint32)
        breaks = np.empty(n_lines - 1, dtype=np.int64)
        count = kernels.kept_codes(self.cps, self.codes, _NOTHING_U8 if drop is None else drop.view(np.uint8),
                                   _NOTHING_I64 if caps is None else caps.astype(np.int64, copy=False),
                                   out, breaks)
        return out[:count], breaks if n_lines > 1 else None


_NOTHING_U8 = np.zeros(0, dtype=np.uint8)
_NOTHING_I64 = np.zeros(0, dtype=np.int64)
