"""Strip: tell the article from the page furniture around it, line by line.

Scraped text keeps everything a page showed: menus, "Read also" teasers,
share buttons, cookie notices, the headline printed twice with a photo credit
glued on. Without the markup, each line has to be judged by what it says (a
multilingual phrase lexicon, see :mod:`.lexicon`), what it looks like (length,
punctuation, stop words, see :mod:`.features`) and where it stands (head, tail,
between two paragraphs, after a teaser marker, see :mod:`.rules`).

:class:`StripBoilerplate` judges one document; :class:`CorpusRepeats` (see
:mod:`.corpus`) finds lines that recur across many different stories of one
site, which no single document can reveal.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from normalize.document import Document, Removal, note_kept_lines
from normalize.normalise import Normalise
from normalize.strip.corpus import CorpusRepeats, StripCorpusRepeats, assemble
from normalize.strip.features import Line, measure
from normalize.strip.rules import STEPS

__all__ = [
    "classify_lines",
    "judge_lines",
    "StripBoilerplate",
    "CorpusRepeats",
    "StripCorpusRepeats",
    "Cleaned",
    "clean_text",
]


MAX_LOOKS = 6


def _judge_once(lines: list[Line]) -> None:
    for step in STEPS:
        step(lines)


def _look_again(kept: list[Line]) -> bool:
    """Judge the kept lines again, as a page of their own; True if more go.

    The lines are judged in place (their measurements stay): what this look
    says besides a reason (a headline kept, a teaser's marker) is set aside,
    and the first look's ``keep_why`` and signals come back.
    """
    saved = [(line.keep_why, line.signals) for line in kept]
    for line in kept:
        says = line.signals.get("says")
        line.keep_why, line.signals = None, {"says": says} if says else {}
    _judge_once(kept)
    changed = False
    for line, (keep_why, signals) in zip(kept, saved):
        line.keep_why, line.signals = keep_why, signals
        if line.reason:
            signals["second_look"] = True
            changed = True
    return changed


def _judge_text_lines(lines: list[str]) -> list[Line]:
    """The non-blank lines, measured and judged to a fixed point."""
    judged = [measure(i, text) for i, text in enumerate(lines) if text]
    _judge_once(judged)
    kept = judged
    for _ in range(MAX_LOOKS):
        kept = [line for line in kept if not line.reason]
        if not _look_again(kept):
            break
    return judged


def judge_lines(lines: list[str]) -> list[Line]:
    """Every line measured and judged (``Line.reason`` None means keep).

    The rules judge a line by its neighbours, and removing chrome changes the
    neighbours. So the kept lines are judged again, as a page of their own,
    until nothing more goes: the result is a fixed point, and cleaning a
    cleaned text changes nothing. Blank lines are never judged: no rule
    reads them.
    """
    judged = iter(_judge_text_lines(lines))
    return [next(judged) if text else Line(i, text) for i, text in enumerate(lines)]


def classify_lines(lines: list[str]) -> list[str | None]:
    """A reason code per line (None: article text, or a blank line)."""
    reasons: list[str | None] = [None] * len(lines)
    for line in _judge_text_lines(lines):
        reasons[line.index] = line.reason
    return reasons


class StripBoilerplate:
    """Stage: drop boilerplate lines of ``doc.lines``, recording each removal."""

    def __call__(self, doc: Document) -> Document:
        if not doc.lines:
            doc.lines = doc.text.split("\n")
        removed = {line.index: line.reason for line in _judge_text_lines(doc.lines) if line.reason}
        lines = doc.lines
        # (positional: a dataclass's __init__ takes keywords at twice the cost)
        doc.removed.extend([Removal(i + 1, lines[i], reason) for i, reason in removed.items()])
        doc.text = assemble(doc.lines, removed)
        if len(doc.removed) == len(removed):  # (none removed before: the text is the lines not in doc.removed)
            note_kept_lines(doc)
        return doc


@dataclass
class Cleaned:
    text: str
    removed: list[Removal] = field(default_factory=list)


_normalise = Normalise()
_strip = StripBoilerplate()


def clean_text(text: str) -> Cleaned:
    """Normalise and strip one text (no corpus pass)."""
    doc = Document(id="", text=text, source=None)  # type: ignore[arg-type]
    _strip(_normalise(doc))
    return Cleaned(doc.text, doc.removed)
