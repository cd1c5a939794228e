"""Corpus chrome: lines that recur across many different stories of a site.

A footer such as "Our journalism is funded by readers like you" looks like
prose in any one page. Across a crawl it gives itself away: it recurs in many
documents of the same site. But so does every sentence of a story reprinted
five times, and those must stay. So a line counts only once per *story*:
documents that share a good part of their prose lines (compared by a hash per
line, a cheap content fingerprint) are one story, whatever their order. And
a story's own lead, shown as a teaser on other pages, stays in that story.

Two passes: :meth:`CorpusRepeats.summarise` runs on each document in a worker
and returns a small picklable summary; :meth:`CorpusRepeats.add` collects them
in the main process; :meth:`CorpusRepeats.finish` decides and returns
:class:`StripCorpusRepeats`, a picklable stage for the second pass.
"""
from __future__ import annotations

import re
import unicodedata
from array import array
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from typing import Any, Final
from urllib.parse import urlsplit

import numpy as np
import xxhash

from normalize.document import Document, Removal, note_kept_lines
from normalize.memo import remember

kernels: Any  # (the C module, or None)
try:  # C loop for the pairs of documents that tell one story (see kernels.pyx); numpy otherwise
    # (by name: compiled, ``from . import`` looks for it on the package, which
    # is still being imported when this module is)
    kernels = import_module("normalize.strip.kernels")
except ImportError:  # pragma: no cover - no compiler at install, or pure Python asked for
    kernels = None

SOURCE_FIELDS = ("source", "domain", "site", "host", "url")
MAX_WORDS = 80  # longer lines are article paragraphs, never site chrome
SAME_STORY = 0.3  # share of the smaller document's prose lines two copies have in common
COMMON = 200  # a prose line in more documents than this links no stories


def assemble(lines: list[str], removed) -> str:
    """Kept lines joined; a blank line where the original had a paragraph break."""
    out: list[str] = []
    gap_blank = False
    for i, text in enumerate(lines):
        if not text:
            gap_blank = True
        elif i not in removed:
            if out:
                out.append("\n\n" if gap_blank else "\n")
            out.append(text)
            gap_blank = False
    return "".join(out)


_NOT_WORD = re.compile(r"[\W_]+")


@lru_cache(maxsize=1 << 16)
def line_hash(text: str) -> int:
    """Hash of a line's words only: copies that differ in quotes, dashes,
    spacing or case (typography variants of one story) hash the same.

    Cached: both passes hash the same lines, and site chrome repeats across
    documents, while the matching key (NFKC, casefold) is the costly part.

    The words are those of :func:`~normalize.normalise.match_key`, which also
    squeezes and strips the spaces: not needed here, where every space goes."""
    key = (text if text.isascii() else unicodedata.normalize("NFKC", text)).casefold()
    if key.isascii():  # the same bytes, without a regex match per word gap
        return xxhash.xxh64_intdigest(key.encode("ascii").translate(None, _ASCII_NOT_WORD))
    # The spaces and ASCII punctuation go first, as bytes (an ASCII byte is never
    # part of another character in UTF-8); the regex then meets only the few
    # other gaps (curly quotes, dashes), not one match per word.
    key = key.encode("utf-8", "surrogatepass").translate(None, _ASCII_NOT_WORD).decode("utf-8", "surrogatepass")
    return xxhash.xxh64_intdigest(_NOT_WORD.sub("", key).encode("utf-8"))


# what _NOT_WORD removes from ASCII text: all but letters and digits
_ASCII_NOT_WORD = bytes(b for b in range(128) if not chr(b).isalnum())


_FACTS: Final[dict[str, tuple]] = {}  # line_facts of the lines met (see normalize.memo)
FACTS_ROOM = 1 << 17


def line_facts(text: str) -> tuple:  # (int, bool, bool)
    """(:func:`line_hash`, whether the line is prose, whether it may be chrome):
    all a summary asks of a line, remembered together, since lines recur."""
    known = _FACTS.get(text)
    if known is not None:
        return known
    return remember(_FACTS, text, (line_hash(text), _is_prose(text), _may_be_chrome(text)), FACTS_ROOM)


