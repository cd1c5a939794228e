"""Foreign-script residue: lines, or phrases inside lines, in a script the
document's language does not use.

"본문 바로가기" ("skip to main content") above an English article says the page
was Korean. Script is a fact where language guesses are not, so this rule works
from the Unicode script of each letter (:mod:`normalize.detect.scripts`). Latin
is tolerated everywhere (brands, URLs, loanwords), and inside a line in the
document's own script a foreign span must be a phrase, not a name: "Xi Jinping
(习近平)" is not residue.

Almost every page has no foreign letter at all. Whether a line has one is
settled from its distinct non-ASCII characters and cached on the line's text
(news lines repeat across reprints); only lines that have one are counted letter
by letter.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from itertools import filterfalse
from typing import Iterable, Optional

from normalize.detect.artefact_page import LINE_CACHE, Page, ScriptInfo, excerpt, lang_scripts, script_table, UND
from normalize.detect.artefact_switcher import LanguageSwitcher
from normalize.detect.scripts import COMMON, char_script, script_counts
from normalize.detect.translation import Finding, data_rows, settings


@lru_cache(maxsize=None)
def residue_exemptions() -> tuple:
    return tuple(re.compile(rx) for _, rx in data_rows("artefact_residue_skip.tsv"))


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_ASCII_LETTERS = re.compile(r"[A-Za-z]")


def has_foreign(text: str, allowed: frozenset) -> bool:
    """Whether ``text`` holds a letter of a script outside ``allowed``."""
    return any_foreign(filter(None, text.split("\n")), allowed)


def any_foreign(lines: Iterable[str], allowed: frozenset) -> bool:
    """Whether any of ``lines`` holds a letter of a script outside ``allowed``. When
    Latin is allowed only the lines outside ASCII can."""
    if "Latin" in allowed:
        lines = filterfalse(str.isascii, lines)
    return not _NONE.union(*map(line_scripts, lines)) <= allowed


def page_foreign(page: Page, allowed: frozenset) -> bool:
    """:func:`any_foreign` of the page's lines, from their facts when the stage
    has them (an ASCII line adds at most Latin, which changes nothing when
    Latin is allowed, and is looked at anyway when it is not)."""
    if page.facts is None:
        return any_foreign(page.filled[1], allowed)
    # (the lines' sets of scripts are few and alike: made distinct first)
    return not _NONE.union(*{facts.scripts for facts in page.facts}) <= allowed


@lru_cache(maxsize=LINE_CACHE)
def line_scripts(line: str) -> frozenset:
    """The scripts of the letters of a line, cached on its text (news lines repeat).
    ASCII letters are Latin; the other characters of a line are few and distinct
    (quotes and dashes, in most European text), so each is looked up once.
    They are found as bytes: an ASCII byte is never part of another character
    in UTF-8, so deleting the ASCII bytes leaves the others whole (a set of all
    of a paragraph's characters hashed every one of them: 5.3 against 2.1 us a line)."""
    scripts: set[str] = set()
    if not line.isascii():
        beyond = line.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")
        scripts.update(map(char_script, set(beyond)))
    scripts.discard(COMMON)
    if _ASCII_LETTERS.search(line):
        scripts.add("Latin")
    return frozenset(scripts)


_NONE: frozenset = frozenset()
_ASCII_BYTES = bytes(range(128))


def foreign_letters(text: str, allowed: frozenset) -> tuple[Counter, int]:
    """Letters of ``text`` per script outside ``allowed``, and the count of all its
    letters (0 when there are no foreign ones: most lines need no more work)."""
    if not has_foreign(text, allowed):
        return Counter(), 0
    latin_ok = "Latin" in allowed
    # ASCII letters are Latin: when Latin is allowed only the rest needs a look.
    counts = script_counts("".join(_NON_ASCII.findall(text)) if latin_ok else text)
    foreign = Counter({s: n for s, n in counts.items() if s not in allowed})
    if not foreign:
        return foreign, 0
    return foreign, sum(counts.values()) + (ascii_letters(text) if latin_ok else 0)


def ascii_letters(text: str) -> int:
    """How many of ``text``'s characters are ASCII letters: its ASCII bytes with
    all but the letters deleted (a page has thousands; a list of them, as a
    regex's ``findall`` makes, costs a hundred times more)."""
    return len(text.encode("ascii", "ignore").translate(None, _NOT_ASCII_LETTERS))


_NOT_ASCII_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())


