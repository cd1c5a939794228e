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

Every line can be judged, but a long text is read in part: past
``SAMPLE_CHARS`` characters the longest lines are read by their first
sentences (at least ``MIN_LINE_SAMPLE`` characters each), like langdetect,
which stops at 10,000.

Codes are langdetect's: ISO 639-1, with ``zh-cn`` / ``zh-tw`` for simplified /
traditional Chinese. Scripts no profile covers give their language's ISO 639-1
code from the script table (``ka``, ``hy``, ``am``, ...). ``und`` means there
was nothing to judge: no letters, or only letters of a script that no profile
covers and no language owns.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from normalize.detect.langid.evidence import cut_evidence, line_evidence
from normalize.detect.langid.judge import (
    UND, code_id, document_top, documents_top, line_codes, line_langs, one_line_top)
from normalize.detect.langid.scorer import CutLines, score_lines
from normalize.document import text_is_kept_lines


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
    ("" for a blank line), each worked out when asked for (:class:`LineLanguages`).

    When the cleaned text is exactly the lines the stripper kept (the usual
    case), the document is judged from those lines' evidence, each line cut
    as it would be in the whole page. A line met on an earlier page (a site's
    chrome, a reprinted paragraph) is not scored again
    (:mod:`normalize.detect.langid.memo`).
    """

    def __call__(self, doc):
        self.batch([doc])
        return doc

    def batch(self, docs) -> None:
        """The same for several documents, their lines scored in one pass and
        judged together (each pass has a fixed cost in array operations).

        Only the lines a document is judged by are scored here: its kept lines.
        The others (the chrome the stripper removed: near half of a page's
        lines that are not empty) are scored when their language is asked for,
        which the pipeline does only for a line holding foreign letters
        (:class:`LineLanguages`). Empty lines (the other half of a page's lines)
        are no evidence either way: no letters, and no n-gram reaches across a
        line break."""
        pages = [_Page(doc) for doc in docs]
        filled = [page for page in pages if page.filled]
        # every line not empty, measured and cut as its document's budget says
        cut = CutLines.of(None, SAMPLE_CHARS, [len(page.filled) for page in filled],
                          [line for page in filled for line in page.filled]) if filled else None
        start = 0
        for page in filled:
            page.start, start = start, start + len(page.filled)
        judged = {}  # document -> the rows of ``cut`` it is judged by
        for i, (doc, page) in enumerate(zip(docs, pages)):
            rows = page.judged_rows(doc)
            if rows is not None:
                judged[i] = rows
            else:  # the text is not just the lines scored
                _set(doc, detect_language(doc.text) if doc.text.strip() else UNDETERMINED)
        if judged:
            assert cut is not None
            evidence = cut_evidence(cut.select([row for rows in judged.values() for row in rows]))
            ends = np.cumsum([len(rows) for rows in judged.values()]).tolist()
            documents: list[Sequence[int]] = [range(end - len(rows), end) for end, rows in zip(ends, judged.values())]
            for i, top in zip(judged, documents_top(evidence, documents)):
                _set(docs[i], _result(top))
        for doc, page in zip(docs, pages):
            if page.filled and cut is not None:  # (cut: made when any page is filled)
                doc.work["line_langs"] = LineLanguages.of(page, cut, doc.lang)
            else:
                doc.work["line_langs"] = page.stripped


class LineLanguages(Sequence):
    """``doc.work["line_langs"]``: the language code of each line of ``doc.lines``
    ("" for a blank line), each worked out when first asked for.

    A line is judged as it would be among all the lines of its document: by
    its n-grams as far as its cap (see :class:`~.langid.scorer.CutLines`),
    nudged towards the document's language. Pickled (a document going back
    from a worker), it stays as it is: with its own lines and their caps,
    and no code worked out on the way that nobody may ask for.
    """

    def __init__(self, raw: list[str], stripped: list[str], start: int, filled: int, cut: CutLines, lang: str,
                 known: dict[int, str] | None = None) -> None:
        """The codes of ``raw``'s lines (``stripped``: each stripped), whose
        ``filled`` lines not empty are rows ``start`` on of ``cut``; ``known``:
        the codes worked out already, by line."""
        self._raw, self._stripped, self._start, self._filled = raw, stripped, start, filled
        self._cut, self._lang = cut, lang
        self._known: dict[int, str] = {} if known is None else known
        self._rows: list[int] | None = None

    @classmethod
    def of(cls, page: "_Page", cut: CutLines, lang: str) -> "LineLanguages":
        # the page's lines, not the page: it holds the document, which will hold this
        return cls(page.raw, page.stripped, page.start, len(page.filled), cut, lang)

    def __len__(self) -> int:
        return len(self._raw)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not self._stripped[index]:  # (raises IndexError past the end)
            return ""
        code = self._known.get(index)
        if code is None:
            if self._rows is None:
                self._rows = _filled_rows(self._raw, self._start)
            row, cut = self._rows[index + 1], self._cut
            length = int(cut.lengths[row])
            cap = int(cut.caps[row]) if cut.caps is not None and cut.caps[row] < length else None
            code = self._known[index] = _line_code(cut.lines[row], length, cap, self._lang)
        return code

    def __eq__(self, other) -> bool:
        return isinstance(other, (list, tuple, Sequence)) and list(self) == list(other)

    def __repr__(self) -> str:
        return f"LineLanguages({list(self)!r})"

    def __reduce__(self):
        start, end = self._start, self._start + self._filled
        cut = self._cut  # (the batch's: only this page's rows go)
        own = CutLines(cut.lines[start:end], cut.lengths[start:end].copy(),
                       None if cut.caps is None else cut.caps[start:end].copy())
        return LineLanguages, (self._raw, self._stripped, 0, self._filled, own, self._lang, self._known)


@lru_cache(maxsize=4096)
def _line_code(line: str, length: int, cap: int | None, lang: str) -> str:
    """The code of one line (``length``: once prepared; ``cap``: the characters
    read, None for all) in a document in ``lang``. Cached: the lines asked
    about are a site's foreign chrome ("본문 바로가기"), on page after page."""
    cut = CutLines([line], np.array([length]), None if cap is None else np.array([cap]))
    return line_codes(cut_evidence(cut), np.array([code_id(lang)]))[0]


