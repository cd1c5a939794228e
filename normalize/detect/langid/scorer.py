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

# A line keeps its Latin letters only while they are at least this many times
# the letters of all other scripts together (other scripts under a third).
LATIN_KEEP_RATIO = 2


@dataclass(frozen=True)
class LineScores:
    """Per-line evidence for one text (one row per ``text.split("\\n")`` line)."""

    loglik: np.ndarray  # float64 (n_lines, n_langs): sum of log p(gram | lang)
    grams: np.ndarray  # float64 (n_lines,): known n-grams in the line
    scripts: np.ndarray  # int64 (n_lines, n_scripts): letters per script id


def prepare(text: str) -> str:
    """langdetect's ``append`` clean-up, minus its collapsing of spaces (harmless here)."""
    if "://" in text:
        text = _URL_RE.sub(" ", text)
    if "@" in text:
        text = _MAIL_RE.sub(" ", text)
    return NGram.normalize_vi(text)


@lru_cache(maxsize=1)
def _latin_id() -> int:
    return tables.script_names().index("Latin")


def score_lines(text: str) -> LineScores:
    """Score every line of ``text`` against every language of the profiles."""
    profiles = load_profiles()
    n_langs = profiles.n_langs
    cps = tables.codepoints(prepare(text))
    line_of = np.cumsum(cps == tables.NEWLINE)
    n_lines = int(line_of[-1]) + 1 if cps.size else 1

    n_scripts = len(tables.script_names())
    sids = tables.script_ids(cps).astype(np.int64)
    scripts = np.bincount(line_of * n_scripts + sids, minlength=n_lines * n_scripts)
    scripts = scripts.reshape(n_lines, n_scripts)
    scripts[:, 0] = 0  # Common: not letters

    latin_letters = scripts[:, _latin_id()]
    other_letters = scripts.sum(axis=1) - latin_letters
    drop = latin_letters < LATIN_KEEP_RATIO * other_letters
    if drop.any():
        # what langdetect's cleaning_text removes: the code points 'A'..'z'
        ascii_latin = (cps >= 0x41) & (cps <= 0x7A)
        keep = ~(ascii_latin & drop[line_of])
        cps, line_of = cps[keep], line_of[keep]

    norm = tables.normalise(cps)
    norm[norm == tables.NEWLINE] = SPACE  # langdetect reads a line break as a space
    grams = text_grams(norm)
    rows = profiles.rows(grams.keys)
    known = rows > 0
    logp = profiles.logp[rows[known]]
    if n_lines == 1:
        sums = logp.sum(axis=0, dtype=np.float64)[None, :]
    else:
        # an n-gram belongs to the line of its first character; n-grams come in
        # text order, so each line is a run, summed as a difference of prefix sums
        first = np.clip(grams.starts[known], 0, max(line_of.size - 1, 0))
        gram_line = line_of[first] if line_of.size else np.zeros(0, dtype=np.int64)
        bounds = np.searchsorted(gram_line, np.arange(n_lines + 1))
        prefix = np.zeros((logp.shape[0] + 1, logp.shape[1]), dtype=np.float64)
        np.cumsum(logp, axis=0, dtype=np.float64, out=prefix[1:])
        sums = prefix[bounds[1:]] - prefix[bounds[:-1]]
    return LineScores(loglik=sums[:, :n_langs], grams=sums[:, n_langs], scripts=scripts)
