"""Which language a document, and each of its lines, is written in.

Two kinds of evidence, used where each is strong:

* **Character n-grams** (langdetect's 55 language profiles, scored exactly and
  deterministically by :mod:`normalize.detect.langid`). They tell Russian from
  Ukrainian or Danish from Norwegian, but need some text: on two words they are
  wrong one time in five.
* **Script.** "본문 바로가기" is Hangul, so Korean, whatever the n-grams say
  about two words. A script used by one language (Hangul, Thai, Greek, Hebrew,
  Georgian, the Indic scripts, kana) settles a line on its own; a shared one
  (Latin, Cyrillic, Arabic, Devanagari, Han) narrows the candidates
  (``data/lang_scripts.tsv``).

**Document.** The text is cut into blocks of consecutive lines with at least
:data:`BLOCK_LETTERS` letters; each block gets a distribution over languages,
and the document's distribution is their average weighted by letters. So the
score reads as "the share of the text in this language": an English article
quoting one German sentence is ``en`` with a slightly lower score, not ``de``
and not a coin toss. Lines settled by script count as one-language blocks.

**Line.** A line with at least :data:`LONG_LINE` letters is judged by the
n-grams, nudged towards the document's language (a near tie between Danish and
Norwegian in a Danish text is Danish). A shorter line is judged by its script:
a one-language script names the language, a line in the document's own script
is taken to be in the document's language, and otherwise the n-grams choose
among the languages of the line's script.

Codes are langdetect's: ISO 639-1, with ``zh-cn`` / ``zh-tw`` for simplified /
traditional Chinese, and ``und`` when there is nothing to judge (no letters,
or only letters of a script no profile covers and that no language owns).
Scripts outside langdetect's profiles yield their ISO 639-1 code (``ka``,
``hy``, ``am``, ...) from the script table.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from normalize.detect.langid import load_profiles, score_lines
from normalize.detect.langid.script_langs import dominant, script_langs

UND = "und"

# Letters a line needs before its n-grams outvote its script. Two-word
# phrases (~15 letters) are right ~82% of the time, sentences ~98%.
LONG_LINE = 25
# Letters per block of consecutive lines for the document distribution: short
# lines (headlines, captions) are pooled until they can be judged.
BLOCK_LETTERS = 60
# A one-language script decides a line or a block holding this share of its letters
# (langdetect drops Latin letters when they are under a third, the same cut).
SCRIPT_SHARE = 2 / 3
# Summed n-gram log-probabilities count each character about three times (in
# its 1-, 2- and 3-grams), so raw posteriors are all 0.9999; dividing by this
# temperature makes the distribution usable as a confidence.
TEMPERATURE = 3.0
# Prior for a line being in its document's language: 0.9 against 0.1 shared by
# the other 54 profile languages, in nats on the tempered scale.
LINE_PRIOR = math.log(0.9 / (0.1 / 54))


@dataclass(frozen=True)
class LangResult:
    lang: str
    score: float
    top: list[tuple[str, float]] = field(default_factory=list)  # best first, up to 3


UNDETERMINED = LangResult(UND, 0.0, [])


@dataclass(frozen=True)
class _Lines:
    """Per-line evidence for a text: model scores plus the script facts."""

    loglik: np.ndarray  # (n_lines, n_langs), tempered
    grams: list[float]
    letters: list[int]
    script: list[int]  # dominant script id
    script_n: list[int]  # letters in the dominant script

    def settled_by_script(self, i: int, *, short_too: bool) -> str | None:
        """The language a one-language script gives line ``i``, if it does."""
        lang = script_langs().single[self.script[i]]
        if lang is None:
            return None
        if self.script_n[i] >= SCRIPT_SHARE * self.letters[i]:
            return lang
        return lang if short_too and self.letters[i] < LONG_LINE else None


def _lines(text: str) -> _Lines:
    scores = score_lines(text)
    script, script_n = dominant(scores.scripts)
    return _Lines(
        loglik=scores.loglik / TEMPERATURE,
        grams=scores.grams.tolist(),
        letters=scores.scripts.sum(axis=1).tolist(),
        script=script.tolist(),
        script_n=script_n.tolist(),
    )


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _blocks(lines: _Lines) -> tuple[list[int], list[int], list[float], dict[str, float]]:
    """Group the model-judged lines into blocks; collect the script-settled letters.

    Returns the model lines (in order), the start of each block among them, each
    block's letters, and letters per language settled by script.
    """
    model_lines: list[int] = []
    starts: list[int] = []
    weights: list[float] = []
    settled: dict[str, float] = {}
    filling = 0  # letters in the open block
    for i, n in enumerate(lines.letters):
        if n == 0:
            continue
        lang = lines.settled_by_script(i, short_too=False)
        if lang is not None:
            settled[lang] = settled.get(lang, 0.0) + n
            continue
        if lines.grams[i] == 0:
            continue  # letters of a script no profile knows and no language owns
        if filling == 0:
            starts.append(len(model_lines))
            weights.append(0.0)
        model_lines.append(i)
        weights[-1] += n
        filling += n
        if filling >= BLOCK_LETTERS:
            filling = 0
    if filling and len(starts) > 1:  # a short tail joins the block before it
        starts.pop()
        weights[-2] += weights.pop()
    return model_lines, starts, weights, settled


def _document(lines: _Lines) -> LangResult:
    model_lines, starts, weights, settled = _blocks(lines)
    total = sum(weights) + sum(settled.values())
    if total <= 0:
        return UNDETERMINED
    mass: dict[str, float] = {lang: n / total for lang, n in settled.items()}
    if model_lines:
        block_ll = np.add.reduceat(lines.loglik[model_lines], starts, axis=0)
        dist = (np.asarray(weights) / total) @ _softmax(block_ll)
        langs = load_profiles().langs
        for j in np.argsort(-dist, kind="stable")[:3].tolist():
            mass[langs[j]] = mass.get(langs[j], 0.0) + float(dist[j])
    top = sorted(mass.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    return LangResult(top[0][0], top[0][1], top)


def detect_language(text: str) -> LangResult:
    """Language of ``text`` with its score and the three likeliest languages.

    ``und`` (score 0.0, no candidates) when the text has no letters to judge.
    """
    if not isinstance(text, str) or not text.strip():
        return UNDETERMINED
    return _document(_lines(text))


def line_languages(text: str, doc_lang: str | None = None) -> list[str]:
    """The language of each line of ``text`` (``und`` where there are no letters)."""
    if not isinstance(text, str):
        return [UND]
    lines = _lines(text)
    table = script_langs()
    profile_langs = load_profiles().langs
    loglik = lines.loglik
    doc_col = profile_langs.index(doc_lang) if doc_lang in profile_langs else None
    if doc_col is not None:
        loglik = loglik.copy()
        loglik[:, doc_col] += LINE_PRIOR
    best = loglik.argmax(axis=1).tolist()
    # best among the languages of each line's own script
    in_script = np.where(table.model_mask[lines.script], loglik, -np.inf).argmax(axis=1).tolist()
    doc_scripts = {s for s, langs in enumerate(table.langs) if doc_lang in langs}

    out = []
    for i, n in enumerate(lines.letters):
        script = lines.script[i]
        lang = lines.settled_by_script(i, short_too=True) if n else UND
        if lang is not None:
            out.append(lang)
        elif n >= LONG_LINE and lines.grams[i] > 0:
            out.append(profile_langs[best[i]])
        elif script in doc_scripts:
            out.append(doc_lang)
        elif lines.grams[i] > 0 and table.model_mask[script].any():
            out.append(profile_langs[in_script[i]])
        else:
            out.append(table.langs[script][0] if table.langs[script] else UND)
    return out


def line_language(line: str, doc_lang: str | None = None) -> str:
    """The language of one line; see the module docstring for the rules."""
    if not isinstance(line, str):
        return UND
    return line_languages(line.replace("\n", " "), doc_lang)[0]


class DetectLanguage:
    """Stage: set ``doc.lang``, ``doc.lang_score``, ``doc.lang_top`` from the cleaned
    text, and ``doc.work["line_langs"]``: one code per line of ``doc.lines``
    ("" for a blank line)."""

    def __call__(self, doc):
        result = detect_language(doc.text)
        doc.lang, doc.lang_score, doc.lang_top = result.lang, result.score, list(result.top)
        raw = [line.replace("\n", " ") for line in doc.lines]
        langs = line_languages("\n".join(raw), result.lang) if raw else []
        doc.work["line_langs"] = [lang if line.strip() else "" for line, lang in zip(raw, langs)]
        return doc
