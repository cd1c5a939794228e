"""Names spelt as no careful writer would: transliteration and casing artefacts.

A translated text carries names through two writing systems, and the seams show:

* **A transliteration applied to the wrong person.** Ukrainian "Володимир Путін"
  becomes "Volodymyr Putin", though Putin is "Vladimir" in English: the given
  name was transliterated from Ukrainian, a sign the text came from Ukrainian.
  ``data/names_translit.tsv`` groups spellings into families (Volodymyr /
  Vladimir, Oleksandr / Aleksandr / Alexander, Kyiv / Kiev) with the language
  each spelling points at; ``data/names_people.tsv`` lists well-known people
  with the canonical English form of their name and their own language.
* **Inconsistency.** One text writing "Oleksandr Musienko" and later
  "Aleksandr Musienko", or "Kiev" beside "Kyiv".
* **Casing.** "Kim Jong UN": a machine translator took the last syllable for
  the acronym. An all-caps part of a name that is not an acronym is an artefact,
  certainly so when the same name appears elsewhere as "Kim Jong-un".

Mentions are runs of capitalised words ("Russian President Vladimir Putin's"
gives "Vladimir Putin" once titles, openers and the possessive are stripped).
Two mentions are the same name when their *keys* match: casefolded, accents,
hyphens and spaces dropped, and each part mapped to its transliteration family.
So "Kim Jong UN", "Kim Jong Un" and "Kim Jong-un" share a key, while
"Kim Yo-jong" does not: names are grouped by spelling rules, never by mere
similarity.

:class:`NameVariants` does the same across documents: within each near-duplicate
cluster and across the corpus, the spelling most documents use is the majority
form and the others are flagged against it.
"""
from __future__ import annotations

import pickle
import re
import sys
import unicodedata
from array import array
from collections import Counter, defaultdict
from itertools import compress, filterfalse
from operator import itemgetter, ne
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Final, Iterable, Iterator, NamedTuple, Optional, Sequence

import orjson

from normalize.document import Artefact
from normalize.detect.artefact_page import LINE_CACHE
from normalize.detect.translation import Finding, data_rows, settings
from normalize.memo import remember

KIND = "name-variant"
_PARTS = re.compile(r"[-‐‑'’\s]+")
_POSSESSIVE = re.compile(r"['’]s$")


