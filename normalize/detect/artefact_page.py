"""The document as the artefact rules see it: its lines, language and scripts.

A rule reads ``doc.lines`` (the lines before stripping: the chrome a stripper
removes is exactly where residue and menus live), the document's language
without its region ("en_US" -> "en") and the scripts that language is written
in. :class:`Page` gathers them once per document, with the numbers and texts of
its non-empty lines, which is what the rules walk over (their caches are keyed on
a line's text).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple, Optional, Sequence

from normalize.document import Document
from normalize.detect.scripts import dominant_script
from normalize.detect.translation import data_rows

UND = "und"

# How many distinct lines each line-level cache of the rules remembers. News lines
# repeat (reprints of a story, a site's chrome), so what a rule learns about a line
# is kept; at this size the caches of a process hold some 30 MB at most.
LINE_CACHE = 16384
_REGION = re.compile(r"[-_]")


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


class LineFacts(NamedTuple):
    """What the rules learn about one line of text, each with its own cached
    function, looked up together once per line by the stage
    (:func:`normalize.detect.artefacts.line_facts`): four look-ups in four large
    caches cost four times one, and a page has dozens of lines."""

    opens_menu: bool  # artefact_switcher.opens_menu
    wire: tuple  # artefact_wire.line_wire
    names: Any  # names.line_names
    scripts: frozenset  # artefact_residue.line_scripts


@dataclass
class Page:
    """The inputs every rule reads, gathered once per document."""

    lines: list[str]
    lang: Optional[str]
    text: str
    line_langs: Optional[Sequence] = None  # (a LineLanguages, or a list)
    natives: frozenset = field(default_factory=frozenset)
    menus: Optional[tuple] = None  # language menus, found once (LanguageSwitcher.menus)
    _filled: Optional[tuple] = None
    facts: Optional[list] = None  # LineFacts of each filled line, when the stage looked them up

    @classmethod
    def of(cls, doc: Document) -> "Page":
        lines = doc.lines if doc.lines else doc.text.split("\n")
        # "en_US", "de-CH": the language is what comes before the region
        lang = _REGION.split(doc.lang.lower())[0] if doc.lang and doc.lang != UND else None
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

    @property
    def filled(self) -> tuple:  # (list[int], list[str]); a plain tuple: see names._NO_RUN
        """The numbers and texts of the non-empty lines (about half of a page's
        lines are empty: paragraphs are separated by blank lines)."""
        if self._filled is None:
            numbers: list[int] = []
            texts: list[str] = []
            for number, line in enumerate(self.lines, 1):  # (compiled: a loop in C)
                if line:
                    numbers.append(number)
                    texts.append(line)
            self._filled = (numbers, texts)
        return self._filled


def excerpt(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
