"""What a line looks like and says: the measurements every rule reads.

Lengths are counted per script: Chinese, Japanese and Thai write no spaces, so
their "words" are estimated as characters / 2 (about the mean word length).
A line of prose ends with terminal punctuation and is dense in stop words; a
label ("Most Viewed News") has neither.

What a line says by itself (a lexicon phrase, a copyright sign, a date, markup
residue) does not depend on its document, and site chrome repeats across a
crawl, so that judgement is cached per line text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from normalize.strip.lexicon import (
    SHORT_PHRASE_WORDS,
    all_stopwords,
    bare_key,
    date_words,
    is_language_switcher,
    lexicon,
    match_pattern,
    scan_text,
    scanner,
    trim_key,
)
from normalize.memo import remember

# Scripts written without spaces between words.
_SPACELESS = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)
_TERMINAL = frozenset(".!?…。！？؟।॥:;")
_CLOSERS = "'\"”’»›)]】」』 "
SHORT = 40  # words; longer lines are never labels, captions or teasers


@dataclass(slots=True, init=False)
class Line:
    """One line of a document with its measurements and the verdict on it."""

    index: int  # 0-based position in doc.lines
    text: str
    key: str  # bare match key (short lines only)
    words: float  # words, or characters / 2 in spaceless scripts
    terminal: bool
    stop_ratio: float
    says: str | None  # reason the line gives by itself (lexicon, pattern)
    reason: str | None
    keep_why: str | None
    signals: dict
    prose: bool  # reads like running text (see is_prose); set by measure()
    # Answers every rule asks of every line in every look, computed once per
    # line text by measure(): a paragraph (see paragraph()), a photo credit
    # (a copyright sign that sits inside articles), and the first two words
    # of the key (a repeated headline starts like the headline; None: no key).
    para: bool
    photo_credit: bool
    start: tuple[str, ...] | None

    # Written out, not left to the dataclass: the __init__ it writes is
    # interpreted Python, which mypyc does not compile, and every line of every
    # page is a Line (blank ones too). Written out, the stage's instructions over
    # 2,000 pages fell by a sixth (benchmarks/bench_instructions.py).
    def __init__(self, index: int, text: str, key: str = "", words: float = 0.0, terminal: bool = False,
                 stop_ratio: float = 0.0, says: str | None = None, reason: str | None = None,
                 keep_why: str | None = None, signals: dict | None = None, prose: bool = False,
                 para: bool = False, photo_credit: bool = False, start: tuple[str, ...] | None = None) -> None:
        self.index = index
        self.text = text
        self.key = key
        self.words = words
        self.terminal = terminal
        self.stop_ratio = stop_ratio
        self.says = says
        self.reason = reason
        self.keep_why = keep_why
        self.signals = {} if signals is None else signals
        self.prose = prose
        self.para = para
        self.photo_credit = photo_credit
        self.start = start

    def __reduce__(self):  # (unpickled through __init__: a compiled class is not made empty first)
        return Line, (self.index, self.text, self.key, self.words, self.terminal, self.stop_ratio, self.says,
                      self.reason, self.keep_why, self.signals, self.prose, self.para, self.photo_credit, self.start)

    @property
    def blank(self) -> bool:
        return not self.text


def is_prose(words: float, terminal: bool, stop_ratio: float) -> bool:
    """Reads like a sentence of running text. (Every rule asks this of every
    line, so :func:`measure` answers it once, into ``Line.prose``.)"""
    if terminal:
        return words >= 7 and (stop_ratio >= 0.1 or words >= 15)
    return words >= 25 and stop_ratio >= 0.15


def paragraph(line: Line) -> bool:
    """A paragraph of running text, not just a sentence-like label.
    (:func:`measure` answers this once per line, into ``Line.para``.)"""
    return line.prose and line.words >= 20


_PHOTO_CREDIT_WORDS = 4  # "© dpa", "Foto: © Jane Roe": a credit, not a site's footer


# What _look worked out, per line text (see normalize.memo).
_LOOKS: Final[dict[str, tuple]] = {}
LOOKS_ROOM = 1 << 17


def _look(text: str) -> tuple:
    """The measurements of one line text, in the order of :class:`Line`'s
    fields from ``key`` (see :func:`measure`); one pass per distinct text."""
    known = _LOOKS.get(text)
    return known if known is not None else remember(_LOOKS, text, _look_at(text), LOOKS_ROOM)


def _look_at(text: str) -> tuple:
    lower = text.lower()
    tokens = lower.split()
    n_tokens = len(tokens)
    words = float(n_tokens)
    ascii_text = text.isascii()
    if not ascii_text and _SPACELESS.search(text):
        words = len(_SPACELESS.findall(text)) / 2 + sum(1 for t in tokens if not _SPACELESS.search(t))
    terminal = text.rstrip(_CLOSERS)[-1:] in _TERMINAL
    stop_ratio = _stop_words_in(tokens) / n_tokens if tokens else 0.0
    prose = is_prose(words, terminal, stop_ratio)
    para = prose and words >= 20
    if words > SHORT:
        return "", words, terminal, stop_ratio, None, None, prose, para, False, None
    # For ASCII text the match key (casefold, squeezed spaces) is the tokens
    # already split from the lower-cased text: no second pass over the line.
    joined = " ".join(tokens)
    key = trim_key(joined) if ascii_text else bare_key(text)
    reason, evidence = _says(text, lower, key, tokens, words, scan_text(key, joined))
    photo_credit = (reason == "copyright" and words <= _PHOTO_CREDIT_WORDS
                    and evidence is not None and evidence.startswith("pattern") and not any(c.isdigit() for c in text))
    start = tuple(key.split(" ", 2)[:2]) if key else None
    return key, words, terminal, stop_ratio, reason, evidence, prose, para, photo_credit, start


def _stop_words_in(tokens: list[str]) -> int:
    # a plain loop: compiled (normalize/compiled.py), it runs at C speed
    stops = all_stopwords()
    n = 0
    for token in tokens:
        if token in stops:
            n += 1
    return n


def _says(text: str, lower: str, key: str, tokens: list[str], words: float,
          scanned: str | None) -> tuple[str | None, str | None]:
    """What the line says by itself, and the evidence. ``scanned``: the text
    whose one scan serves the phrases and the patterns (see :func:`scan_text`)."""
    lex = lexicon()
    reason = lex.whole_or_prefix(key)
    found = None
    if reason is None and words <= SHORT_PHRASE_WORDS:
        if scanned is not None:
            found = scanner().found(scanned)
        reason = lex.short_phrase(key, found)
    if reason:
        return reason, "lexicon"
    if _doubled(key):
        return "teaser", "text printed twice (link text and its title)"
    if words <= 12 and is_language_switcher(key):
        return "language-switcher", "language names"
    if tokens and len(tokens) <= 7:
        dates = date_words()
        if all(_number(t) or t.strip(".,:|") in dates for t in tokens):
            return "date", "date words"
    if words <= 20 and ("|" in text or "·" in text or "•" in text) and _dateline(tokens):
        return "date", "date, then a label after a separator"
    if found is None and scanned is not None:
        found = scanner().found(scanned)
    pattern = match_pattern(text, lower, words, found)
    if pattern is not None:
        return pattern.reason, "pattern " + pattern.regex.pattern[:40]
    return None, None


_SEPARATORS = frozenset("|·•")


def _dateline(tokens: list[str]) -> bool:
    """"8. November 2021 | Aktuelles", "January 13, 2020 at 08:45 AM | categories:
    ...": a date and a label (section, category, comment count) joined by a
    separator is page furniture above or below the article."""
    dates = date_words()
    for n, token in enumerate(tokens):
        if token in _SEPARATORS:
            return n > 0 and any(map(_number, tokens[:n]))
        if not (_number(token) or token.strip(".,:") in dates):
            return False
    return False


def _number(token: str) -> bool:
    """"18.", "12:50", "2023," "06.12.2022": parts of dates and times."""
    return token.strip(".,:|").replace(":", "").replace(".", "").replace("/", "").isdigit()


def _doubled(key: str) -> bool:
    """"À suivre À suivre", "Les classiquesLes classiques": a link whose
    title attribute was printed after its text."""
    n = len(key)
    if n < 6:
        return False
    half = n // 2
    if n % 2 == 0 and key[:half] == key[half:]:
        return True
    return key[half] == " " and key[:half] == key[half + 1 :]


def measure(index: int, text: str) -> Line:
    if not text:
        return Line(index, text)
    key, words, terminal, stop_ratio, says, evidence, prose, para, photo_credit, start = _look(text)
    return Line(index, text, key, words, terminal, stop_ratio, says, None, None,
                {"says": evidence} if evidence else {}, prose, para, photo_credit, start)
