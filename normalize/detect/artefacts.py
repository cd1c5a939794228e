"""Traces a translation leaves in a text: residue, switchers, wire phrasing, names.

Scraped news is often a translation, by a machine or in a hurry, of a page in
another language, and it shows:

``foreign-script-residue``
    A line of the source page's chrome that survived: "본문 바로가기" ("skip to
    main content") above an English article says the page was Korean. Script is
    a fact where language guesses are not, so this rule works from the Unicode
    script of each letter (:mod:`normalize.detect.scripts`). Latin is tolerated
    everywhere (brands, URLs, loanwords), and inside a line in the document's own
    script a foreign span must be a phrase, not a name: "Xi Jinping (习近平)" is
    not residue.
``language-switcher``
    "ua en ru", "EN | DE | FR", "English Español Français": the menu of a
    multilingual site, which lists the language the page was written in first.
``wire-marker``
    Phrasing that translated wire copy keeps: Korean and Japanese agencies date
    events "On the 6th (local time)", credit "[Image source=Yonhap News]" and
    open with "[Asia Economy Intern Reporter Yunjin Kim]".
``name-variant``
    "Volodymyr Putin", "Kim Jong UN": see :mod:`normalize.detect.names`.

Every rule lives in a data file (``data/artefact_*.tsv``, ``data/names_*``),
and every finding carries a weight and the language it points at, from which
:mod:`normalize.detect.translation` decides whether the text is suspected of
being a translation, and from what.

Findings are about ``doc.lines``, the lines before stripping: the chrome a
stripper removes is exactly where residue and switchers live.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Optional

from normalize.document import Artefact, Document, Source
from normalize.detect.names import NameChecks, NameVariants, mention_records  # noqa: F401
from normalize.detect.scripts import COMMON, char_script, dominant_script, script_counts
from normalize.detect.translation import Finding, data_rows, settings, verdict

__all__ = ["FindArtefacts", "find_artefacts", "NameVariants"]

UND = "und"


# -- the document as the rules see it ----------------------------------------


@dataclass(frozen=True)
class ScriptInfo:
    lang: str
    spaced: bool
    hints: tuple  # ((lang, letters), ...) in the order to try


@lru_cache(maxsize=None)
def script_table() -> dict[str, ScriptInfo]:
    table = {}
    for row in data_rows("artefact_scripts.tsv"):
        hints = tuple(tuple(h.split(":", 1)) for h in (row[3].split() if len(row) > 3 else ()))
        table[row[0]] = ScriptInfo(row[1], row[2] == "spaced", hints)
    return table


@lru_cache(maxsize=None)
def lang_scripts() -> dict[str, frozenset]:
    return {row[0]: frozenset(row[1].split()) for row in data_rows("artefact_lang_scripts.tsv")}


def native_scripts(lang: Optional[str], text: str) -> frozenset:
    """Scripts the document's language is written in; from the text when unknown."""
    table = lang_scripts()
    if lang and lang in table:
        return table[lang]
    script = dominant_script(text)
    if script == "Japanese":
        return table["ja"]
    info = script_table().get(script)
    if info is not None and info.lang in table:
        return table[info.lang]
    return frozenset({script})


@lru_cache(maxsize=None)
def residue_exemptions() -> tuple:
    return tuple(re.compile(rx) for _, rx in data_rows("artefact_residue_skip.tsv"))


@dataclass
class Page:
    """The inputs every rule reads, gathered once per document."""

    lines: list[str]
    lang: Optional[str]
    text: str
    line_langs: Optional[list] = None
    natives: frozenset = field(default_factory=frozenset)
    menus: Optional[tuple] = None  # language menus, found once (LanguageSwitcher.menus)

    @classmethod
    def of(cls, doc: Document) -> "Page":
        lines = doc.lines if doc.lines else doc.text.split("\n")
        # "en_US", "de-CH": the language is what comes before the region
        lang = re.split(r"[-_]", doc.lang.lower())[0] if doc.lang and doc.lang != UND else None
        text = doc.text if doc.text.strip() else "\n".join(lines)
        line_langs = doc.work.get("line_langs")
        if line_langs is not None and len(line_langs) != len(lines):
            line_langs = None  # not aligned with these lines: do without
        return cls(lines, lang, text, line_langs, native_scripts(lang, text))

    def line_lang(self, number: int) -> Optional[str]:
        if not self.line_langs:
            return None
        value = self.line_langs[number - 1]
        return value if value and value != UND else None


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_ASCII_LETTERS = re.compile(r"[A-Za-z]")