def source_of(doc: Document) -> str:
    """The site a record comes from, if its fields say; "" otherwise."""
    for name in SOURCE_FIELDS:
        value = doc.fields.get(name) if doc.fields else None
        if value:
            value = str(value)
            if name == "url" or "://" in value:
                value = urlsplit(value).netloc or value
            return value.lower().removeprefix("www.")
    return ""


def _kept(doc: Document) -> list[tuple[int, str]]:
    """(index, text) of each line not empty and not removed, in order."""
    lines = doc.lines
    return [(i, lines[i]) for i in _kept_indices(doc)]


def _kept_indices(doc: Document) -> list[int]:
    # (comprehensions: compiled, they are loops in C)
    lines: list[str] = doc.lines
    if doc.removed:
        removed = {r.line - 1 for r in doc.removed}
        return [i for i, line in enumerate(lines) if line and i not in removed]
    return [i for i, line in enumerate(lines) if line]


def _is_prose(text: str) -> bool:
    return len(text) >= 80 or len(text.split()) >= 12


def _may_be_chrome(text: str) -> bool:
    # n words take at least 2n - 1 characters: a short line needs no split
    return len(text) < 2 * MAX_WORDS or len(text.split()) <= MAX_WORDS


@dataclass(frozen=True)
class Summary:
    """One document's lines as the corpus-level step counts them: the hashes in
    ascending order, as arrays of 8-byte integers, which cross from a worker
    and are kept for the whole corpus at a fifth of the cost of Python ints
    (a million documents take ~0.7 GB less)."""

    source: str
    prose: array  # "Q": hashes of prose lines: the story fingerprint
    lines: array  # "Q": hashes of candidate chrome lines (distinct)

    def __reduce__(self):  # (a dataclass pickles its fields as a dict: slower, and every document's crosses)
        return Summary, (self.source, self.prose, self.lines)


class CorpusRepeats:
    """Collects per-document summaries; decides which lines are site chrome."""

    def __init__(self, min_stories: int = 3) -> None:
        self.min_stories = min_stories
        self.collected = Collected()

    @staticmethod
    def summarise(doc: Document) -> Summary:
        return CorpusRepeats.summarise_lines(doc)[0]

    @staticmethod
    def summarise_lines(doc: Document) -> tuple[Summary, list[tuple[int, int]]]:
        """The document's :class:`Summary`, and (index, hash) of each of its kept
        lines that may be chrome, in order: what :class:`StripCorpusRepeats`
        looks up in the second pass, without hashing the lines again."""
        kept = _kept_indices(doc)
        texts = doc.lines
        facts = [line_facts(texts[i]) for i in kept]
        prose = {h for h, is_prose, _ in facts if is_prose} or {line_hash(doc.text)}
        lines = [(i, h) for i, (h, _, may_be_chrome) in zip(kept, facts) if may_be_chrome]
        summary = Summary(source_of(doc), array("Q", sorted(prose)), array("Q", sorted({h for _, h in lines})))
        return summary, lines

    def add(self, summary: Summary) -> None:
        self.collected.add(summary)

    def finish(self) -> "StripCorpusRepeats":
        # The documents in the order they came: it numbers the stories (each
        # after its first document) but decides nothing, as a story's number
        # only ever breaks a tie between two stories, and a line that two
        # stories carry equally often has no home either way (see _home). Sorted
        # first, as they once were, they took a third of this step at 100k.
        collected = self.collected
        story = _same_story(collected)
        sources = sorted(collected.sites)
        rank = np.empty(len(sources), dtype=np.int32)  # a site's number among the sources sorted
        for k, name in enumerate(sources):
            rank[collected.sites[name]] = k
        # one row per (document, candidate line): site, line hash, story. Counting
        # them in sorted arrays, not a dict per line, keeps the peak small: the
        # hashes are the collected ones (not a copy), the numbers 4 bytes where
        # they fit, and each array is reordered in turn, the old one let go.
        counts = np.frombuffer(collected.line_counts, dtype=np.uint32).astype(np.int64)
        site = np.repeat(rank[np.frombuffer(collected.site, dtype=np.int32)], counts)
        line = np.frombuffer(collected.lines, dtype=np.uint64)
        owner: np.ndarray = np.repeat(story.astype(_narrowest(len(story))), counts)
        order = np.lexsort((owner, line, site))
        site = site[order]
        line = line[order]
        owner = owner[order]
        del order
        # distinct (site, line, story) with the number of documents carrying it
        new = np.ones(len(line), dtype=bool)
        new[1:] = (site[1:] != site[:-1]) | (line[1:] != line[:-1]) | (owner[1:] != owner[:-1])
        starts = np.flatnonzero(new)
        del new
        carried = np.diff(np.append(starts, len(line)))
        site = site[starts]
        line = line[starts]
        owner = owner[starts]
        # group by (site, line): how many stories carry it
        first = np.ones(len(line), dtype=bool)
        first[1:] = (site[1:] != site[:-1]) | (line[1:] != line[:-1])
        group_starts = np.flatnonzero(first)
        del first
        group_ends = np.append(group_starts[1:], len(line))
        wide = (group_ends - group_starts) >= self.min_stories
        starts, ends = group_starts[wide], group_ends[wide]
        del group_starts, group_ends, wide
        site, line = site[starts].tolist(), line[starts].tolist()  # of the lines carried by enough stories

        story_prose = _LazyProse(collected, story)
        chrome: dict[str, dict[int, frozenset[int]]] = defaultdict(dict)
        homes: dict[int, frozenset[int]] = {}
        owned = zip(*_leading_story(carried, owner, starts, ends)) if len(starts) else ()
        for at, lo, (story_no, count, runner_up) in zip(site, line, owned):
            chrome[sources[at]][lo] = _home(story_no, count, runner_up, story_prose, homes)
        return StripCorpusRepeats(dict(sorted(chrome.items())))


