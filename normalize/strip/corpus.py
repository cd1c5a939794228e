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
from array import array
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import numpy as np
import xxhash

from normalize.document import Document, Removal
from normalize.normalise import match_key

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
    documents, while the matching key (NFKC, casefold) is the costly part."""
    return xxhash.xxh64_intdigest(_NOT_WORD.sub("", match_key(text)).encode("utf-8"))


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
    removed = {r.line - 1 for r in doc.removed}
    return [(i, t) for i, t in enumerate(doc.lines) if t and i not in removed]


def _is_prose(text: str) -> bool:
    return len(text.split()) >= 12 or len(text) >= 80


@dataclass(frozen=True)
class Summary:
    source: str
    prose: tuple[int, ...]  # hashes of prose lines: the story fingerprint
    lines: tuple[int, ...]  # hashes of candidate chrome lines (distinct)


class _Stories:
    """Union-find over document numbers: one set per story."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


class CorpusRepeats:
    """Collects per-document summaries; decides which lines are site chrome."""

    def __init__(self, min_stories: int = 3) -> None:
        self.min_stories = min_stories
        self.summaries: list[Summary] = []

    @staticmethod
    def summarise(doc: Document) -> Summary:
        kept = [t for _, t in _kept(doc)]
        hashes = [line_hash(t) for t in kept]
        prose = {h for t, h in zip(kept, hashes) if _is_prose(t)} or {line_hash(doc.text)}
        fingerprint = tuple(sorted(prose))
        candidates = {h for t, h in zip(kept, hashes) if len(t.split()) <= MAX_WORDS}
        return Summary(source_of(doc), fingerprint, tuple(sorted(candidates)))

    def add(self, summary: Summary) -> None:
        # Kept for the whole corpus: as arrays of 8-byte hashes, not tuples of
        # Python ints (40 bytes each), so a million documents take ~0.7 GB less.
        self.summaries.append(Summary(summary.source, array("Q", summary.prose), array("Q", summary.lines)))

    def finish(self) -> "StripCorpusRepeats":
        # Sort first: the decision must not depend on the order documents came in.
        summaries = sorted(self.summaries, key=lambda s: (s.source, s.prose, s.lines))
        stories = _same_story(summaries)
        story = np.array([stories.find(n) for n in range(len(summaries))], dtype=np.int64)
        sources = sorted({sm.source for sm in summaries})
        source_no = {name: k for k, name in enumerate(sources)}
        # one row per (document, candidate line): site, line hash, story. Counting
        # them in sorted arrays, not a dict per line, keeps the peak small.
        counts = np.array([len(sm.lines) for sm in summaries], dtype=np.int64)
        site = np.repeat(np.array([source_no[sm.source] for sm in summaries], dtype=np.int64), counts)
        line = np.frombuffer(b"".join(sm.lines.tobytes() for sm in summaries), dtype=np.uint64)
        owner = np.repeat(story, counts)
        order = np.lexsort((owner, line, site))
        site, line, owner = site[order], line[order], owner[order]
        # distinct (site, line, story) with the number of documents carrying it
        new = np.ones(len(line), dtype=bool)
        new[1:] = (site[1:] != site[:-1]) | (line[1:] != line[:-1]) | (owner[1:] != owner[:-1])
        starts = np.flatnonzero(new)
        carried = np.diff(np.append(starts, len(line)))
        site, line, owner = site[starts], line[starts], owner[starts]
        # group by (site, line): how many stories carry it
        first = np.ones(len(line), dtype=bool)
        first[1:] = (site[1:] != site[:-1]) | (line[1:] != line[:-1])
        group_starts = np.flatnonzero(first)
        group_ends = np.append(group_starts[1:], len(line))
        wide = (group_ends - group_starts) >= self.min_stories

        members: dict[int, list[int]] = defaultdict(list)
        for n, st in enumerate(story.tolist()):
            members[st].append(n)
        story_prose = _LazyProse(summaries, members)
        chrome: dict[str, dict[int, frozenset[int]]] = defaultdict(dict)
        homes: dict[int, frozenset[int]] = {}
        for lo, hi in zip(group_starts[wide].tolist(), group_ends[wide].tolist()):
            per_story = dict(zip(owner[lo:hi].tolist(), carried[lo:hi].tolist()))
            chrome[sources[int(site[lo])]][int(line[lo])] = _home(per_story, story_prose, homes)
        return StripCorpusRepeats(dict(sorted(chrome.items())))