# -- data --------------------------------------------------------------------


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Casefold and drop accents: "Władimir" -> "wladimir"."""
    if text.isascii():
        return text.lower()  # the same, and the usual case
    text = unicodedata.normalize("NFKD", text.casefold().replace("ł", "l"))
    return "".join(filterfalse(unicodedata.combining, text))  # (combining marks: non-zero)


@dataclass(frozen=True)
class Spelling:
    family: str
    form: str
    lang: str  # the language the spelling points at; "-" for neutral spellings
    type: str
    rank: int  # order within its family in the table (places: 0 is preferred)


@dataclass(frozen=True)
class Person:
    canonical: str
    langs: frozenset
    given: str  # folded first word of the name (the given name, or a Korean family name)
    surnames: frozenset  # folded accepted spellings of the rest of the name
    key: str


@lru_cache(maxsize=None)
def spellings() -> dict[str, Spelling]:
    """Folded spelling -> its transliteration family."""
    table: dict[str, Spelling] = {}
    ranks: Counter = Counter()
    for family, form, lang, kind in data_rows("names_translit.tsv"):
        table[fold(form)] = Spelling(family, form, lang, kind, ranks[family])
        ranks[family] += 1
    return table


@lru_cache(maxsize=None)
def language_names() -> dict[str, str]:
    return {code: name for code, name in data_rows("names_languages.tsv")}


@lru_cache(maxsize=None)
def word_list(name: str) -> frozenset:
    return frozenset(row[0] for row in data_rows(name))


@lru_cache(maxsize=None)
def syllable_pattern() -> re.Pattern:
    """A romanised Korean or Chinese syllable, from ``data/names_syllables.txt``."""
    return re.compile(data_rows("names_syllables.txt")[0][0])


@lru_cache(maxsize=None)
def people() -> tuple[Person, ...]:
    out = []
    for row in data_rows("names_people.tsv"):
        canonical, langs = row[0], frozenset(row[1].split())
        first, _, rest = canonical.partition(" ")
        others = row[2].split(",") if len(row) > 2 and row[2] else []
        out.append(Person(canonical, langs, fold(first), frozenset(fold(s) for s in [rest, *others]),
                          name_key(canonical)))
    return tuple(out)


@lru_cache(maxsize=None)
def people_by_surname() -> dict[str, tuple[Person, ...]]:
    index: dict[str, list[Person]] = defaultdict(list)
    for p in people():
        for s in p.surnames:
            index[s].append(p)
    return {k: tuple(v) for k, v in index.items()}


@lru_cache(maxsize=None)
def people_by_key() -> dict[str, Person]:
    return {p.key: p for p in people()}


def lang_name(code: str) -> str:
    return language_names().get(code, code)


# -- mentions ----------------------------------------------------------------


def name_key(name: str) -> str:
    """The spelling-blind identity of a name: "Kim Jong UN" -> "kimjongun",
    "Volodymyr Putin" -> "vladimirputin", "Kiev" -> "kyiv"."""
    table = spellings()
    parts = [fold(p) for p in _PARTS.split(name) if p]
    return "".join(table[p].family if p in table else p for p in parts)


def caps_parts(name: str) -> list[str]:
    """All-caps parts of a name after its first part, when another part is in mixed
    case: "Kim Jong UN" -> ["UN"]. Acronyms that open a name ("NATO Summit") are
    house style, not artefacts."""
    parts = [p for p in _PARTS.split(name) if p]
    if not any(p[:1].isupper() and not p.isupper() for p in parts):
        return []
    return [p for p in parts[1:] if len(p) >= 2 and p.isalpha() and p.isupper()]


class Mention(NamedTuple):
    """A name as written (``text``), its 1-based line and its spelling-blind key.
    (A named tuple: documents have dozens and it is cheap to make.)"""

    text: str
    line: int
    key: str


@lru_cache(maxsize=None)
def _word_pattern() -> tuple[str, str]:
    """A capitalised word as regex pieces: (class of upper-case letters, the rest
    of the word). Python's ``re`` has no ``\\p{Lu}``, so the class is built from
    ``str.isupper``."""
    upper: list[tuple[int, int]] = []
    start = prev = -1  # (-1: no run of capitals begun)
    for cp in range(0x10000):
        if chr(cp).isupper():
            if start < 0:
                start = cp
            elif cp != prev + 1:
                upper.append((start, prev))
                start = cp
            prev = cp
    upper.append((start, prev))
    cls = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in upper)
    return f"[{cls}]", r"[^\W\d_]*(?:['’\-‐‑][^\W\d_]+)*"


def _runs_regex(upper: str, rest: str) -> re.Pattern:
    # The pattern opens with the class of capitals and only then looks back at the
    # character before (a two-character lookbehind: not a letter). A pattern that
    # starts with a character class lets the regex engine skip straight to the
    # capitals, where a leading lookbehind would be tried at every position.
    #
    # No possessive quantifier (``*+``) or atomic group, though giving back a
    # letter never lets the rest match here: CPython before 3.11.5 (Debian 12's
    # python3 is 3.11.2) mis-matches a possessive repeat of a group (gh-106052),
    # and "Estados Unidos- y" gave the run "Estados Unidos-", with the hyphen.
    # Greedy quantifiers give the same runs everywhere, as fast (33,000 lines of
    # the 10k corpus: 0.13-0.14 s either way).
    return re.compile(rf"{upper}(?<![^\W\d_'’\-‐‑].){rest}(?: {upper}{rest})*(?![^\W\d_])")


@lru_cache(maxsize=None)
def _run_pattern() -> re.Pattern:
    """Runs of capitalised words separated by single spaces."""
    return _runs_regex(*_word_pattern())


@lru_cache(maxsize=None)
def _ascii_run_pattern() -> re.Pattern:
    """:func:`_run_pattern` for ASCII text, where its classes come down to small
    ones the regex engine tests faster (most lines of English news are ASCII)."""
    return _runs_regex("[A-Z]", r"[A-Za-z]*(?:['\-][A-Za-z]+)*")


def find_runs(line: str) -> list[str]:
    """The capitalised runs of a line, as strings."""
    return (_ascii_run_pattern() if line.isascii() else _run_pattern()).findall(line)


def capitalised_runs(line: str) -> list[list[str]]:
    """Runs of capitalised words separated by single spaces: "Kim Jong-un", "Russian
    President Vladimir Putin's"."""
    if line.islower() or not line.strip():
        return []
    return [m.group().split(" ") for m in _run_pattern().finditer(line)]


def trim_run(run: list[str]) -> list[str]:
    """Drop openers and titles in front and the possessive at the end."""
    stop = word_list("names_stopwords.txt")
    run = list(run)
    run[-1] = _POSSESSIVE.sub("", run[-1])
    while run and run[0] in stop:
        run.pop(0)
    return run


def is_mention(tokens: list[str]) -> bool:
    if not tokens or len(tokens) > settings()["names.max_words"]:
        return False
    if all(map(str.isupper, tokens)):  # headline capitals say nothing about spelling
        return False
    if len(tokens) == 1:  # single words only when they are places with rival spellings
        s = spellings().get(fold(tokens[0]))
        return s is not None and s.type == "place"
    return True


def line_runs(lines: list[str]) -> list[tuple[int, list[str]]]:
    """(1-based line number, run) for every capitalised run in ``lines``."""
    return [(number, run) for number, line in enumerate(lines, 1) for run in capitalised_runs(line)]


