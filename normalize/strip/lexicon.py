"""The data the stripper reads: phrase lexicon, line patterns, stop words.

Site chrome is written in a small, stable vocabulary per language: "Read also",
"Читайте також", "본문 바로가기", "Alle Rechte vorbehalten". The phrases live
in ``data/phrases-LANG.tsv`` with the reason they signal and how they must
match:

* ``line``: the whole line is the phrase ("Close", "Advertisement");
* ``prefix``: the line starts with it ("Read also: ...", "Share on Facebook");
* ``short``: it occurs anywhere in a short line ("... All rights reserved.").

Matching is on :func:`normalize.normalise.match_key` with the bullets, arrows
and punctuation around a line removed, so "» Read also:" and ".Read also:"
match "read also". Patterns (``data/patterns.tsv``) catch what words cannot:
copyright signs, markup residue, breadcrumbs, photo credits, bare dates.
Stop words (``data/stopwords-LANG.txt``) tell running prose from labels.

Every line of every page is looked at once, so the look must be cheap: the
``short`` phrases and the strings each pattern needs are found in one pass
over the line (an Aho-Corasick automaton, :class:`Needles`), and a line runs
only the pattern regexes whose needed strings it holds.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Callable

from normalize.normalise import match_key

try:  # C Aho-Corasick automaton: many substrings found in one pass over a line
    import ahocorasick
except ImportError:  # pragma: no cover - the plain loop gives the same answers
    ahocorasick = None

_DATA = resources.files("normalize.strip").joinpath("data")

def _is_word_char(c: str) -> bool:
    return c.isalnum() or unicodedata.category(c)[0] == "M"  # marks: Indic vowel signs


def bare_key(text: str) -> str:
    """match_key without the bullets, arrows and punctuation at both ends.

    "» Read also:" and ".Read also:" both become "read also".
    """
    return trim_key(match_key(text))


def trim_key(key: str) -> str:
    """A match key without the non-word characters at both ends."""
    if key[:1].isalnum() and key[-1:].isalnum():  # most lines: nothing to trim
        return key
    i, j = 0, len(key)
    while i < j and not _is_word_char(key[i]):
        i += 1
    while j > i and not _is_word_char(key[j - 1]):
        j -= 1
    return key[i:j]


class Needles:
    """Which of a fixed set of strings occur in a text, found in one pass.

    Asking ``s in text`` for each of 50 phrases costs 50 scans of the line;
    an Aho-Corasick automaton (pyahocorasick) finds all of them in one scan.
    Without the library a plain loop gives the same answer, more slowly.
    """

    def __init__(self, strings) -> None:
        self.strings = tuple(dict.fromkeys(s for s in strings if s))
        self._automaton = None
        if ahocorasick is not None and self.strings:
            automaton = ahocorasick.Automaton()
            for s in self.strings:
                automaton.add_word(s, s)
            automaton.make_automaton()
            self._automaton = automaton

    def __reduce__(self):  # rebuilt from its strings (compiled, it has no __dict__ to pickle)
        return Needles, (self.strings,)

    def found(self, text: str) -> set[str]:
        if self._automaton is not None:
            hits = self._automaton.iter(text)
            first = next(hits, None)
            if first is None:  # most lines hold none: no set to build
                return set()
            return {first[1], *(s for _, s in hits)}
        return {s for s in self.strings if s in text}


SHORT_PHRASE_WORDS = 30  # longer lines are not searched for the ``short`` phrases

# Punctuation that joins a label to the link text after it ("Read also: ...").
_JOINERS = ":.,;-–—|»›>/"


def _data_files(prefix: str) -> list:
    """Per-language files of data/: phrases-LANG.tsv, stopwords-LANG.txt."""
    return sorted((p for p in _DATA.iterdir() if p.name.startswith(prefix)), key=lambda p: p.name)


def _lang(path) -> str:
    return path.name.split("-", 1)[1].split(".")[0]


@dataclass  # read-only; not frozen, so that it pickles when compiled (normalize/compiled.py)
class Lexicon:
    line: dict[str, str]  # bare key -> reason
    prefix: dict[str, str]  # bare key -> reason, matched at word boundary
    short: dict[str, str]  # phrase -> reason, found anywhere in a short line
    short_phrases: tuple[str, ...]  # longest first
    short_needles: Needles
    max_prefix_words: int
    prefix_lengths: dict[str, tuple[int, ...]]  # first word -> word counts of its phrases, longest first
    short_rank: dict[str, int]  # phrase -> its place in short_phrases

    def whole_or_prefix(self, key: str) -> str | None:
        """Reason for a line that is a phrase, or starts with one."""
        reason = self.line.get(key) or self.prefix.get(key)
        if reason:
            return reason
        words = key.split(" ", self.max_prefix_words)  # no phrase is longer
        # Only the lengths of the phrases that start with this word are tried
        # (most lines start with no phrase's word); "themen:" may be the
        # one-word phrase "themen".
        lengths = self.prefix_lengths.get(words[0], ())
        stripped = words[0].rstrip(_JOINERS)
        if stripped != words[0] and stripped in self.prefix:
            lengths = (*lengths, 1) if 1 not in lengths else lengths
        for n in lengths:
            if n < len(words):
                # "read also: how ..." -> "read also"
                reason = self.prefix.get(" ".join(words[:n]).rstrip(_JOINERS))
                if reason:
                    return reason
        return None

    def short_phrase(self, key: str, found: set[str] | None = None) -> str | None:
        """Reason for a phrase inside a short line ("© 2024 Example Ltd. All
        rights reserved."): the longest phrase found (the order of short_phrases)."""
        if found is None:
            found = self.short_needles.found(key)
        best = None
        for phrase in found:
            if phrase in self.short and (best is None or self.short_rank[phrase] < self.short_rank[best]):
                best = phrase
        return None if best is None else self.short[best]


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    line: dict[str, str] = {}
    prefix: dict[str, str] = {}
    short: dict[str, str] = {}
    for path in _data_files("phrases-"):
        for raw in path.read_text("utf-8").splitlines():
            if not raw.strip() or raw.startswith("#"):
                continue
            phrase, reason, mode = raw.split("\t")
            key = bare_key(phrase)
            if mode == "line":
                line.setdefault(key, reason)
            elif mode == "prefix":
                prefix.setdefault(key, reason)
            else:
                short.setdefault(key, reason)
    longest = max((len(k.split(" ")) for k in prefix), default=1)
    short_phrases = tuple(sorted(short, key=len, reverse=True))
    lengths: dict[str, set[int]] = {}
    for k in prefix:
        lengths.setdefault(k.split(" ")[0], set()).add(len(k.split(" ")))
    prefix_lengths = {w: tuple(sorted(ns, reverse=True)) for w, ns in lengths.items()}
    return Lexicon(line, prefix, short, short_phrases, Needles(short_phrases), longest, prefix_lengths,
                   {p: n for n, p in enumerate(short_phrases)})


@lru_cache(maxsize=1)
def languages() -> list[str]:
    return [_lang(p) for p in _data_files("phrases-")]


@dataclass  # read-only; not frozen, so that it pickles when compiled (normalize/compiled.py)
class LinePattern:
    reason: str
    regex: re.Pattern
    max_words: float
    needs: tuple[str, ...]  # the line must contain one of these (lower case) ...
    # regex.match for patterns anchored at the start, else regex.search
    find: Callable[[str], re.Match | None] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # re's search tries every position even after "^" failed at the first:
        # match stops there
        anchored = _anchored(self.regex.pattern)
        self.find = self.regex.match if anchored else self.regex.search

    def matches(self, text: str, lower: str, words: float) -> bool:
        if words > self.max_words:
            return False
        # ... a C-speed substring test that spares most lines the regex
        if self.needs and not any(n in lower for n in self.needs):
            return False
        return self.find(text) is not None


def _anchored(rx: str) -> bool:
    """Whether a regex can only match at the start of the text: it begins with
    ``^`` and has no ``|`` outside groups and classes (``^a|b`` finds b anywhere)."""
    if not rx.startswith("^"):
        return False
    depth, in_class, escaped = 0, False, False
    for c in rx:
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return False
    return True


@lru_cache(maxsize=1)
def patterns() -> list[LinePattern]:
    """The line patterns of ``data/patterns.tsv``, in order."""
    rows = []
    for raw in _DATA.joinpath("patterns.tsv").read_text("utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        reason, rx, max_words, needs = raw.split("\t")
        rows.append(LinePattern(reason, re.compile(rx, re.I), int(max_words) or float("inf"),
                                tuple(needs.split())))
    return rows


@lru_cache(maxsize=1)
def _pattern_needles() -> Needles:
    return Needles(n for p in patterns() for n in p.needs)


@lru_cache(maxsize=1)
def _needle_masks() -> dict[str, int]:
    """Per needed string, the patterns that need it, as a bit set (bit n:
    the n-th pattern). Lines holding different strings ("1", "2") often
    want the same patterns (all digits serve the date patterns), and the bit
    set keeps the candidate lists below few and cached."""
    masks: dict[str, int] = {}
    for n, pattern in enumerate(patterns()):
        for needed in pattern.needs:
            masks[needed] = masks.get(needed, 0) | 1 << n
    return masks


@lru_cache(maxsize=4096)
def _candidates(size: int, wanted: int) -> tuple[LinePattern, ...]:
    """The patterns, in order, that a line of ``size`` words (rounded up)
    could match, given the bit set ``wanted`` of patterns whose needed
    strings it holds."""
    return tuple(
        p for n, p in enumerate(patterns())
        if size <= p.max_words and (not p.needs or wanted >> n & 1)
    )


def match_pattern(text: str, lower: str, words: float, found: set[str] | None = None) -> LinePattern | None:
    """The first pattern of ``data/patterns.tsv`` that matches the line.

    Same answer as trying ``LinePattern.matches`` in order, but the needed
    strings of all patterns are found in one pass (or given: ``found``, the
    strings of :func:`scanner` in the line), so that a line runs only the
    regexes it could match.
    """
    masks = _needle_masks()
    if found is None:
        found = _pattern_needles().found(lower)
    wanted = 0
    for needed in found:
        wanted |= masks.get(needed, 0)
    for pattern in _candidates(math.ceil(words), wanted):
        if pattern.find(text) is not None:
            return pattern
    return None


@lru_cache(maxsize=1)
def scanner() -> Needles:
    """The short phrases and the strings the patterns need, in one automaton:
    one pass over a line answers both (see :func:`scan_text`)."""
    return Needles([*lexicon().short_phrases, *_needle_masks()])


def scan_text(key: str, joined: str) -> str | None:
    """The one text whose :func:`scanner` hits are those of both the key (for
    the phrases) and the lower-cased line (for the patterns), or None.

    ``joined`` is the lower-cased line's words joined by single spaces. The
    needed strings hold no space, so they occur in the line exactly when they
    occur in ``joined``. The phrases are bare keys (a word character at each
    end), so they cannot start or end in the non-word characters that
    trimming removes: they occur in ``joined`` exactly when they occur in the
    key, if trimming ``joined`` gives the key. It always does for ASCII text;
    otherwise only where case folding and NFKC change nothing that
    lower-casing did not (most text), and the two are scanned apart.
    """
    return joined if trim_key(joined) == key else None


@lru_cache(maxsize=1)
def stopwords() -> dict[str, frozenset[str]]:
    out = {}
    for path in _data_files("stopwords-"):
        out[_lang(path)] = frozenset(path.read_text("utf-8").split())
    return out


@lru_cache(maxsize=1)
def all_stopwords() -> frozenset[str]:
    return frozenset().union(*stopwords().values())


def _words_of(filename: str) -> frozenset[str]:
    """Every word of a data file's non-comment lines."""
    words: set[str] = set()
    for raw in _DATA.joinpath(filename).read_text("utf-8").splitlines():
        if not raw.startswith("#"):
            words.update(raw.split())
    return frozenset(words)


@lru_cache(maxsize=1)
def date_words() -> frozenset[str]:
    return _words_of("months.txt")


@lru_cache(maxsize=1)
def language_names() -> frozenset[str]:
    return _words_of("languages.txt")


_SWITCHER_SPLIT = re.compile(r"[\s|/·,•]+")
_SWITCHER_TOKEN = re.compile(r"[^\s|/·,•]+")


def is_language_switcher(key: str) -> bool:
    """A line made only of language names or codes ("ua en ru", "Deutsch | English")."""
    names = language_names()
    if key in names:
        return True
    first = _SWITCHER_TOKEN.search(key)
    if first is None or first.group() not in names:  # most lines: no name comes first
        return False
    tokens = [t for t in _SWITCHER_SPLIT.split(key) if t]
    return 2 <= len(tokens) <= 12 and all(t in names for t in tokens)
