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

Each rule family has its own module (``artefact_residue``, ``artefact_switcher``,
``artefact_wire``, ``names``); this one runs them as a pipeline stage. The stage
reads every line of every article, so what each rule learns about a line (its
scripts, whether it opens with a language name, the wire cues and the names in
it) is cached on the line's text: news lines repeat across reprints and a site's
chrome. The stage looks each line up once for all the rules
(:func:`line_facts`): in caches of tens of thousands of lines a look-up costs
as much as a third of a microsecond, and a page has dozens of lines. The
common case (no foreign letter, no line opening with a language name, no wire
cue) is settled from those facts without a closer look.
"""

from __future__ import annotations

from typing import Final, Optional

from normalize.document import Artefact, Document, Source
from normalize.detect.artefact_page import (  # noqa: F401  (re-exported)
    LINE_CACHE, UND, LineFacts, Page, ScriptInfo, excerpt, lang_scripts, native_scripts, script_table)
from normalize.detect.artefact_residue import (  # noqa: F401
    ScriptResidue, foreign_letters, line_scripts, residue_exemptions)
from normalize.detect.artefact_switcher import (  # noqa: F401
    LangToken, LanguageSwitcher, opening_words, opens_menu, switcher_tokens)
from normalize.detect.artefact_wire import WireMarkers, WireRule, all_cues, line_wire, wire_rules  # noqa: F401
from normalize.detect.names import (  # noqa: F401
    NameChecks, NameVariants, line_names, warm as warm_names)
from normalize.detect.translation import Finding, verdict
from normalize.memo import remember

__all__ = ["FindArtefacts", "find_artefacts", "NameVariants"]


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
        warm()

    def __call__(self, doc: Document) -> Document:
        page = Page.of(doc)
        page.facts = [line_facts(line) for line in page.filled[1]]
        findings: list[Finding] = []
        for rule in self.rules:
            findings.extend(rule(page))
        found, mentions = self.names(page.lines, [facts.names for facts in page.facts])
        findings.extend(found)
        findings.sort(key=lambda f: (f.line, f.kind, f.evidence))
        doc.artefacts.extend(f.artefact() for f in findings)
        doc.translation = verdict(findings)
        doc.work["names"] = mentions
        return doc

    def look_ahead(self, doc: Document) -> None:
        """Look up the facts of ``doc``'s lines now, ahead of the pass that runs
        this stage on it: they are cached (:func:`line_facts`), and the stage
        finds them there. A worker calls this between passes, when it would
        wait (see :func:`normalize.engine.local._look_ahead`)."""
        for line in filter(None, doc.lines):
            line_facts(line)


# The facts of the lines met (see normalize.memo). Every line of every page is
# looked up here, so this memory has room for eight times the lines of the rules'
# own caches: at 100k generated articles (190k distinct lines, recurring across
# the corpus), the non-empty lines of a worker's documents, played through an LRU
# cache, miss 229k times with room for 65,536 lines, 357k times with room for
# 16,384; a memory that forgets its older half needs twice an LRU cache's room.
_FACTS: Final[dict[str, LineFacts]] = {}
FACTS_ROOM = 8 * LINE_CACHE


def line_facts(line: str) -> LineFacts:
    """What every rule needs to know about ``line``, looked up once per line
    (see :class:`~normalize.detect.artefact_page.LineFacts`). Made with the
    rules' own functions, not through their caches: the stage looks no line
    up there, and the facts are kept once."""
    known = _FACTS.get(line)
    if known is not None:
        return known
    return remember(_FACTS, line, LineFacts(opens_menu.__wrapped__(line), line_wire.__wrapped__(line),
                                            line_names.__wrapped__(line), line_scripts.__wrapped__(line)),
                    FACTS_ROOM)


def warm() -> None:
    """Build the rule tables now (the class of capitals takes a moment), so a
    pipeline builds them once before it forks its workers, not once per worker
    on the first document."""
    wire_rules()
    all_cues()
    switcher_tokens()
    opening_words()
    warm_names()


def clear_line_caches() -> None:
    """Forget what was learnt about lines and names seen so far (for benchmarks that
    time a first pass, and to free the memory)."""
    from normalize.detect import artefact_residue, artefact_switcher, artefact_wire, names

    _FACTS.clear()
    names._RUNS.clear()
    for cached in (artefact_residue.line_scripts, artefact_switcher.opens_menu,
                   artefact_switcher.menu_languages, artefact_switcher.menu_tokens,
                   artefact_wire.line_wire, names.line_names, names.mention_text,
                   names.caps_last_syllable, names.fold):
        cached.cache_clear()


_STAGE: Optional[FindArtefacts] = None


def find_artefacts(text: str, lang: Optional[str] = None) -> list[Artefact]:
    """Artefacts of one text; without ``lang`` the language's scripts are read off the text."""
    global _STAGE
    if _STAGE is None:
        _STAGE = FindArtefacts()
    doc = Document(id="", text=text, source=Source("", 0), lines=text.split("\n"), lang=lang or UND)
    return _STAGE(doc).artefacts