class _LazyProse:
    """story -> the prose hashes of its documents, gathered only when asked."""

    def __init__(self, collected: "Collected", story: np.ndarray) -> None:
        self.prose = collected.prose
        self.ends = np.cumsum(np.frombuffer(collected.prose_counts, dtype=np.uint32), dtype=np.int64)
        self.by_story = np.argsort(story, kind="stable")  # the documents of each story, together
        self.stories = story[self.by_story]

    def __getitem__(self, story: int) -> set[int]:
        out: set[int] = set()
        lo, hi = np.searchsorted(self.stories, [story, story + 1]).tolist()
        for n in self.by_story[lo:hi].tolist():
            out.update(self.prose[int(self.ends[n - 1]) if n else 0:int(self.ends[n])])
        return out


class Collected:
    """The summaries of a corpus, as :meth:`CorpusRepeats.add` keeps them until
    the end of the first pass: in columns, per document its site (numbered in
    order of first appearance, :attr:`sites`) and how many prose and
    candidate hashes it has, and the hashes of all documents end to end.

    A :class:`Summary` kept as it came (an object, its two arrays, its site's
    name) cost about a kilobyte beyond its hashes: at 100k documents, 120 MB of
    which the hashes were 27 MB."""

    def __init__(self) -> None:
        self.sites: dict[str, int] = {}
        self.site = array("i")
        self.prose, self.prose_counts = array("Q"), array("I")
        self.lines, self.line_counts = array("Q"), array("I")

    @classmethod
    def of(cls, summaries) -> "Collected":
        collected = cls()
        for summary in summaries:
            collected.add(summary)
        return collected

    def add(self, summary: Summary) -> None:
        self.site.append(self.sites.setdefault(summary.source, len(self.sites)))
        self.prose.extend(summary.prose)
        self.prose_counts.append(len(summary.prose))
        self.lines.extend(summary.lines)
        self.line_counts.append(len(summary.lines))

    def __len__(self) -> int:
        return len(self.site)


def _narrowest(n: int) -> type:
    """The integer type for numbers below ``n``: 4 bytes where they fit."""
    return np.int32 if n < 2**31 else np.int64


def _leading_story(carried: np.ndarray, owner: np.ndarray, starts: np.ndarray, ends: np.ndarray
                   ) -> tuple[list[int], list[int], list[int]]:
    """Per group of rows ``starts[g]:ends[g]`` (each a line, its rows the stories
    carrying it in ascending order, ``carried`` by how many documents): the
    story carrying it most (the lowest such story on a tie), how many copies
    of it do, and the most copies any other story has. With thousands of lines
    and a million rows at 100k documents, made with whole-array steps, not a
    sort per line."""
    sizes = ends - starts
    rows = np.repeat(starts - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))
    counts, stories = carried[rows], owner[rows]
    at = np.cumsum(sizes) - sizes  # where each group starts among ``rows``
    top = np.maximum.reduceat(counts, at)
    best = np.flatnonzero(counts == np.repeat(top, sizes))
    group = np.repeat(np.arange(len(sizes)), sizes)[best]
    best = best[np.r_[True, group[1:] != group[:-1]]]  # the first (lowest story) of each group's best
    others = counts.copy()
    others[best] = -1
    return stories[best].tolist(), top.tolist(), np.maximum.reduceat(others, at).tolist()


