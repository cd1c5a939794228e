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
   rows of log-probabilities are summed per line.

Nothing is sampled, so the same text always gets the same numbers. Unlike
langdetect, which reads only the first 10,000 characters, every line is
scored: the per-line figures are what line languages are made of, and the cost
is a few array passes over the text (about 3 n-grams per character).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from langdetect.detector import Detector
from langdetect.utils.ngram import NGram

from normalize.detect.langid import tables
from normalize.detect.langid.features import SPACE, text_grams
from normalize.detect.langid.profiles import load_profiles

_URL_RE = Detector.URL_RE
_MAIL_RE = Detector.MAIL_RE
_COMBINING_ACCENT = re.compile("[\u0300-\u0323]")  # what NGram.normalize_vi composes

# A line keeps its Latin letters only while they are at least this many times
# the letters of all other scripts together (other scripts under a third).
LATIN_KEEP_RATIO = 2


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
        text = _MAIL_RE.sub(" ", text)
    if _COMBINING_ACCENT.search(text):  # compose letter + accent (Vietnamese)
        text = NGram.normalize_vi(text)
    return tables.codepoints(text)


@lru_cache(maxsize=1)
def _latin_id() -> int:
    return tables.script_names().index("Latin")


def _sum_rows(logp: np.ndarray, rows: np.ndarray) -> np.ndarray:
    # np.take is several times faster than fancy indexing; the sum runs row after
    # row in text order, so a line always adds up the same way
    return np.take(logp, rows, axis=0).sum(axis=0, dtype=np.float64)


def score_lines(text: str) -> LineScores:
    """Score every line of ``text`` against every language of the profiles."""
    profiles = load_profiles()
    n_langs = profiles.n_langs
    cps = prepare(text)
    wide = tables.beyond_bmp(cps)
    n_scripts = len(tables.script_names())
    sids = tables.script_ids(cps, wide)
    latin_id = _latin_id()
    if "\n" in text:
        line_of = np.cumsum(cps == tables.NEWLINE)
        n_lines = int(line_of[-1]) + 1
        scripts = np.bincount(line_of * n_scripts + sids, minlength=n_lines * n_scripts)
        scripts = scripts.reshape(n_lines, n_scripts)
        scripts[:, 0] = 0  # Common: not letters
        latin_letters = scripts[:, latin_id]
        drop = latin_letters < LATIN_KEEP_RATIO * (scripts.sum(axis=1) - latin_letters)
        if drop.any():
            # what langdetect's cleaning_text removes: the code points 'A'..'z'
            ascii_latin = (cps >= 0x41) & (cps <= 0x7A)
            keep = ~(ascii_latin & drop[line_of])
            cps, line_of = cps[keep], line_of[keep]
    else:  # one line: the common case of a sentence or a paragraph, kept simple
        n_lines = 1
        scripts = np.bincount(sids, minlength=n_scripts)[None, :]
        scripts[0, 0] = 0
        latin_letters = int(scripts[0, latin_id])
        if latin_letters < LATIN_KEEP_RATIO * (int(scripts.sum()) - latin_letters):
            cps = cps[(cps < 0x41) | (cps > 0x7A)]

    norm = tables.normalise(cps, wide)
    if n_lines > 1:
        norm[norm == tables.NEWLINE] = SPACE  # langdetect reads a line break as a space
    rows = profiles.rows(text_grams(norm, wide), wide)  # (3, n_positions)
    if n_lines == 1:
        sums = _sum_rows(profiles.logp, rows[rows > 0])[None, :]
    else:
        # an n-gram belongs to the line of its first character (position p of
        # the padded text is character p - 1); read position-major, n-grams come
        # in text order, so each line is one run
        rows = rows.T.ravel()
        position = np.repeat(np.arange(-1, line_of.size + 1), 3)
        known = rows > 0
        gram_line = line_of[np.clip(position[known], 0, line_of.size - 1)]
        bounds = np.searchsorted(gram_line, np.arange(n_lines + 1)).tolist()
        rows = rows[known]
        sums = np.zeros((n_lines, profiles.logp.shape[1]), dtype=np.float64)
        for line, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
            if hi > lo:
                sums[line] = _sum_rows(profiles.logp, rows[lo:hi])
    return LineScores(loglik=sums[:, :n_langs], grams=sums[:, n_langs], scripts=scripts)