def find_mentions(lines: list[str], runs: Optional[list] = None) -> list[Mention]:
    """Name mentions in ``lines`` (1-based line numbers)."""
    out = []
    for number, run in line_runs(lines) if runs is None else runs:
        text = mention_text(" ".join(run))
        if text is not None:
            out.append(Mention(text, number, name_key(text)))
    return out


@lru_cache(maxsize=2 * LINE_CACHE)
def mention_text(run: str) -> Optional[str]:
    """The name a capitalised run mentions, or None: "Russian President Vladimir
    Putin's" -> "Vladimir Putin". Cached: runs such as "The" or "President" recur."""
    words = run.split(" ")
    if len(words) == 1 and fold(_POSSESSIVE.sub("", words[0])) not in spellings():
        return None  # the common case, a lone capitalised word, settled cheaply
    tokens = trim_run(words)
    if not is_mention(tokens):
        return None
    return " ".join(tokens).replace("’", "'")  # typography is not spelling


# -- differences -------------------------------------------------------------


def parts_of(name: str) -> list[str]:
    return [p for p in _PARTS.split(name) if p]


def casing_artefact(form: str, other: str) -> list[str]:
    """Parts of ``form`` in capitals where ``other``, the same name, has them in
    lower or mixed case: "Kim Jong UN" against "Kim Jong-un" gives ["UN"].

    Only a romanised syllable (see :func:`syllable_pattern`) qualifies: capitals
    elsewhere are emphasis or house style ("Flash INFO", "Emmanuel MACRON"). An
    acronym qualifies only where the other spelling has it as a lower-case
    syllable: "Kim Jong-un" makes "UN" an artefact, "Contact Us" does not make
    "Contact US" one.
    """
    mine, theirs = parts_of(form), parts_of(other)
    if [fold(p) for p in mine] != [fold(p) for p in theirs]:
        return []
    acronyms, syllable = word_list("names_acronyms.txt"), syllable_pattern()
    out = []
    for i, (a, b) in enumerate(zip(mine, theirs)):
        if (i > 0 and len(a) >= 2 and a.isupper() and not b.isupper() and syllable.match(a.lower())
                and (a not in acronyms or b.islower())):
            out.append(a)
    return out


def difference(form: str, other: str) -> str:
    """How two spellings of one name differ: "casing" (an artefact, see
    :func:`casing_artefact`), "hyphenation" (hyphens, spaces or case: house
    style) or "transliteration"."""
    if [fold(p) for p in parts_of(form)] == [fold(p) for p in parts_of(other)]:
        return "casing" if casing_artefact(form, other) else "hyphenation"
    if _PARTS.sub("", fold(form)) == _PARTS.sub("", fold(other)):
        return "hyphenation"
    return "transliteration"


def name_like(text: str) -> bool:
    """Spelt like a name of two to four words ("Kim Jong-un", "Vladimir Putin",
    "Kim Jong UN") or a place with rival spellings ("Kyiv"): capitalised words,
    capitals allowed after the first word only. "DIESE Lebensmittel" and
    "MEIN SCHÖNER GARTEN Shop" are typography, not names."""
    words = text.split(" ")
    if len(words) == 1:
        s = spellings().get(fold(text))
        return s is not None and s.type == "place"
    if len(words) > settings()["names.max_words"]:
        return False
    for i, word in enumerate(words):
        head = word.split("-")[0].split("'")[0]
        mixed = head[:1].isupper() and any(map(str.islower, head))
        if not (mixed or (i > 0 and word.isupper() and len(word) <= 4)):
            return False
    return True


def is_prose(line: str) -> bool:
    """A line of running text or a caption, not a menu item or a button."""
    need = int(settings()["names.prose.min_words"])
    # (splitting off no more words than needed: a paragraph is one line)
    return len(line.split(None, need - 1)) >= need if need > 0 else True


def pointed_language(form: str, other: str) -> Optional[str]:
    """The language the parts of ``form`` that differ from ``other`` point at."""
    table = spellings()
    theirs = {fold(p) for p in _PARTS.split(other) if p}
    for part in _PARTS.split(form):
        s = table.get(fold(part))
        if part and fold(part) not in theirs and s is not None and s.lang != "-":
            return s.lang
    return None


def preference(form: str, docs: int, mentions: int) -> tuple:
    """Sort key of rival spellings: the best comes first. A casing artefact never
    wins; then the most documents, the most mentions, a canonical spelling (a
    known person's, a place's preferred one), and finally the text itself, so
    ties are broken the same way every time."""
    canonical = form in canonical_forms()
    return (bool(caps_parts(form)), -docs, -mentions, not canonical, form)


@lru_cache(maxsize=None)
def canonical_forms() -> frozenset:
    forms = {p.canonical for p in people()}
    forms.update(s.form for s in spellings().values() if s.type == "place" and s.rank == 0)
    return frozenset(forms)