def _home(story: int, count: int, runner_up: int, story_prose, homes: dict) -> frozenset[int]:
    """The prose of the line's own story (``story``, whose documents carry it
    ``count`` times, against ``runner_up`` for the next story), if it has one,
    else an empty set.

    A story's lead is shown as a teaser on other pages of its site, so it
    recurs across stories like chrome; but it is carried by more copies of its
    own story than by any other story. That story keeps it.
    """
    if count < 2 or count == runner_up:
        return frozenset()
    if story not in homes:
        homes[story] = frozenset(story_prose[story])
    return homes[story]


def _same_story(collected: Collected) -> np.ndarray:
    """Per document, its story: the lowest number among the documents of its site
    linked to it, directly or through others, by prose lines in common (at least
    SAME_STORY of the smaller document's, and two unless it has only one).

    A prose line carried by more than COMMON documents links none of them (a
    site's boilerplate paragraph, a stock disclaimer). The other lines make
    pairs: every two documents carrying the same line of the same site. The
    lines each pair shares are counted, and the stories are the connected
    components of the pairs that qualify (:func:`_stories`).
    """
    n_docs = len(collected)
    lens = np.frombuffer(collected.prose_counts, dtype=np.uint32).astype(np.int64)
    if not lens.any():
        return np.arange(n_docs, dtype=np.int64)
    line = np.frombuffer(collected.prose, dtype=np.uint64)
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), lens)
    site = np.repeat(np.frombuffer(collected.site, dtype=np.int32), lens)
    order = np.lexsort((doc, line, site))  # by site, line, then document
    line = line[order]
    doc = doc[order]
    site = site[order]
    del order
    new = np.ones(len(line), dtype=bool)
    new[1:] = (line[1:] != line[:-1]) | (site[1:] != site[:-1])
    del line, site
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(new))
    del new
    size = ends - starts
    # each row pairs with the later rows of its (site, line) group: higher documents
    linking = (size >= 2) & (size <= COMMON)
    rows = np.flatnonzero(np.repeat(linking, size))
    partners = np.repeat(ends[linking], size[linking]) - rows - 1
    rows, partners = rows[partners > 0], partners[partners > 0]
    return (_stories if kernels is None else _stories_c)(doc, rows, partners, lens)


def _stories(doc: np.ndarray, rows: np.ndarray, partners: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Per document, the lowest document linked to it by :func:`_linked_pairs`,
    directly or through others: the connected components of the pairs, by
    scipy's graph code. (:func:`.kernels.stories` finds them in one C loop
    that keeps no pair; this is its fallback and reference.)"""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n_docs = len(lens)
    a, b = _linked_pairs(doc, rows, partners, lens)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n_docs, n_docs))
    _, label = connected_components(graph, directed=False)
    lowest = np.full(label.max() + 1, n_docs, dtype=np.int64)
    np.minimum.at(lowest, label, np.arange(n_docs, dtype=np.int64))
    return lowest[label]


# Pairs of documents are counted in chunks of about this many (document, document)
# rows, one per line they share: a chunk's arrays peak at some 30 MB, and larger
# chunks are no faster (measured on 10k documents: 1 << 22 peaked at 260 MB).
_PAIR_CHUNK = 1 << 19


def _linked_pairs(doc: np.ndarray, rows: np.ndarray, partners: np.ndarray,
                  lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of documents (a, b), a < b, that share enough prose lines to be
    one story. ``doc`` holds the document of each prose line, sorted by (site,
    line, document); ``rows`` are the positions whose line links documents,
    each followed in its line's group by ``partners`` rows (the later documents
    carrying the line); ``lens`` are the documents' numbers of prose lines.

    Every (document, later document) row is made, and the pairs are counted by
    numpy's sort, in chunks of whole first documents so that each pair's count
    is complete in one chunk. (:func:`.kernels.stories` counts them without
    a sort.)"""
    n_docs = len(lens)
    first_doc = doc[rows]
    cumulative = np.cumsum(np.bincount(first_doc, weights=partners, minlength=n_docs))
    edges_a, edges_b = [], []
    lo = 0
    while lo < n_docs:
        done = cumulative[lo - 1] if lo else 0.0
        hi = max(int(np.searchsorted(cumulative, done + _PAIR_CHUNK, side="right")), lo + 1)
        pick = (first_doc >= lo) & (first_doc < hi)
        r, c = rows[pick], partners[pick]
        lo = hi
        if len(r) == 0:
            continue
        offset = np.arange(int(c.sum()), dtype=np.int64) - np.repeat(np.cumsum(c) - c, c)
        a = np.repeat(doc[r], c)
        b = doc[np.repeat(r + 1, c) + offset]
        pair, shared = np.unique(a * n_docs + b, return_counts=True)
        a, b = pair // n_docs, pair % n_docs
        smaller = np.minimum(lens[a], lens[b])
        linked = (shared >= SAME_STORY * smaller) & ((shared >= 2) | (smaller == 1))
        edges_a.append(a[linked])
        edges_b.append(b[linked])
    a = np.concatenate(edges_a) if edges_a else np.empty(0, np.int64)
    b = np.concatenate(edges_b) if edges_b else np.empty(0, np.int64)
    return a, b


