"""Language menus of multilingual sites: "ua en ru", "EN | DE | FR", "English Español".

A menu lists the language the page was written in first, so a translated page
that kept its source site's menu says where it came from. The tokens (codes,
autonyms, a few country names) are in ``data/artefact_switcher.tsv``.

Nearly every line of an article opens with a word that names no language, and a
line is a menu only if every word of it does; so only lines whose first word
could open a menu get a closer look. Both the test of the first word and the
closer look depend on the line's text alone and are cached on it (news lines
repeat across reprints and a site's chrome).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Optional

from normalize.detect.artefact_page import LINE_CACHE, Page, excerpt
from normalize.detect.translation import Finding, data_rows, settings

_STRIP = "[]()«»\"'"  # stripped from both ends of each word
_SPLIT = re.compile(r"\s+[-–—]\s+|[|/•·,;\s]+")
_SEPARATOR = re.compile(r"[|/•·,;]|\s[-–—]\s")
_REGION = re.compile(r"^([a-z]{2,3})[-_](?:[a-z]{2}|hans|hant)$")
# The first word of a line: separators, dashes and the characters stripped from
# words are skipped first. It may leave a leading dash or quote that _SPLIT
# keeps, so it finds a superset of the lines whose first word is a token.
_FIRST = re.compile(r"(?:\s|[|/•·,;\[\]()«»\"'\-–—])*([^\s|/•·,;]*)")


@dataclass(frozen=True)
class LangToken:
    lang: str
    autonym: bool
    ambiguous: bool  # a word or acronym in any case: "it", "IT"
    word: bool = False  # a word in lower case only: "de", but "DE" is a code

    def clear(self, surface: str) -> bool:
        """Whether this token, written as ``surface``, can only mean a language."""
        return not (self.ambiguous or (self.word and not surface.isupper()))


@lru_cache(maxsize=None)
def switcher_tokens() -> dict[str, LangToken]:
    table = {}
    for row in data_rows("artefact_switcher.tsv"):
        token = row[0]
        # codes are written lower-case in the table, autonyms as their speakers write them
        note = row[2] if len(row) > 2 else ""
        table[token.casefold()] = LangToken(row[1], not token.islower(), note == "ambiguous", note == "word")
    return table


@lru_cache(maxsize=None)
def opening_words() -> frozenset:
    """Casefolded words a menu line can open with: each token's first word."""
    return frozenset(token.split(" ")[0] for token in switcher_tokens())


@lru_cache(maxsize=LINE_CACHE)
def opens_menu(line: str) -> bool:
    """Whether the first word of ``line`` can be the first word of a menu."""
    first = _FIRST.match(line)  # (it always matches: every part is optional)
    word = first.group(1).strip(_STRIP).casefold()  # type: ignore[union-attr]
    if not word:
        return False
    if word in opening_words():
        return True
    m = _REGION.match(word)  # en-US, pt_BR, zh-Hans
    return m is not None and m.group(1) in switcher_tokens()