# -- per document ------------------------------------------------------------


class LineNames(NamedTuple):
    """What one line holds for the name checks, worked out once per distinct line.

    News lines repeat (reprints of one story, a site's own chrome), and everything
    here depends on the line's text alone, so it is cached on that text; only the
    line number is added per document. (A named tuple: made for every distinct
    line with a name, where a frozen dataclass took 4.6 us to make.)"""

    people: tuple  # (text, evidence, language) of each given name applied to the wrong person
    named: tuple  # (text, key) of each name-like mention
    prose: bool  # a line of running text (see is_prose)
    casing: frozenset = frozenset()  # texts of the mentions that pass caps_last_syllable
    # each mention's (key, text), and the keys: a document looks closer only at a
    # key spelt two ways among its lines, or a known person's (see NameChecks.needs_look)
    pairs: frozenset = frozenset()
    keys: frozenset = frozenset()


_NO_NAMES = LineNames((), (), False)


@lru_cache(maxsize=LINE_CACHE)
def line_names(line: str) -> LineNames:
    """The name facts of one line (see :class:`LineNames`)."""
    if not line or line.islower():
        return _NO_NAMES
    persons: list[tuple] = []
    named: list[tuple] = []
    # (plain loops: compiled, they cost less than map and compress over the few runs of a line)
    for run in find_runs(line):
        facts = run_names(run)
        if facts is _NO_RUN:  # most runs are no name
            continue
        persons.extend(facts[0])
        if facts[1] is not None:
            named.append(facts[1])
    if not persons and not named:
        return _NO_NAMES
    return LineNames(tuple(persons), tuple(named), is_prose(line),
                     frozenset([text for text, _ in named if caps_last_syllable(text)]),
                     frozenset([(key, text) for text, key in named]), frozenset([key for _, key in named]))


# What run_names found, per run (see normalize.memo): runs such as "The" or
# "President" recur on line after line.
_RUNS: Final[dict[str, tuple]] = {}
RUNS_ROOM = 4 * LINE_CACHE


def run_names(run: str) -> tuple:  # (persons, named or None)
    """A capitalised run's wrong-person pairs, and its (text, key) if it is a name-like mention."""
    known = _RUNS.get(run)
    return known if known is not None else remember(_RUNS, run, _run_names(run), RUNS_ROOM)


def _run_names(run: str) -> tuple:
    if " " not in run:  # a lone word: a mention only if it is a spelling in the table
        word = run[:-2] if run.endswith(("'s", "’s")) else run  # (_POSSESSIVE)
        if (word.lower() if word.isascii() else fold(word)) not in spellings():
            return _NO_RUN
    words = run.split(" ")
    persons = tuple(wrong_person_pairs([words])) if len(words) > 1 else ()
    text = mention_text(run)
    named = (text, name_key(text)) if text is not None and name_like(text) else None
    return (persons, named) if persons or named else _NO_RUN


# (Annotated as a plain tuple, here and in _run_names: compiled, a tuple of known
# items is unboxed, and made anew as each caller gets it: never the same object.)
_NO_RUN: tuple = ((), None)


def wrong_person_pairs(runs: list[list[str]]) -> Iterable[tuple[str, str, str]]:
    """"Volodymyr Putin": a given name spelt from the wrong language for its bearer.
    Gives (text, evidence, the language the spelling points at)."""
    table, index = spellings(), people_by_surname()
    for run in runs:
        for given, surname in zip(run, run[1:]):
            spelt = table.get(fold(given))
            if spelt is None or spelt.type != "given" or spelt.lang == "-":
                continue
            surname = _POSSESSIVE.sub("", surname)
            for person in index.get(fold(surname), ()):
                own = table.get(person.given)
                if own is None or own.family != spelt.family or spelt.lang in person.langs:
                    continue
                text = f"{given} {surname}"
                theirs = "/".join(lang_name(lang) for lang in sorted(person.langs))
                yield (text,
                       f'"{text}" for {person.canonical}: {given} is the {lang_name(spelt.lang)} '
                       f'transliteration, applied to a {theirs} name (expected "{person.canonical}")',
                       spelt.lang)