class _LazyProse:
    """story -> the prose hashes of its documents, gathered only when asked."""

    def __init__(self, summaries: list[Summary], members: dict[int, list[int]]) -> None:
        self.summaries, self.members = summaries, members

    def __getitem__(self, story: int) -> set[int]:
        out: set[int] = set()
        for n in self.members.get(story, ()):
            out.update(self.summaries[n].prose)
        return out


def _home(per_story: dict[int, int], story_prose, homes: dict) -> frozenset[int]:
    """The prose of the line's own story, if it has one, else an empty set.

    A story's lead is shown as a teaser on other pages of its site, so it
    recurs across stories like chrome; but it is carried by more copies of its
    own story than by any other story. That story keeps it.
    """
    ranked = sorted(per_story.items(), key=lambda kv: (-kv[1], kv[0]))
    (story, count), runner_up = ranked[0], ranked[1][1]
    if count < 2 or count == runner_up:
        return frozenset()
    if story not in homes:
        homes[story] = frozenset(story_prose[story])
    return homes[story]


def _same_story(summaries: list[Summary]) -> _Stories:
    """Union documents of a site whose prose lines overlap by SAME_STORY or more."""
    postings: dict[tuple[str, int], list[int]] = defaultdict(list)
    for n, summary in enumerate(summaries):
        for h in summary.prose:
            postings[(summary.source, h)].append(n)
    stories = _Stories()
    for n, summary in enumerate(summaries):
        shared: dict[int, int] = defaultdict(int)
        for h in summary.prose:
            docs = postings[(summary.source, h)]
            if len(docs) <= COMMON:
                for other in docs:
                    if other > n:
                        shared[other] += 1
        for other, count in shared.items():
            smaller = min(len(summary.prose), len(summaries[other].prose))
            if count >= SAME_STORY * smaller and (count >= 2 or smaller == 1):
                stories.union(n, other)
    return stories


class StripCorpusRepeats:
    """Stage: remove lines found to be chrome of the document's site.

    ``chrome`` maps site -> line hash -> prose hashes of the line's own story
    (empty if none): in documents of that story the line stays.
    """

    def __init__(self, chrome: dict[str, dict[int, frozenset[int]]]) -> None:
        self.chrome = chrome

    def __call__(self, doc: Document) -> Document:
        lines = self.chrome.get(source_of(doc))
        if not lines:
            return doc
        removed = {r.line - 1: r.reason for r in doc.removed}
        prose = None
        changed = False
        for i, text in _kept(doc):
            home = lines.get(line_hash(text))
            if home is None:
                continue
            if home:
                if prose is None:  # the first pass left it in work; else work it out
                    prose = set(doc.work.get("corpus_prose") or CorpusRepeats.summarise(doc).prose)
                if _same_prose(prose, home):
                    continue
            removed[i] = "corpus-repeat"
            doc.removed.append(Removal(line=i + 1, text=text, reason="corpus-repeat"))
            changed = True
        if changed:
            doc.removed.sort(key=lambda r: r.line)
            doc.text = assemble(doc.lines, removed)
        return doc


def _same_prose(prose: set[int], home: frozenset[int]) -> bool:
    shared = len(prose & home)
    return shared >= max(1.0, SAME_STORY * len(prose)) and (shared >= 2 or len(prose) == 1)
