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

from normalize.detect.langid.evidence import documents_evidence, line_evidence
from normalize.detect.langid.judge import UND, document_top, line_langs


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
    evidence instead of scoring the text a second time.
    """

    def __call__(self, doc):
        raw, text = _lines(doc)
        return self._judge(doc, raw, line_evidence(text, SAMPLE_CHARS) if raw else None)

    def batch(self, docs) -> None:
        """The same for several documents, their lines scored in one pass (faster
        than one by one: each pass has a fixed cost in array operations)."""
        lines = [_lines(doc) for doc in docs]
        scored = [i for i, (raw, _) in enumerate(lines) if raw]
        evidence = dict(zip(scored, documents_evidence([lines[i][1] for i in scored], SAMPLE_CHARS)))
        for i, doc in enumerate(docs):
            self._judge(doc, lines[i][0], evidence.get(i))

    @staticmethod
    def _judge(doc, raw: list[str], evidence):
        kept = _kept(doc, raw)
        if evidence is not None and kept is not None:
            result = _result(document_top(evidence.select(kept))) if doc.text.strip() else UNDETERMINED
        else:
            result = detect_language(doc.text)
        doc.lang, doc.lang_score, doc.lang_top = result.lang, result.score, list(result.top)
        langs = line_langs(evidence, result.lang) if evidence is not None else []
        doc.work["line_langs"] = [lang if line.strip() else "" for line, lang in zip(raw, langs)]
        return doc


def _lines(doc) -> tuple[list[str], str]:
    """The document's lines, none holding a line break, and their text."""
    raw = list(doc.lines)
    text = "\n".join(raw)
    if text.count("\n") != len(raw) - 1:  # a line holding a line break
        raw = [line.replace("\n", " ") for line in raw]
        text = "\n".join(raw)
    return raw, text


def _kept(doc, raw: list[str]) -> list[int] | None:
    """Indices of the lines that make up ``doc.text``, if it is just those lines.

    Blank lines are left out of the comparison (the stripper collapses runs of
    them): they hold no letters, so no evidence.
    """
    removed = {r.line - 1 for r in doc.removed}
    kept = [i for i, line in enumerate(raw) if i not in removed and line.strip()]
    text_lines = [line for line in doc.text.split("\n") if line.strip()]
    return kept if text_lines == [raw[i] for i in kept] else None