class ScriptResidue:
    """Lines, or phrases inside lines, in a script the document's language does not use."""

    kind = "foreign-script-residue"

    def __init__(self, switcher: Optional[LanguageSwitcher] = None) -> None:
        self.switcher = switcher or LanguageSwitcher()
        conf = settings()
        self.min_line = {True: conf["residue.line.min_letters.spaced"],
                         False: conf["residue.line.min_letters.unspaced"]}
        self.min_share = conf["residue.line.min_share"]
        self.span_words = conf["residue.span.min_words"]
        self.span_unspaced = conf["residue.span.min_letters.unspaced"]
        self.max_doc_share = conf["residue.doc.max_foreign_share"]
        self.w_line = conf["residue.line.weight"]
        self.w_span = conf["residue.span.weight"]

    def __call__(self, page: Page) -> Iterable[Finding]:
        allowed = page.natives | lang_scripts()["*"]
        if not page_foreign(page, allowed):
            return  # no letter of a foreign script on any line: the usual page
        allowed = allowed | self.dominant_foreign(page, allowed)
        if not page_foreign(page, allowed):
            return
        menu_lines = self.switcher.menus(page)[1]
        numbers, lines = page.filled  # (an empty line has no letters)
        scripts = ([facts.scripts for facts in page.facts] if page.facts is not None
                   else [line_scripts(line) for line in lines])
        for number, line, its_scripts in zip(numbers, lines, scripts):
            if its_scripts <= allowed or number in menu_lines:
                continue
            found = self.at(page, number, line, allowed)
            if found is not None:
                yield found

    def at(self, page: Page, number: int, line: str, allowed: frozenset) -> Optional[Finding]:
        """The finding of a line that holds foreign letters, if it is residue."""
        foreign, n_all = foreign_letters(line, allowed)
        if not foreign or self.switcher.tokens(line.strip()) or self.quoted(line):
            return None  # (a lone "日本語" or "Русский" is a link to another edition)
        main = max(foreign, key=lambda s: (foreign[s], s))
        info = script_table().get(main, ScriptInfo(UND, True, ()))
        n_foreign = sum(foreign.values())
        if n_foreign / n_all >= self.min_share and n_foreign >= self.min_line[info.spaced]:
            what, span, weight = "line", line, self.w_line
        else:
            span = self.longest_span(line, set(foreign))
            if not self.is_phrase(span, info.spaced):
                return None
            what, weight = "phrase", self.w_span
        source = self.source(span, main, page.line_lang(number))
        return Finding(self.kind, number,
                       f'{main} {what} "{excerpt(span)}" (document language: {page.lang or "unknown"})',
                       f"{self.kind}:{what}", weight, source)

    @staticmethod
    def quoted(line: str) -> bool:
        """A quoted line (an embedded post) keeps its author's script: not residue."""
        return any(rx.search(line) for rx in residue_exemptions())

    def dominant_foreign(self, page: Page, allowed: frozenset) -> frozenset:
        """Foreign scripts holding a large share of the text: a bilingual document or a
        wrong language label, not residue."""
        if page.facts is not None and self.few_foreign(page, allowed):
            return frozenset()
        foreign, total = foreign_letters(page.text, allowed)
        return frozenset(s for s, n in foreign.items() if n / total > self.max_doc_share)

    def few_foreign(self, page: Page, allowed: frozenset) -> bool:
        """Whether no foreign script can hold the share :meth:`dominant_foreign`
        looks for, from the lines' facts: its letters are at most the characters
        of the lines holding foreign letters, and the text's letters at least its
        ASCII ones. Such pages (a stray menu line in another script above an
        article) are most of those with foreign letters, and counting every
        letter of the text by script took a tenth of the stage's time."""
        facts: list = page.facts or []  # (looked up by the stage: see dominant_foreign)
        outside: int = sum([len(line) for line, known in zip(page.filled[1], facts) if not known.scripts <= allowed])
        return outside <= self.max_doc_share * ascii_letters(page.text)

    @staticmethod
    def longest_span(line: str, foreign: set) -> str:
        """The longest stretch of foreign-script letters (with the spaces and
        punctuation between them)."""
        best, start, last = "", -1, -1  # (start -1: no stretch begun)
        for i, ch in enumerate(line):
            script = char_script(ch)
            if script in foreign:
                if start < 0:
                    start = i
                last = i
            elif script != COMMON and start >= 0:
                if last + 1 - start > len(best):
                    best = line[start: last + 1]
                start = -1
        if start >= 0 and last + 1 - start > len(best):
            best = line[start: last + 1]
        return best

    def is_phrase(self, span: str, spaced: bool) -> bool:
        if spaced:
            # words of two letters or more: "Β, Γ, Δ" is a list of symbols, not a phrase
            return sum(sum(c.isalpha() for c in w) >= 2 for w in span.split()) >= self.span_words
        return sum(c.isalpha() for c in span) >= self.span_unspaced

    @staticmethod
    def source(span: str, script: str, line_lang: Optional[str]) -> Optional[str]:
        """The language a foreign span was most likely written in."""
        info = script_table().get(script)
        if info is None:
            return None
        if line_lang and script in lang_scripts().get(line_lang, ()):
            return line_lang  # a line-level language guess that agrees with the script
        present = set(script_counts(span))
        if script in ("Han", "Hiragana", "Katakana") and present & {"Hiragana", "Katakana"}:
            return "ja"
        if script == "Han" and "Hangul" in present:
            return "ko"
        for lang, letters in info.hints:
            if any(ch in letters for ch in span):
                return lang
        return info.lang