class NameChecks:
    """Name artefacts within one document: known people, inconsistency, casing."""

    def __init__(self) -> None:
        conf = settings()
        self.w_person = conf["names.known_person.weight"]
        self.w_translit = conf["names.transliteration.weight"]
        self.w_casing = conf["names.casing.weight"]
        self.w_unsupported = conf["names.casing_unsupported.weight"]

    def __call__(self, lines: list[str], infos: Optional[list[LineNames]] = None
                 ) -> tuple[list[Finding], list[tuple]]:
        """Findings, and the record of each name-like mention in a prose line:
        (text, line, key, whether a finding here flagged it), the fields of a
        :class:`NameRecord` as a plain tuple, which crosses to the main process
        and waits on disk for the clusters as cheaply as anything does.
        ``infos``: the :func:`line_names` of the lines that are not empty, if
        known already."""
        findings: list[Finding] = []
        if infos is None:
            infos = list(map(line_names, filter(None, lines)))
        # One pass over the lines with names (a page has a dozen among dozens of
        # lines): a known person's wrong given name is a finding; the mentions in
        # running text are recorded; the spellings, their keys and the suspect
        # casings are gathered. Menus and buttons ("Contact US", "Flash INFO") are
        # typography; names in them count only against a known person's spelling.
        # (Plain loops: compiled, they cost less than map and compress passes.)
        rows: list[tuple[int, LineNames]] = []  # (line number, facts) of the lines with names
        prose: set[int] = set()
        records: list[tuple] = []
        spelt: set = set()
        keys: set = set()
        suspects: set = set()
        at = 0  # (infos has one for each line that is not empty)
        for number, line in enumerate(lines, 1):
            if not line:
                continue
            info = infos[at]
            at += 1
            if info is _NO_NAMES:
                continue
            rows.append((number, info))
            for text, evidence, lang in info.people:
                findings.append(Finding(KIND, number, evidence, f"{KIND}:{text}", self.w_person, lang))
            if info.prose:
                prose.add(number)
                for text, key in info.named:
                    records.append((text, number, key, False))
            spelt.update(info.pairs)
            keys.update(info.keys)
            if info.casing:
                for text, key in info.named:
                    if text in info.casing:
                        suspects.add((text, number, key))
        flagged = {(f.line, f.rule.split(":", 1)[1]) for f in findings}
        if self.needs_look(spelt, keys):
            named = [Mention(text, number, key) for number, info in rows for text, key in info.named]
            findings.extend(self.inconsistent(named, prose, flagged))
        if suspects:  # (the only mentions unsupported_casing can flag, in order)
            findings.extend(self.unsupported_casing(
                [Mention(t, n, k) for t, n, k, _ in records if (t, n, k) in suspects], flagged))
        if flagged:
            records = [(t, n, k, (n, t) in flagged) for t, n, k, _ in records]
        return findings, records

    @staticmethod
    def needs_look(spelt: set, keys: set) -> bool:
        """Whether :meth:`inconsistent` can find anything among a document's
        (key, text) spellings and their keys: a name spelt two ways, or a known person's."""
        return len(keys) < len(spelt) or not people_by_key().keys().isdisjoint(keys)

    def wrong_person(self, runs: list) -> Iterable[Finding]:
        """Findings of :func:`wrong_person_pairs` for (line number, run) pairs."""
        for number, run in runs:
            for text, evidence, lang in wrong_person_pairs([run]):
                yield Finding(KIND, number, evidence, f"{KIND}:{text}", self.w_person, lang)

    def inconsistent(self, mentions: list[Mention], prose: set, flagged: set) -> Iterable[Finding]:
        """Spellings of one name that differ within the document, or from a known
        person's: the minority is flagged (adds to ``flagged``)."""
        known = people_by_key()
        # Most names are spelt one way and belong to no known person: only names
        # spelt two ways or known ones need a look.
        spelt = Counter(map(itemgetter(0), set(map(itemgetter(2, 0), mentions))))
        wanted = {key for key, n in spelt.items() if n > 1 or key in known}
        if not wanted:
            return
        groups: dict[str, list[Mention]] = {key: [] for key in sorted(wanted)}
        for m in mentions:
            if m.key in groups:
                groups[m.key].append(m)
        for key, group in groups.items():
            person = known.get(key)
            counts = Counter(m.text for m in group)
            candidates = dict(counts)
            if person is not None and person.canonical not in candidates:
                candidates[person.canonical] = 0  # the known spelling votes, with no count
            if len(candidates) < 2:
                continue
            best = min(candidates, key=lambda f: preference(f, candidates[f], candidates[f]))
            in_text = counts.get(best, 0) > 0
            for m in group:
                if m.text == best or (m.line, m.text) in flagged or (m.line not in prose and person is None):
                    continue
                how = difference(m.text, best)
                if how == "hyphenation":
                    continue  # house style: outlets differ, and so do their sources
                if how == "transliteration" and not in_text:
                    continue  # only the known person's spelling differs: wrong_person() decides
                weight = self.w_casing if how == "casing" else self.w_translit
                where = "as written elsewhere in the text" if in_text else "the usual spelling of the name"
                caps = ", ".join(f'"{c}"' for c in casing_artefact(m.text, best))
                detail = f" ({caps} is a syllable here, not an acronym)" if how == "casing" else ""
                yield Finding(
                    KIND, m.line, f'"{m.text}": {how} variant of "{best}", {where}{detail}',
                    f"{KIND}:{m.text}", weight,
                    pointed_language(m.text, best) if how == "transliteration" else None)
                flagged.add((m.line, m.text))

    def unsupported_casing(self, mentions: list[Mention], flagged: set) -> Iterable[Finding]:
        """"Moon Jae IN" with no other spelling to compare: a name of three or more
        romanised syllables whose last one is in capitals. Other capitalised runs
        ("Blog Home AI", "Myklebust Verft AS") end in acronyms and company forms."""
        for m in mentions:
            if (m.line, m.text) in flagged or not caps_last_syllable(m.text):
                continue
            yield Finding(KIND, m.line,
                          f'"{m.text}": all-caps "{parts_of(m.text)[-1]}" as the last syllable of a name',
                          f"{KIND}:{m.text}", self.w_unsupported, None)
            flagged.add((m.line, m.text))


