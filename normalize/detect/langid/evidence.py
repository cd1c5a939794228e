"""Everything known about each line of a text, before any decision.

For every line: the n-gram log-likelihood of each profile language
(:mod:`.scorer`, tempered), how many known n-grams it had, how many letters,
and which script most of them are in. Both the document decision and the line
decisions (:mod:`.judge`) read only this. All of it is kept as arrays, one
entry per line, so that the decisions for all lines are a few array operations
rather than a Python loop over a page's hundred-odd lines.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from normalize.detect.langid.scorer import CutLines, LineScores, score_cut, score_documents, score_lines
from normalize.detect.langid.script_langs import dominant, script_langs

# Letters a line needs before its n-grams outvote its script. Two-word
# phrases (~15 letters) are right ~82% of the time, sentences ~98%.
LONG_LINE = 25
# A one-language script decides a line holding this share of its letters
# (the share past which langdetect, too, ignores the Latin letters of a text).
SCRIPT_SHARE = 2 / 3
# Summed n-gram log-probabilities count each character about three times (in
# its 1-, 2- and 3-grams), so raw posteriors are all 0.9999. Dividing by this
# temperature calibrates them: on the development sentences and word pairs the
# mean top score then matches the accuracy (0.985 vs 0.983; 0.80 vs 0.82).
TEMPERATURE = 4.0


@dataclass(frozen=True)
class LineEvidence:
    loglik: np.ndarray  # float (n_lines, n_langs): n-gram log-likelihoods / TEMPERATURE
    grams: np.ndarray  # float (n_lines,): known n-grams per line
    letters: np.ndarray  # int (n_lines,)
    script: np.ndarray  # int (n_lines,): dominant script id (script_langs().names)
    script_n: np.ndarray  # int (n_lines,): letters in the dominant script

    def settled_by_script(self, *, short_too: bool) -> np.ndarray:
        """Per line, the index (into ``script_langs().codes``) of the language a
        one-language script gives it, or -1.

        Always when that script holds :data:`SCRIPT_SHARE` of the letters; with
        ``short_too``, also for any line too short for the n-grams.
        """
        lang = script_langs().single_id[self.script]
        decides = self.script_n >= SCRIPT_SHARE * self.letters
        if short_too:
            decides |= self.letters < LONG_LINE
        return np.where(decides & (self.letters > 0), lang, -1)

    def select(self, rows: Sequence[int]) -> "LineEvidence":
        """The evidence of some of the lines, in the order given."""
        picked = np.asarray(rows, dtype=np.intp)
        return LineEvidence(
            loglik=self.loglik[picked],
            grams=self.grams[picked],
            letters=self.letters[picked],
            script=self.script[picked],
            script_n=self.script_n[picked],
        )


def line_evidence(text: str, budget: int | None = None) -> LineEvidence:
    """Evidence for each line of ``text.split("\\n")`` (``budget``: see
    :func:`~.scorer.score_lines`)."""
    return _evidence(score_lines(text, budget))


def documents_evidence(texts: list[str], budget: int | None = None) -> list[LineEvidence]:
    """:func:`line_evidence` of each text, scored in one pass (:func:`~.scorer.score_documents`)."""
    return [_evidence(scores) for scores in score_documents(texts, budget)]


def cut_evidence(cut: CutLines) -> LineEvidence:
    """The evidence of lines already measured and cut (see :class:`~.scorer.CutLines`)."""
    return _evidence(score_cut(cut))


def _evidence(scores: LineScores) -> LineEvidence:
    script, script_n = dominant(scores.scripts)
    return LineEvidence(
        loglik=scores.loglik / TEMPERATURE,
        grams=scores.grams,
        letters=scores.scripts.sum(axis=1),
        script=script,
        script_n=script_n,
    )