def foreign_letters(text: str, allowed: frozenset) -> tuple[Counter, int]:
    """Letters of ``text`` per script outside ``allowed``, and the count of all its
    letters (0 when there are no foreign ones: most lines need no more work)."""
    latin_ok = "Latin" in allowed
    # ASCII letters are Latin: when Latin is allowed only the rest needs a look.
    counts = script_counts("".join(_NON_ASCII.findall(text)) if latin_ok else text)
    foreign = Counter({s: n for s, n in counts.items() if s not in allowed})
    if not foreign:
        return foreign, 0
    return foreign, sum(counts.values()) + (len(_ASCII_LETTERS.findall(text)) if latin_ok else 0)


def excerpt(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- foreign-script residue --------------------------------------------------


class ScriptResidue:
    """Lines, or phrases inside lines, in a script the document's language does not use."""

    kind = "foreign-script-residue"

    def __init__(self, switcher: Optional["LanguageSwitcher"] = None) -> None:
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
        ascii_ok = "Latin" in allowed  # then an ASCII line cannot hold residue
        menu_lines = self.switcher.menus(page)[1]
        for number, line in enumerate(page.lines, 1):
            if (ascii_ok and line.isascii()) or number in menu_lines:
                continue
            foreign, n_all = foreign_letters(line, allowed)
            if not foreign or self.switcher.tokens(line.strip()) or self.quoted(line):
                continue  # (a lone "日本語" or "Русский" is a link to another edition)
            main = max(foreign, key=lambda s: (foreign[s], s))
            info = script_table().get(main, ScriptInfo(UND, True, ()))
            n_foreign = sum(foreign.values())
            if n_foreign / n_all >= self.min_share and n_foreign >= self.min_line[info.spaced]:
                what, span, weight = "line", line, self.w_line
            else:
                span = self.longest_span(line, set(foreign))
                if not self.is_phrase(span, info.spaced):
                    continue
                what, weight = "phrase", self.w_span
            source = self.source(span, main, page.line_lang(number))
            yield Finding(self.kind, number,
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


# -- language switcher -------------------------------------------------------


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
    _SPLIT = re.compile(r"\s+[-–—]\s+|[|/•·,;\s]+")
    _SEPARATOR = re.compile(r"[|/•·,;]|\s[-–—]\s")
    _REGION = re.compile(r"^([a-z]{2,3})[-_](?:[a-z]{2}|hans|hant)$")
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
            for number, line in enumerate(page.lines, 1):
                langs = self.languages(line)
                if langs is not None:
                    found.append((number, langs, line.strip()))
                    lines.add(number)
            for number, langs, shown, members in self.columns(page.lines):
                if not members & lines:
                    found.append((number, langs, shown))
                lines |= members
            page.menus = (sorted(found), lines)
        return page.menus

    def columns(self, lines: list[str]) -> Iterable[tuple]:
        """Menus written one item per line: short lines, several of them language tokens."""
        items = [(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()]
        group: list = []  # (position among items, number, tokens)
        for pos, (number, text) in enumerate(items):
            tokens = self.tokens(text) if len(text.split()) <= self.short else None
            if tokens:
                if group and pos - group[-1][0] > self.gap:
                    yield from self.column(group, items)
                    group = []
                group.append((pos, number, tokens))
        if group:
            yield from self.column(group, items)

    def column(self, group: list, items: list) -> Iterable[tuple]:
        tokens = [t for _, _, ts in group for t in ts]
        langs = list(dict.fromkeys(t.lang for t, _ in tokens))
        # two languages named unambiguously: a list of countries in German
        # ("Österreich", "Portugal", "Spanien") is not a menu
        clear = {t.lang for t, surface in tokens if t.clear(surface)}
        strong = sum(self.strong(t, surface) for t, surface in tokens)
        first, last = group[0][0], group[-1][0]
        dense = len(group) >= self.density * (last - first + 1)
        if len(clear) < 2 or not dense or (strong < 2 and len(group) < 3):
            return
        # the short lines between and just around the items are part of the menu
        # ("Pусский" with a Latin P, "中文v" with the arrow of a drop-down)
        lo, hi = max(0, first - 1), min(len(items) - 1, last + 1)
        members = {items[p][0] for p in range(lo, hi + 1)
                   if len(items[p][1].split()) <= self.short or first <= p <= last}
        shown = " ".join(items[p][1] for p in range(first, min(last, first + 5) + 1))
        yield group[0][1], langs, shown, members

    def languages(self, line: str) -> Optional[list[str]]:
        """The languages of a one-line switcher, in order, or None if it is not one."""
        line = line.strip()
        if not line or len(line) > 120:
            return None
        tokens = self.tokens(line)
        if not tokens or len(tokens) < 2:
            return None
        langs = list(dict.fromkeys(t.lang for t, _ in tokens))
        clear = {t.lang for t, surface in tokens if t.clear(surface)}
        separated = bool(self._SEPARATOR.search(line))
        # two languages named unambiguously, or one and a separator ("de / en");
        # "English (UK)" names one language and a country
        if len(langs) < 2 or not (len(clear) >= 2 or (clear and separated)):
            return None
        if len(tokens) >= 3 or separated or all(self.strong(t, s) for t, s in tokens):
            return langs
        return None

    def tokens(self, text: str) -> Optional[list[tuple]]:
        """(token, surface) for each word of ``text``, or None if any word is not one."""
        words = [w.strip("[]()«»\"'") for w in self._SPLIT.split(text)]
        words = [w for w in words if w]
        if not words or len(words) > 16:
            return None
        table, out, i = switcher_tokens(), [], 0
        while i < len(words):
            token, width = self.lookup(words, i, table)
            if token is None:
                return None
            out.append((token, " ".join(words[i: i + width])))
            i += width
        return out

    @staticmethod
    def strong(token: "LangToken", surface: str) -> bool:
        """Capitalised or uncased autonyms and upper-case codes stand on their own."""
        if token.autonym:
            return not surface[0].islower()
        return surface.isupper() and len(surface) >= 2

    def lookup(self, words: list[str], i: int, table: dict) -> tuple[Optional["LangToken"], int]:
        if i + 1 < len(words):
            two = table.get(f"{words[i]} {words[i + 1]}".casefold())
            if two is not None:
                return two, 2
        word = words[i].casefold()
        if word in table:
            return table[word], 1
        m = self._REGION.match(word)  # en-US, pt_BR, zh-Hans
        if m and m.group(1) in table:
            return table[m.group(1)], 1
        return None, 1


# -- wire markers ------------------------------------------------------------


@dataclass(frozen=True)
class WireRule:
    name: str
    source: Optional[str]
    written_in: Optional[str]  # the language of the phrase itself; None: any
    weight: float
    cues: tuple  # lower-case strings, one of which a text must contain for the rule to apply
    pattern: re.Pattern


@lru_cache(maxsize=None)
def wire_rules() -> tuple[WireRule, ...]:
    return tuple(WireRule(name, None if source == "-" else source, None if written == "-" else written,
                          # MULTILINE: "^" and "$" also hold in the whole-page search
                          float(weight), tuple(cues.split("|")), re.compile(rx, re.MULTILINE))
                 for name, source, written, weight, cues, rx in data_rows("artefact_wire.tsv"))


class WireMarkers:
    """Phrases of translated wire copy, from ``data/artefact_wire.tsv``.

    A marker is not evidence in a text written in the language it points at:
    "ⓒ" is ordinary in Korean. An English phrase is only looked for in English
    (or unlabelled) text: "Photo illustrative" is plain French.
    """

    kind = "wire-marker"

    def __call__(self, page: Page) -> Iterable[Finding]:
        rules = [r for r in wire_rules()
                 if not (r.source and page.lang in r.source.split("|"))
                 and (r.written_in is None or page.lang in (None, r.written_in))]
        # Most rules never match: one search over the whole page (after the cheaper
        # cue test) rules a rule out; only a rule that matches there is run line by line.
        text = "\n".join(page.lines)
        lowered = text.lower()
        hits = []
        for rule in rules:
            if not any(cue in lowered for cue in rule.cues) or rule.pattern.search(text) is None:
                continue
            for number, line in enumerate(page.lines, 1):
                m = rule.pattern.search(line)
                if m:
                    hits.append(Finding(self.kind, number, f'{rule.name} "{excerpt(m.group().strip())}"',
                                        f"{self.kind}:{rule.name}", rule.weight, rule.source))
        return hits


# -- the stage ---------------------------------------------------------------


class FindArtefacts:
    """Stage: find translation artefacts in a document and give the verdict.

    Appends :class:`Artefact` records to ``doc.artefacts``, sets
    ``doc.translation`` and leaves the document's name mentions in
    ``doc.work["names"]`` for :class:`NameVariants`.
    """

    name = "artefacts"

    def __init__(self) -> None:
        switcher = LanguageSwitcher()
        self.rules = (switcher, ScriptResidue(switcher), WireMarkers())
        self.names = NameChecks()

    def __call__(self, doc: Document) -> Document:
        page = Page.of(doc)
        findings: list[Finding] = []
        for rule in self.rules:
            findings.extend(rule(page))
        found, mentions, flagged = self.names(page.lines)
        findings.extend(found)
        findings.sort(key=lambda f: (f.line, f.kind, f.evidence))
        doc.artefacts.extend(f.artefact() for f in findings)
        doc.translation = verdict(findings)
        doc.work["names"] = mention_records(mentions, flagged, {r.line for r in doc.removed})
        return doc


_STAGE: Optional[FindArtefacts] = None


def find_artefacts(text: str, lang: Optional[str] = None) -> list[Artefact]:
    """Artefacts of one text; without ``lang`` the language's scripts are read off the text."""
    global _STAGE
    if _STAGE is None:
        _STAGE = FindArtefacts()
    doc = Document(id="", text=text, source=Source("", 0), lines=text.split("\n"), lang=lang or UND)
    return _STAGE(doc).artefacts