@lru_cache(maxsize=LINE_CACHE)
def caps_last_syllable(text: str) -> bool:
    """A name of three or more romanised syllables whose last one is in capitals."""
    syllable = syllable_pattern()
    parts = parts_of(text)
    last = parts[-1]
    return (len(parts) >= 3 and last.isupper() and 2 <= len(last) <= 4
            and all(p.istitle() for p in parts[:-1])
            and all(syllable.match(p.lower()) for p in parts))


def warm() -> None:
    """Build the tables the name checks read (see :func:`normalize.detect.artefacts.warm`)."""
    _run_pattern()
    _ascii_run_pattern()
    spellings()
    people_by_surname()
    people_by_key()
    canonical_forms()
    syllable_pattern()
    word_list("names_stopwords.txt")
    word_list("names_acronyms.txt")


class NameRecord(NamedTuple):
    """What the cluster-level stage needs of one mention: a plain tuple, since
    every document's mentions are held until the clusters are known."""

    text: str
    line: int
    key: str
    flagged: bool = False  # already flagged by the per-document checks


def records_bytes(records: list[tuple]) -> bytes:
    """A document's mention records (see :meth:`NameChecks.__call__`) as they wait on disk for the
    clusters (pickled, as a spool keeps its items): their JSON, which orjson
    writes some five times faster than pickle writes the tuples, or the tuples
    where a text holds what JSON cannot (a lone surrogate). See :func:`records_of`."""
    try:
        data: object = orjson.dumps(records)
    except orjson.JSONEncodeError:
        data = tuple(map(tuple, records))
    return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)


def records_of(item: object) -> Sequence:
    """The records :func:`records_bytes` stored, as a spool gives them back
    (each a list or a tuple: (text, line, key, flagged))."""
    return orjson.loads(item) if isinstance(item, bytes) else item  # type: ignore[return-value]


def compact_records(records) -> tuple[NameRecord, ...]:
    """A document's mention records as held until clustering ends: one tuple each,
    the spellings interned (a name recurs across thousands of documents). A tuple
    is what this returns, so it is taken as compact already."""
    if isinstance(records, tuple):
        return records
    out = []
    for r in records or ():
        if isinstance(r, dict):
            r = NameRecord(r["text"], r["line"], r.get("key") or name_key(r["text"]), bool(r.get("flagged")))
        elif not isinstance(r, NameRecord):  # its fields (NameChecks.__call__), or a (text, line) pair
            r = NameRecord(*r) if len(r) == 4 else NameRecord(r[0], r[1], name_key(r[0]), False)
        out.append(NameRecord(sys.intern(r.text), r.line, sys.intern(r.key), r.flagged))
    return tuple(out)


# -- across documents --------------------------------------------------------