class LanguageSwitcher:
    """Language menus of a multilingual site: "ua en ru", "EN | DE | FR", or a
    column of autonyms one per line ("Svenska", "Türkçe", "日本語", "한국어").

    Codes are also words ("en", "de", "it", "por"), so a line of bare lower-case
    codes needs three of them or a separator ("ua en ru", "en | de"); upper-case
    codes and capitalised autonyms are strong enough in pairs ("EN DE",
    "English Deutsch"). Two languages must be named unambiguously ("IT", "UK"
    and lower-case "de" are not), or one beside a separator.
    A menu names the site's own language first, which is taken as the likely
    source of a translation. The lines of a menu are not residue: "日本語" in a
    language menu is a link, not left-over Japanese.
    """

    kind = "language-switcher"

    def __init__(self) -> None:
        conf = settings()
        self.weight = conf["switcher.weight"]
        self.gap = conf["switcher.column.gap"]  # items of one column are this close at most
        self.short = conf["switcher.column.max_words"]  # words in a line that can be an item
        self.density = conf["switcher.column.density"]  # share of a column's lines that are items

    def __call__(self, page: Page) -> Iterable[Finding]:
        for number, langs, shown in self.menus(page)[0]:
            others = [lang for lang in langs if lang != page.lang]
            yield Finding(self.kind, number, f'language switcher "{excerpt(shown)}" ({", ".join(langs)})',
                          self.kind, self.weight, others[0] if others else None)

    def menus(self, page: Page) -> tuple[list, set]:
        """(first line, languages, text) of each menu, and every line that belongs to one."""
        if page.menus is None:
            found, lines = [], set()
            candidates = self.candidates(page)
            for number in candidates:
                langs = menu_languages(page.lines[number - 1])
                if langs is not None:
                    found.append((number, langs, page.lines[number - 1].strip()))
                    lines.add(number)
            if candidates:
                for number, langs, shown, members in self.columns(page.lines, candidates):
                    if not members & lines:
                        found.append((number, langs, shown))
                    lines |= members
            page.menus = (sorted(found), lines)
        return page.menus

    def candidates(self, page: Page) -> list[int]:
        """Numbers of the lines whose first word could open a menu (every other line
        has no tokens, so is neither a menu nor an item of one)."""
        numbers, lines = page.filled
        if page.facts is not None:
            return [number for number, facts in zip(numbers, page.facts) if facts.opens_menu]
        return [number for number, line in zip(numbers, lines) if opens_menu(line)]

    def columns(self, lines: list[str], candidates: Optional[list] = None) -> Iterable[tuple]:
        """Menus written one item per line: short lines, several of them language tokens.
        ``candidates``: the only line numbers that can hold tokens (see candidates())."""
        numbers = range(1, len(lines) + 1) if candidates is None else candidates
        itemised = [number for number in numbers if self.item_tokens(lines[number - 1])]
        if not itemised:
            return  # no line is an item of a menu (the usual page)
        items = [(n, line.strip()) for n, line in enumerate(lines, 1) if line and not line.isspace()]
        position = {number: pos for pos, (number, _) in enumerate(items)}
        group: list = []  # (position among items, number, tokens)
        for number in itemised:
            pos = position[number]
            if group and pos - group[-1][0] > self.gap:
                yield from self.column(group, items)
                group = []
            group.append((pos, number, self.item_tokens(lines[number - 1])))
        if group:
            yield from self.column(group, items)

    def item_tokens(self, line: str) -> Optional[tuple]:
        """The tokens of a line short enough to be an item of a menu column."""
        text = line.strip()
        return menu_tokens(text) if text and len(text.split()) <= self.short else None

    def column(self, group: list, items: list) -> Iterable[tuple]:
        tokens = [t for _, _, ts in group for t in ts]
        langs = list(dict.fromkeys(t.lang for t, _ in tokens))
        # two languages named unambiguously: a list of countries in German
        # ("Österreich", "Portugal", "Spanien") is not a menu
        clear = {t.lang for t, surface in tokens if t.clear(surface)}
        n_strong = sum(strong(t, surface) for t, surface in tokens)
        first, last = group[0][0], group[-1][0]
        dense = len(group) >= self.density * (last - first + 1)
        if len(clear) < 2 or not dense or (n_strong < 2 and len(group) < 3):
            return
        # the short lines between and just around the items are part of the menu
        # ("Pусский" with a Latin P, "中文v" with the arrow of a drop-down)
        lo, hi = max(0, first - 1), min(len(items) - 1, last + 1)
        members = {items[p][0] for p in range(lo, hi + 1)
                   if len(items[p][1].split()) <= self.short or first <= p <= last}
        shown = " ".join(items[p][1] for p in range(first, min(last, first + 5) + 1))
        yield group[0][1], langs, shown, members

    @staticmethod
    def languages(line: str) -> Optional[list[str]]:
        """The languages of a one-line switcher, in order, or None if it is not one."""
        return menu_languages(line)

    @staticmethod
    def tokens(text: str) -> Optional[tuple]:
        """(token, surface) for each word of ``text``, or None if any word is not one."""
        return menu_tokens(text)


# (Module functions, not cached class methods: mypyc compiles no method under lru_cache.)

@lru_cache(maxsize=LINE_CACHE)
def menu_languages(line: str) -> Optional[list[str]]:
    """The languages of a one-line switcher, in order, or None if it is not one."""
    line = line.strip()
    if not line or len(line) > 120:
        return None
    tokens = menu_tokens(line)
    if not tokens or len(tokens) < 2:
        return None
    langs = list(dict.fromkeys(t.lang for t, _ in tokens))
    clear = {t.lang for t, surface in tokens if t.clear(surface)}
    separated = bool(_SEPARATOR.search(line))
    # two languages named unambiguously, or one and a separator ("de / en");
    # "English (UK)" names one language and a country
    if len(langs) < 2 or not (len(clear) >= 2 or (clear and separated)):
        return None
    if len(tokens) >= 3 or separated or all(strong(t, s) for t, s in tokens):
        return langs
    return None


@lru_cache(maxsize=LINE_CACHE)
def menu_tokens(text: str) -> Optional[tuple]:
    """(token, surface) for each word of ``text``, or None if any word is not one."""
    words = [w.strip(_STRIP) for w in _SPLIT.split(text)]
    words = [w for w in words if w]
    if not words or len(words) > 16:
        return None
    table, out, i = switcher_tokens(), [], 0
    while i < len(words):
        token, width = lookup(words, i, table)
        if token is None:
            return None
        out.append((token, " ".join(words[i: i + width])))
        i += width
    return tuple(out)


def strong(token: LangToken, surface: str) -> bool:
    """Capitalised or uncased autonyms and upper-case codes stand on their own."""
    if token.autonym:
        return not surface[0].islower()
    return surface.isupper() and len(surface) >= 2


def lookup(words: list[str], i: int, table: dict) -> tuple[Optional[LangToken], int]:
    """The token that words ``i`` on open (two words or one), and how many words it takes."""
    if i + 1 < len(words):
        two = table.get(f"{words[i]} {words[i + 1]}".casefold())
        if two is not None:
            return two, 2
    word = words[i].casefold()
    if word in table:
        return table[word], 1
    m = _REGION.match(word)  # en-US, pt_BR, zh-Hans
    if m and m.group(1) in table:
        return table[m.group(1)], 1
    return None, 1
