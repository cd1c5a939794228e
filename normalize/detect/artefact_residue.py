"""Foreign-script residue: lines, or phrases inside lines, in a script the
document's language does not use.

"본문 바로가기" ("skip to main content") above an English article says the page
was Korean. Script is a fact where language guesses are not, so this rule works
from the Unicode script of each letter (:mod:`normalize.detect.scripts`). Latin
is tolerated everywhere (brands, URLs, loanwords), and inside a line in the
document's own script a foreign span must be a phrase, not a name: "Xi Jinping
(习近平)" is not residue.

Almost every page has no foreign letter at all, so the letters of all scripts a
document does not use are gathered into one character class
(:func:`foreign_pattern`) and a single search over the page settles that case;
only the lines where it hits are counted letter by letter.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from itertools import filterfalse, repeat
from typing import Iterable, Optional

from normalize.detect.artefact_page import Page, ScriptInfo, excerpt, lang_scripts, script_table, UND
from normalize.detect.artefact_switcher import LanguageSwitcher
from normalize.detect.scripts import COMMON, char_script, script_counts
from normalize.detect import scripts as _scripts
from normalize.detect.translation import Finding, data_rows, settings


@lru_cache(maxsize=None)
def residue_exemptions() -> tuple:
    return tuple(re.compile(rx) for _, rx in data_rows("artefact_residue_skip.tsv"))


@lru_cache(maxsize=None)
def script_ranges() -> dict[str, tuple]:
    """Script -> ((first, last), ...) code point ranges of the characters
    :func:`char_script` gives that script (letters, and the marks of scripts
    other than Latin, Greek and Cyrillic)."""
    script_of = char_script.__wrapped__  # the uncached function: no need to fill its cache
    ranges: dict[str, list] = {}
    for first, last in zip(_scripts._STARTS, _scripts._ENDS):
        run_script, run_start = None, first
        for cp in range(first, last + 2):
            script = script_of(chr(cp)) if cp <= last else None
            if script != run_script:
                if run_script not in (None, COMMON):
                    ranges.setdefault(run_script, []).append((run_start, cp - 1))
                run_script, run_start = script, cp
    return {s: tuple(r) for s, r in ranges.items()}


@lru_cache(maxsize=64)
def foreign_pattern(allowed: frozenset) -> re.Pattern:
    """One character class: every letter whose script is not in ``allowed``."""
    parts = [f"{re.escape(chr(a))}-{re.escape(chr(b))}" if a != b else re.escape(chr(a))
             for script, ranges in sorted(script_ranges().items()) if script not in allowed
             for a, b in ranges]
    return re.compile(f"[{''.join(parts)}]" if parts else r"(?!)")


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_ASCII_LETTERS = re.compile(r"[A-Za-z]")


def has_foreign(text: str, allowed: frozenset) -> bool:
    """Whether ``text`` holds a letter of a script outside ``allowed``."""
    return any_foreign(filter(None, text.split("\n")), allowed)


def any_foreign(lines: Iterable[str], allowed: frozenset) -> bool:
    """Whether any of ``lines`` holds a letter of a script outside ``allowed``: asked
    line by line, each line's answer cached (news lines repeat). When Latin is
    allowed only the lines outside ASCII can."""
    if "Latin" in allowed:
        lines = filterfalse(str.isascii, lines)
    return any(map(line_has_foreign, lines, repeat(allowed)))


@lru_cache(maxsize=32768)
def line_has_foreign(line: str, allowed: frozenset) -> bool:
    """Whether one line holds a letter of a script outside ``allowed``. An ASCII
    line holds only Latin letters."""
    if line.isascii():
        return "Latin" not in allowed and _ASCII_LETTERS.search(line) is not None
    return foreign_pattern(allowed).search(line) is not None


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
    return foreign, sum(counts.values()) + (len(_ASCII_LETTERS.findall(text)) if latin_ok else 0)


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
        allowed = allowed | self.dominant_foreign(page, allowed)
        if not any_foreign(page.filled[1], allowed):
            return  # no letter of a foreign script anywhere: the usual page
        menu_lines = self.switcher.menus(page)[1]
        for number, line in enumerate(page.lines, 1):
            if number in menu_lines or not line_has_foreign(line, allowed):
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
        foreign, total = foreign_letters(page.text, allowed)
        return frozenset(s for s, n in foreign.items() if n / total > self.max_doc_share)

    @staticmethod
    def longest_span(line: str, foreign: set) -> str:
        """The longest stretch of foreign-script letters (with the spaces and
        punctuation between them)."""
        best, start, last = "", None, None
        for i, ch in enumerate(line):
            script = char_script(ch)
            if script in foreign:
                if start is None:
                    start = i
                last = i
            elif script != COMMON and start is not None:
                if last + 1 - start > len(best):
                    best = line[start: last + 1]
                start = None
        if start is not None and last + 1 - start > len(best):
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