class _Page:
    """A document's lines as the stage reads them: ``raw`` (none holding a line
    break), each ``stripped`` ("" for a blank line), and the ``filled`` ones,
    those not empty, which are rows ``start`` on of the batch's cut lines."""

    def __init__(self, doc) -> None:
        raw: list[str] = list(doc.lines)
        self.whole = "\n".join(raw).count("\n") == len(raw) - 1  # (no line holds a line break)
        if not self.whole:
            raw = [line.replace("\n", " ") for line in raw]
        self.raw = raw
        # (comprehensions, not map and filter: compiled, they are loops in C)
        self.stripped = [line.strip() for line in raw]
        self.filled = [line for line in raw if line]
        self.start = 0

    def judged_rows(self, doc) -> list[int] | None:
        """The rows of the batch's cut lines the document's language is judged by:
        those of its kept lines; None when its text is not just those lines, or
        is blank, or it has no line to score (then it is judged apart)."""
        if not self.filled or not doc.text.strip():
            return None
        kept = _kept(doc, self.raw, self.stripped, self.whole and text_is_kept_lines(doc))
        if kept is None:
            return None
        row_of = _filled_rows(self.raw, self.start)
        return [row_of[k + 1] for k in kept]


def _filled_rows(raw: list[str], start: int) -> list[int]:
    """Where each filled line of ``raw`` is among the cut lines, its page's
    starting at row ``start``: the row of line ``k`` (if it is not empty) is
    item ``k + 1``."""
    rows = [start - 1]
    row = start - 1
    for line in raw:
        if line:
            row += 1
        rows.append(row)
    return rows


def _set(doc, result: LangResult) -> None:
    doc.lang, doc.lang_score, doc.lang_top = result.lang, result.score, list(result.top)


def _kept(doc, raw: list[str], stripped: list[str], known: bool = False) -> list[int] | None:
    """Indices of the lines that make up ``doc.text``, if it is just those lines
    (``stripped``: each line stripped, "" when blank; ``known``: the stripper
    noted that it is, see :func:`~normalize.document.note_kept_lines`).

    Blank lines are left out of the comparison (the stripper collapses runs of
    them): they hold no letters, so no evidence.
    """
    kept = [i for i, line in enumerate(stripped) if line]
    if doc.removed:
        removed = {r.line - 1 for r in doc.removed}
        kept = [i for i in kept if i not in removed]
    if known:
        return kept
    text_lines = [line for line in doc.text.split("\n") if line.strip()]
    return kept if text_lines == [raw[i] for i in kept] else None
