"""Everything known about each line of a text, before any decision.

For every line: the n-gram log-likelihood of each profile language
(:mod:`.scorer`, tempered), how many known n-grams it had, how many letters,
and which script most of them are in. Both the document decision and the line
decisions (:mod:`.judge`) read only this.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from normalize.detect.langid.scorer import score_lines
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
    loglik: np.ndarray  # (n_lines, n_langs): n-gram log-likelihoods / TEMPERATURE
    grams: list[float]  # known n-grams per line
    letters: list[int]
    script: list[int]  # dominant script id (script_langs().names)
    script_n: list[int]  # letters in the dominant script

    def settled_by_script(self, i: int, *, short_too: bool) -> str | None:
        """The language a one-language script gives line ``i``, if it does.

        Always when that script holds :data:`SCRIPT_SHARE` of the letters; with
        ``short_too``, also for any line too short for the n-grams.
        """
        lang = script_langs().single[self.script[i]]
        if lang is None:
            return None
        if self.script_n[i] >= SCRIPT_SHARE * self.letters[i]:
            return lang
        return lang if short_too and self.letters[i] < LONG_LINE else None

    def select(self, rows: list[int]) -> "LineEvidence":
        """The evidence of some of the lines, in the order given."""
        return LineEvidence(
            loglik=self.loglik[rows],
            grams=[self.grams[i] for i in rows],
            letters=[self.letters[i] for i in rows],
            script=[self.script[i] for i in rows],
            script_n=[self.script_n[i] for i in rows],
        )


def line_evidence(text: str) -> LineEvidence:
    """Evidence for each line of ``text.split("\\n")``."""
    scores = score_lines(text)
    script, script_n = dominant(scores.scripts)
    return LineEvidence(
        loglik=scores.loglik / TEMPERATURE,
        grams=scores.grams.tolist(),
        letters=scores.scripts.sum(axis=1).tolist(),
        script=script.tolist(),
        script_n=script_n.tolist(),
    )