class NameVariants:
    """Spelling variants of one name across documents, after near-duplicate clustering.

    Every document votes once for each spelling it uses. Within a cluster (one
    story and its reprints) the spelling most documents use is the majority form
    and each document spelling the name otherwise is flagged, except for
    hyphenation or spacing when the vote is tied. Across the corpus only casing
    and transliteration variants are flagged, against a majority of at least two
    documents: outlets differ in house style ("Kim Jong Un", "Kim Jong-un"), but
    not in whether Putin is called Vladimir.
    """

    def __init__(self) -> None:
        self._docs: list[tuple[int, Optional[str], tuple[NameRecord, ...]]] = []
        self.weight = settings()["names.cluster.weight"]

    def add(self, position: int, cluster_id: Optional[str], names) -> None:
        """``names``: a document's :class:`NameRecord` list (dicts with the same
        keys, or (text, line) pairs, also do)."""
        self._docs.append((position, cluster_id, compact_records(names)))

    def finish(self) -> dict[int, list[Artefact]]:
        """Position -> name-variant artefacts for the documents added."""
        return self.judge(lambda: iter(self._docs))

    def judge(self, documents: Callable[[], Iterable[tuple[int, Optional[str], Sequence[NameRecord]]]]
              ) -> dict[int, list[Artefact]]:
        """Position -> name-variant artefacts, reading ``documents()`` twice: once to
        count the votes, once to judge each document's spellings.

        ``documents`` yields (position, cluster id, mention records) in the same
        order both times. What is held in memory is one vote table per name (and
        per name in each cluster), not every mention of every document. (A run
        counts the corpus's votes before the clusters are known, and reads back
        only the few documents it has to judge: see :class:`NameVotes`.)
        """
        votes = CorpusVotes()
        cluster_sizes: Counter = Counter()
        used_in: Counter = Counter()  # (cluster, key, text) -> documents of the cluster using it
        named_in: Counter = Counter()  # (cluster, key) -> documents of the cluster naming it
        for position, cid, records in documents():
            pairs, keys = votes.add(records)
            if cid is not None:
                cluster_sizes[cid] += 1
                _count_in_cluster(cid, pairs, keys, used_in, named_in)
        varied = votes.varied()
        touching = ((p, cid, records) for p, cid, records in documents() if not varied.isdisjoint(map(_KEY, records)))
        return self._verdicts(votes, varied, cluster_sizes, used_in, named_in, touching)

    @staticmethod
    def _verdicts(votes: "CorpusVotes", varied: set, cluster_sizes: Counter, used_in: Counter,
                  named_in: Counter, documents: Iterable[tuple[int, Optional[str], Sequence]]
                  ) -> dict[int, list[Artefact]]:
        """The artefacts of ``documents`` (those naming a name in ``varied``, in
        order), given the votes. The votes are counted as plain tuples first
        (Counter.update counts in C), and made into Votes only for the names
        spelt more than one way; a cluster votes only if more than one of its
        documents names anyone."""
        corpus: dict[str, Votes] = {key: Votes(docs=votes.named[key]) for key in varied}
        for (key, text), n in votes.used.items():
            if key in varied:
                corpus[key].forms[text] = n
        clusters: dict[tuple, Votes] = {}
        for (cid, key, text), n in used_in.items():
            if key in varied:
                local = clusters.get((cid, key))
                if local is None:
                    local = clusters[(cid, key)] = Votes(docs=named_in[(cid, key)])
                local.forms[text] = n
        mentions: dict[str, Counter] = defaultdict(Counter)
        for (key, text), n in votes.spelt.items():
            if key in varied:
                mentions[key][text] = n

        out: dict[int, list[Artefact]] = {}
        for position, cid, records in documents:
            found: list[Artefact] = []
            seen = set()
            for r in sorted(map(NameRecord._make, records), key=lambda r: (r.line, r.text)):
                key, text = r.key, r.text
                if r.flagged or (key, text) in seen:
                    continue
                seen.add((key, text))
                artefact = None
                local = clusters.get((cid, key)) if cluster_sizes[cid] > 1 else None
                if local is not None and len(local.forms) > 1:
                    artefact = NameVariants._judge(r, local, mentions[key], corpus=False)
                if artefact is None and key in corpus:  # (a name spelt two ways or more)
                    artefact = NameVariants._judge(r, corpus[key], mentions[key], corpus=True)
                if artefact is not None:
                    found.append(artefact)
            if found:
                out[position] = found
        return out

    @staticmethod
    def _judge(record: NameRecord, votes: "Votes", mentions: Counter, corpus: bool) -> Optional[Artefact]:
        """The artefact for a document spelling a name as ``record.text``, if any."""
        text = record.text
        majority = votes.majority(mentions)
        if text == majority:
            return None
        how = difference(text, majority)
        mine, theirs = votes.forms[text], votes.forms[majority]
        if corpus:
            # outlets differ in house style; only artefacts against a real majority count
            if how == "hyphenation" or theirs < 2 or mine >= theirs:
                return None
        elif mine >= theirs and how != "casing":
            return None  # a tie is not a majority (a casing artefact loses even a tie)
        scope = "across the corpus" if corpus else "in this cluster"
        source = pointed_language(text, majority) if how == "transliteration" else None
        tag = f" (source: {source})" if source else ""
        return Artefact(KIND, record.line,
                        f'"{text}": {how} variant of "{majority}", used by {theirs} of the {votes.docs} '
                        f"documents {scope} that mention the name{tag}")


_KEY = itemgetter(2)  # of a NameRecord or a plain (text, line, key, flagged) tuple
_TEXT = itemgetter(0)
_KEY_TEXT = itemgetter(2, 0)


def _count_in_cluster(cid: str, pairs: set, keys: set, used_in: Counter, named_in: Counter) -> None:
    used_in.update([(cid, key, text) for key, text in pairs])
    named_in.update([(cid, key) for key in keys])


class CorpusVotes:
    """The votes of some documents on the spellings they use: every mention
    counts for its spelling, every document once for each spelling it uses
    and each name it names."""

    def __init__(self) -> None:
        self.spelt: Counter = Counter()  # (key, text) -> mentions
        self.used: Counter = Counter()  # (key, text) -> documents using the spelling
        self.named: Counter = Counter()  # key -> documents naming it

    def add(self, records: Sequence) -> tuple[set, set]:
        """Count a document's votes (``records``: its mention records, or plain
        (text, line, key, flagged) tuples). Returns its (key, text) pairs and keys."""
        self.spelt.update(map(_KEY_TEXT, records))
        pairs = set(map(_KEY_TEXT, records))
        keys = {key for key, _ in pairs}
        self.used.update(pairs)
        self.named.update(keys)
        return pairs, keys

    def varied(self) -> set:
        """The names spelt more than one way."""
        return {key for key, n in Counter(map(itemgetter(0), self.used)).items() if n > 1}