def _stories_c(doc: np.ndarray, rows: np.ndarray, partners: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """:func:`_stories` by :func:`.kernels.stories`: the rows are grouped by
    their document, and each document's partners counted in turn. (scipy is
    not needed: importing its graph code took 0.23-0.37 s of every run.)"""
    n_docs = len(lens)
    first_doc = doc[rows]
    by_doc = np.argsort(first_doc, kind="stable")
    row_ptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount(first_doc, minlength=n_docs), out=row_ptr[1:])
    return kernels.stories(doc, np.ascontiguousarray(rows[by_doc]), np.ascontiguousarray(partners[by_doc]),
                           row_ptr, lens, SAME_STORY)


class StripCorpusRepeats:
    """Stage: remove lines found to be chrome of the document's site.

    ``chrome`` maps site -> line hash -> prose hashes of the line's own story
    (empty if none): in documents of that story the line stays.
    """

    def __init__(self, chrome: dict[str, dict[int, frozenset[int]]]) -> None:
        self.chrome = chrome

    def __reduce__(self):  # (compiled, a class is unpickled through its __init__: see normalize/compiled.py)
        return StripCorpusRepeats, (self.chrome,)

    def __call__(self, doc: Document) -> Document:
        lines = self.chrome.get(source_of(doc))
        if not lines:
            return doc
        removed = {r.line - 1: r.reason for r in doc.removed}
        prose = None
        ours: dict[int, bool] = {}  # id of a home -> is it this document's story
        changed = False
        candidates = doc.work.get("corpus_lines")  # the first pass's (summarise_lines)
        if candidates is None:  # lines that are never candidates need no hash
            candidates = [(i, line_hash(text)) for i, text in _kept(doc) if _may_be_chrome(text)]
        for i, hashed in candidates:
            home = lines.get(hashed)
            if home is None:
                continue
            text = doc.lines[i]
            if home:
                # the lines of one story share one home (see finish): asked once a document
                mine = ours.get(id(home))
                if mine is None:
                    if prose is None:  # the first pass left it in work; else work it out
                        prose = set(doc.work.get("corpus_prose") or CorpusRepeats.summarise(doc).prose)
                    mine = ours[id(home)] = _same_prose(prose, home)
                if mine:
                    continue
            removed[i] = "corpus-repeat"
            doc.removed.append(Removal(i + 1, text, "corpus-repeat"))
            changed = True
        if changed:
            doc.removed.sort(key=lambda r: r.line)
            doc.text = assemble(doc.lines, removed)
            if len(doc.removed) == len(removed):  # (each removal of a line of its own, as the stripper's)
                note_kept_lines(doc)
        return doc


def _same_prose(prose: set[int], home: frozenset[int]) -> bool:
    shared = len(prose & home)
    return shared >= max(1.0, SAME_STORY * len(prose)) and (shared >= 2 or len(prose) == 1)
