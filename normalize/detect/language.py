"""Which language a document, and each of its lines, is written in.

Two kinds of evidence, each used where it is strong:

* **Character n-grams**, from langdetect's 55 language profiles, scored
  exactly and deterministically (:mod:`normalize.detect.langid`; langdetect
  itself samples n-grams at random and is ten times slower). They tell Russian
  from Ukrainian or Danish from Norwegian, but need some text: on two words
  they are wrong one time in five.
* **Script.** "본문 바로가기" is Hangul, so Korean, whatever the n-grams say
  about two words. A script used by one language (Hangul, Thai, Greek, Hebrew,
  Georgian, the Indic scripts, kana) settles a line on its own; a shared one
  (Latin, Cyrillic, Arabic, Devanagari, Han) narrows the candidates
  (``data/lang_scripts.tsv``).

A document's score is the share of its letters in its language (blocks of
lines, weighted by length), so one foreign quote neither flips an article nor
sinks its score; lines too short for n-grams go by script. The rules are in
:mod:`normalize.detect.langid.judge`.

Every line is judged, but a long text is read in part: past ``SAMPLE_CHARS``
characters the longest lines are read by their first sentences (at least
``MIN_LINE_SAMPLE`` characters each), like langdetect, which stops at 10,000.

Codes are langdetect's: ISO 639-1, with ``zh-cn`` / ``zh-tw`` for simplified /
traditional Chinese. Scripts no profile covers give their language's ISO 639-1
code from the script table (``ka``, ``hy``, ``am``, ...). ``und`` means there
was nothing to judge: no letters, or only letters of a script that no profile
covers and no language owns.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import compress

import numpy as np

from normalize.detect.langid.evidence import batch_evidence, line_evidence
from normalize.detect.langid.judge import (
    UND, code_id, document_top, documents_top, line_codes, line_langs, one_line_top)
from normalize.detect.langid.scorer import score_lines


@dataclass(frozen=True)
class LangResult:
    lang: str
    score: float
    top: list[tuple[str, float]] = field(default_factory=list)  # best first, up to 3


UNDETERMINED = LangResult(UND, 0.0, [])

# Characters of a text whose n-grams are read: past this, the long lines are
# sampled (their first sentences; see langid.scorer.line_caps). A news article
# is decided long before its 6,000th character, and scoring costs per n-gram;
# on the development articles this sample changes no document's language and
# no line's.
SAMPLE_CHARS = 3000


def _result(top: list[tuple[str, float]]) -> LangResult:
    return LangResult(top[0][0], top[0][1], top) if top else UNDETERMINED


def detect_language(text: str) -> LangResult:
    """Language of ``text``, its score (share of the text) and the top three.

    ``und`` (score 0.0, no candidates) when there is nothing to judge. Never raises.
    """
    if not isinstance(text, str) or not text.strip():
        return UNDETERMINED
    if "\n" not in text:  # a sentence or a paragraph: the short way, same result
        return _result(one_line_top(score_lines(text, SAMPLE_CHARS)))
    return _result(document_top(line_evidence(text, SAMPLE_CHARS)))


def line_languages(text: str, doc_lang: str | None = None) -> list[str]:
    """The language of each line of ``text.split("\\n")`` (``und``: no letters)."""
    if not isinstance(text, str):
        return [UND]
    return line_langs(line_evidence(text, SAMPLE_CHARS), doc_lang)


def line_language(line: str, doc_lang: str | None = None) -> str:
    """The language of one line, given (if known) its document's language."""
    if not isinstance(line, str):
        return UND
    return line_languages(line.replace("\n", " "), doc_lang)[0]


class DetectLanguage:
    """Stage: set ``doc.lang``, ``doc.lang_score``, ``doc.lang_top`` from the cleaned
    text, and ``doc.work["line_langs"]``: one code per line of ``doc.lines``
    ("" for a blank line).

    The lines are scored once. When the cleaned text is exactly the lines the
    stripper kept (the usual case), the document is judged from those lines'
    evidence instead of scoring the text a second time. A line met on an
    earlier page (a site's chrome, a reprinted paragraph) is not scored again
    (:mod:`normalize.detect.langid.memo`).
    """

    def __call__(self, doc):
        self.batch([doc])
        return doc

    def batch(self, docs) -> None:
        """The same for several documents, their lines scored in one pass and
        judged together (each pass has a fixed cost in array operations)."""
        lines = [_lines(doc) for doc in docs]
        scored = [i for i, (raw, _) in enumerate(lines) if raw]
        if not scored:
            for doc in docs:
                _set(doc, detect_language(doc.text))
                doc.work["line_langs"] = []
            return
        evidence = batch_evidence([lines[i][1] for i in scored], SAMPLE_CHARS)
        offset = dict(zip(scored, np.cumsum([0] + [len(lines[i][0]) for i in scored]).tolist()))
        judged = {}  # document -> the rows of the evidence it is judged by
        for i, doc in enumerate(docs):
            raw = lines[i][0]
            filled = list(map(str.strip, raw))  # "" for a blank line
            doc.work["line_langs"] = filled  # the blank lines' "" now, the codes below
            rows = _judged_rows(doc, raw, filled, offset.get(i))
            if rows is not None:
                judged[i] = rows
            else:  # the text is not just the lines scored
                _set(doc, detect_language(doc.text) if doc.text.strip() else UNDETERMINED)
        for i, top in zip(judged, documents_top(evidence, list(judged.values()))):
            _set(docs[i], _result(top))
        doc_ids = []  # per scored line: its document's language (index into the codes)
        for i, doc in enumerate(docs):
            if lines[i][0]:
                doc_ids.append(np.full(len(lines[i][0]), code_id(doc.lang)))
        # every line of the batch at once, each nudged towards its own document's language
        codes = line_codes(evidence, np.concatenate(doc_ids))
        for i in scored:
            start, filled = offset[i], docs[i].work["line_langs"]
            docs[i].work["line_langs"] = [code if line else "" for line, code in
                                          zip(filled, codes[start:start + len(filled)])]


def _judged_rows(doc, raw: list[str], filled: list[str], start: int | None) -> list[int] | None:
    """The rows of the batch's evidence the document's language is judged by:
    those of its kept lines (its own start at ``start``); None when its text is
    not just those lines, or is blank (then it is judged apart)."""
    kept = _kept(doc, raw, filled) if start is not None else None
    if kept is None or not doc.text.strip():
        return None
    return [start + k for k in kept]


def _set(doc, result: LangResult) -> None:
    doc.lang, doc.lang_score, doc.lang_top = result.lang, result.score, list(result.top)


def _lines(doc) -> tuple[list[str], str]:
    """The document's lines, none holding a line break, and their text."""
    raw = list(doc.lines)
    text = "\n".join(raw)
    if text.count("\n") != len(raw) - 1:  # a line holding a line break
        raw = [line.replace("\n", " ") for line in raw]
        text = "\n".join(raw)
    return raw, text


def _kept(doc, raw: list[str], filled: list[str]) -> list[int] | None:
    """Indices of the lines that make up ``doc.text``, if it is just those lines
    (``filled``: each line stripped, "" when blank).

    Blank lines are left out of the comparison (the stripper collapses runs of
    them): they hold no letters, so no evidence.
    """
    kept = list(compress(range(len(raw)), filled))
    if doc.removed:
        removed = {r.line - 1 for r in doc.removed}
        kept = [i for i in kept if i not in removed]
    text_lines = list(filter(str.strip, doc.text.split("\n")))
    return kept if text_lines == list(map(raw.__getitem__, kept)) else None