class NameVotes:
    """Which names the corpus spells more than one way, found before the
    clusters are known (a run reads the mentions' spool while it makes the
    clusters: :meth:`counted`); then the verdicts (:meth:`judge`), once they are.

    Only a name spelt more than one way across the corpus can be flagged, and
    such names are few (three of some 7,700 names in the 10k benchmark corpus),
    so the documents naming none of them need no second look, and their votes
    need not be counted: every vote on such a name is cast by a document
    naming it. So each document's names are kept as small integers, to find
    those that do, and each name's first spelling, to see whether another
    follows; only the documents naming a name spelt two ways are read back,
    to count their votes (:class:`CorpusVotes`) and to judge them. (Counting
    every document's votes as they came took longer than making the clusters,
    which it runs beside, at 10,000 articles: the run waited for it.) The
    records themselves wait wherever the caller keeps them (a run: a spool on
    disk).
    """

    def __init__(self) -> None:
        self.positions = array("q")  # of the documents added, in order
        self._key_ids: dict[str, int] = {}
        self._keys = array("i")  # each document's distinct names, as ids, one after another
        self._ends = array("q")  # where each document's end in _keys
        self._first: dict[str, str] = {}  # name -> the first spelling met
        self._varied: set = set()  # names met spelt otherwise since

    def add(self, position: int, records: Sequence) -> None:
        """Note a document's names and spellings (``records``: its mention
        records, or plain (text, line, key, flagged) tuples)."""
        keys, texts = list(map(_KEY, records)), list(map(_TEXT, records))
        first = list(map(self._first.setdefault, keys, texts))  # (in C: a page names dozens)
        if first != texts:
            self._varied.update(compress(keys, map(ne, first, texts)))
        distinct, ids = dict.fromkeys(keys), self._key_ids
        known = list(map(ids.get, distinct))
        if None in known:
            known = [ids.setdefault(key, len(ids)) for key in distinct]
        self.positions.append(position)
        self._keys.extend(known)  # type: ignore[arg-type]  # (no None left)
        self._ends.append(len(self._keys))

    @classmethod
    def counted(cls, records: Iterable[Sequence], positions: Sequence[int]) -> "NameVotes":
        """:meth:`add` of each of ``records`` (the k-th: the mention records of
        the document at ``positions[k]``), in that order."""
        votes = cls()
        for position, found in zip(positions, records):
            votes.add(position, found)
        return votes

    def varied(self) -> set:
        """The names spelt more than one way across the corpus."""
        return set(self._varied)

    def judge(self, cluster_of: Callable[[int], Optional[str]], records_at: Callable[[int], Sequence]
              ) -> dict[int, list[Artefact]]:
        """Position -> name-variant artefacts (what :meth:`NameVariants.judge`
        gives for the same documents). ``cluster_of(position)``: a document's
        cluster id, or None; ``records_at(k)``: the records of the k-th
        document added."""
        varied = self.varied()
        cluster_sizes = Counter(cid for cid in map(cluster_of, self.positions) if cid is not None)
        wanted = {self._key_ids[key] for key in varied}
        touching, start = [], 0
        for k, end in enumerate(self._ends):
            if not wanted.isdisjoint(self._keys[start:end]):
                touching.append(k)
            start = end

        def documents() -> Iterator[tuple[int, Optional[str], Sequence]]:
            for k in touching:
                position = self.positions[k]
                yield position, cluster_of(position), records_at(k)

        votes = CorpusVotes()  # (only these documents vote on the varied names)
        used_in: Counter = Counter()
        named_in: Counter = Counter()
        for _, cid, records in documents():
            pairs, keys = votes.add(records)
            if cid is not None:
                _count_in_cluster(cid, pairs, keys, used_in, named_in)
        return NameVariants._verdicts(votes, varied, cluster_sizes, used_in, named_in, documents())


@dataclass
class Votes:
    """How many documents use each spelling of one name, and how many name it at all."""

    forms: dict[str, int] = field(default_factory=dict)  # spelling -> documents using it
    docs: int = 0
    _majority: Optional[str] = field(default=None, repr=False, compare=False)

    def majority(self, mentions: Counter) -> str:
        """The preferred spelling; worked out once, since every document that
        mentions the name asks (``mentions`` is the same for all of them)."""
        if self._majority is None:
            self._majority = min(self.forms, key=lambda f: preference(f, self.forms[f], mentions[f]))
        return self._majority
