"""Wire markers: phrasing that translated wire copy keeps.

Korean and Japanese agencies date events "On the 6th (local time)", credit
"[Image source=Yonhap News]" and open with "[Asia Economy Intern Reporter Yunjin
Kim]"; Ukrainian and Russian sites say "Read also". The rules are in
``data/artefact_wire.tsv``: each has cues (lower-case strings, one of which the
page must contain for the rule to apply) and a pattern matched line by line.

Most rules never match, and a line is examined once whatever page it is on
(the cues of all rules are found in one pass, with an Aho-Corasick automaton):
what a line holds (the cues in it, and the matches of the rules whose *line
cues* it holds, strings every match contains) is cached on the line's text,
since news lines repeat across reprints and a site's chrome. A page then only
adds up its lines: the cues of the page are the union of its lines' cues, and a
rule fires on the lines it matched if one of its cues is on the page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress
from typing import Iterable, Optional

try:  # C Aho-Corasick automaton: all the cues found in one pass over a line
    import ahocorasick
except ImportError:  # pragma: no cover - the plain loop gives the same answers
    ahocorasick = None

from normalize.detect.artefact_page import LINE_CACHE, Page, excerpt
from normalize.detect.translation import Finding, data_rows


@dataclass(frozen=True)
class WireRule:
    name: str
    source: Optional[str]
    written_in: Optional[str]  # the language of the phrase itself; None: any
    weight: float
    cues: tuple  # lower-case strings, one of which a text must contain for the rule to apply
    pattern: re.Pattern
    line_cues: tuple = ()  # lower-case strings, one of which every match contains


@lru_cache(maxsize=None)
def wire_rules() -> tuple[WireRule, ...]:
    return tuple(WireRule(name, None if source == "-" else source, None if written == "-" else written,
                          float(weight), tuple(cues.split("|")), re.compile(rx, re.MULTILINE),
                          tuple((cues if line_cues == "=" else line_cues).split("|")))
                 for name, source, written, weight, cues, line_cues, rx in data_rows("artefact_wire.tsv"))


@lru_cache(maxsize=None)
def all_cues() -> tuple[str, ...]:
    return tuple(sorted({cue for rule in wire_rules() for cue in rule.cues + rule.line_cues}))


@lru_cache(maxsize=None)
def _cue_finder():
    """All cues in one Aho-Corasick automaton (one pass over a line finds every
    cue in it, overlapping ones too); None without pyahocorasick."""
    if ahocorasick is None:
        return None
    automaton = ahocorasick.Automaton()
    for cue in all_cues():
        automaton.add_word(cue, cue)
    automaton.make_automaton()
    return automaton


def line_cues(line: str) -> frozenset:
    """The cues ``line`` holds, in lower case."""
    low = line.lower()
    finder = _cue_finder()
    if finder is None:  # (compress() and map() keep the loop over the cues out of Python)
        return frozenset(compress(all_cues(), map(low.__contains__, all_cues())))
    hits = finder.iter(low)
    first = next(hits, None)
    if first is None:  # most lines hold none
        return _NONE
    return frozenset((first[1], *(cue for _, cue in hits)))


_NONE: frozenset = frozenset()
_NOTHING: tuple = (_NONE, ())  # (a plain tuple: see names._NO_RUN)


@lru_cache(maxsize=LINE_CACHE)
def line_wire(line: str) -> tuple:  # (frozenset, tuple)
    """The cues a line holds (in lower case), and (rule, matched text) for each
    rule that matches it."""
    cues = line_cues(line)
    if not cues:
        return _NOTHING
    hits = []
    for rule in wire_rules():
        if not cues.isdisjoint(rule.line_cues):
            m = rule.pattern.search(line)
            if m:
                hits.append((rule, m.group()))
    return cues, tuple(hits)


class WireMarkers:
    """Phrases of translated wire copy, from ``data/artefact_wire.tsv``.

    A marker is not evidence in a text written in the language it points at:
    "ⓒ" is ordinary in Korean. An English phrase is only looked for in English
    (or unlabelled) text: "Photo illustrative" is plain French.
    """

    kind = "wire-marker"

    def __call__(self, page: Page) -> Iterable[Finding]:
        numbers, lines = page.filled
        # (comprehensions and loops, not map and compress: compiled, they are loops in C)
        facts = [f.wire for f in page.facts] if page.facts is not None else [line_wire(line) for line in lines]
        matched = [(number, wire[1]) for number, wire in zip(numbers, facts) if wire[1]]
        if not matched:
            return []  # no rule matches a line: the usual page
        cues: set = set()
        for wire in facts:
            cues.update(wire[0])
        rules = {r for r in self.rules_for(page.lang) if not cues.isdisjoint(r.cues)}
        found = [Finding(self.kind, number, f'{rule.name} "{excerpt(text.strip())}"',
                         f"{self.kind}:{rule.name}", rule.weight, rule.source)
                 for number, hits in matched for rule, text in hits if rule in rules]
        return found

    @staticmethod
    @lru_cache(maxsize=None)
    def rules_for(lang: Optional[str]) -> tuple[WireRule, ...]:
        """The rules that apply to a document in ``lang``."""
        return tuple(r for r in wire_rules()
                     if not (r.source and lang in r.source.split("|"))
                     and (r.written_in is None or lang in (None, r.written_in)))
