"""Clustering: from fingerprints to clusters with one kept copy each.

The steps, in the main process, once every document of a batch was added:

1. Exact pass. Documents with the same normalised-key hash are copies; the
   best of them (by the keep policy) stands for the group in what follows.
2. LSH. Banded signatures of the group representatives (and of the documents
   in the incremental index) give candidate pairs: listed, or, where large
   groups of copies would make them too many to list, looked up in the bands
   as step 4 asks for them (:mod:`.neighbours`).
3. Verification. A candidate pair is checked on the exact shingle sets
   (Jaccard, or containment for truncated copies); only verified pairs link.
   Where candidates are looked up, most pairs are ruled out first by a bound
   on their overlap, from counts of each set's shingles by bucket (:mod:`.bound`).
4. Kept-copy clusters. Documents are visited best first (keep policy, ties by
   position); an unassigned document becomes a kept copy and takes every
   unassigned document it is *itself* verified against. So a member is always
   verified against its cluster's kept copy and clusters cannot chain: if A~B
   and B~C but not A~C, and A is kept, C is not in A's cluster.

Steps 3 and 4 run together here: step 4 only ever asks whether a kept copy
links to a document not yet taken, so only those pairs are verified. Among k
copies of one story that is about k checks instead of k(k-1)/2, which keeps
verification linear when a story is reprinted hundreds of times. The
result is the one :func:`greedy_kept` gives over every verified pair (the
Spark engine verifies all candidate pairs, spread over executors, and calls
it per connected component).

Keep policies: "longest" (default) keeps the longest text — the most complete
copy, so a truncated syndication is never kept and an added update paragraph is
not lost; "first" keeps the earliest document in input order; and
"fewest-artefacts" keeps the copy with the fewest translation artefacts, then
the longest. Documents from earlier batches (the index) always come first: they
were already published as kept copies, and a new copy of one names it in
``duplicate_of``.

Cluster ids are derived from the kept copy's id, so they do not depend on the
input order or on how many workers fingerprinted the batch.
"""
from __future__ import annotations

import re
import unicodedata
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import filterfalse, repeat
from operator import is_not, itemgetter
from typing import Any, Callable, Iterable, Optional, Union

import numpy as np
import xxhash

from ..engine.aside import Helpers, run_aside
from .arrays import distinct_sorted
from .bound import OverlapBound
from .fingerprint import Fingerprint
from .index import DedupIndex
from .lsh import all_band_hashes, candidate_keys, hash_band, merge_keys, pairs_of_keys
from .neighbours import BandNeighbours, band_pairs_bound
from .settings import DedupSettings
from .shingles import ShingleSet, shingle_set, shingle_sets
from .spooled import CHUNK, SpooledClusters, spool, spool_file
from .verify import needs_layout, overlap, overlaps_reaching, similarity_given

_BLOCK = 1 << 16
# Bytes of shingle sets held at once while verifying. A kept copy's candidates
# that it does not take are asked again by the next kept copies of the same
# texts, which a few thousand sets cover. A budget in bytes, not in sets, so that
# a corpus of long documents holds fewer of them: about 8,000 sets of 6 KB
# articles. Against the 4,096 sets held before: at 40k generated articles the
# clustering took 6.9-7.0 s instead of 7.8-8.0 s, for 15 MB more at the peak;
# at a million generated 120-word texts (bench_dedup_memory.py) the peak rose
# from 1,228 to 1,329 MB.
_CACHE_BYTES = 64 << 20
# A verifying helper's (see _Batch.assign): each sees about half the nodes
# asked about, and re-reads more sets with a cache of the same size. At 100k
# documents (dedup, one run each) verifying took 8.3 s with 64 MB, 7.6 s with
# 128 MB and 7.1 s with 256 MB, against 12.5 s in one process with 64 MB.
_HELPER_CACHE_BYTES = 128 << 20
# Fewest cluster members whose reports are worth a forked process (a fork of a
# large process takes some milliseconds).
_ASIDE_MIN_MEMBERS = 500
# Fewest candidate pairs worth verifying in helper processes. At 10k documents
# (54k candidate pairs, 21k verified) one process took 0.20 s and two helpers
# 0.35 s: they start with empty caches, and wait for each other after every
# round. At 100k (4.2 million candidates, 1.5 million verified) one
# process took 12.5 s and two helpers 7.5 s.
_HELPED_MIN_PAIRS = 500_000
# Fewest documents whose LSH bands are worth spreading over helpers (see
# _Batch.candidate_keys): at 10k documents the bands take 0.1 s in one process.
_HELPED_MIN_NODES = 30_000
# Most candidate pairs (one band's, times the bands) listed before verifying;
# beyond, they are looked up in the bands as nodes are visited (:mod:`.neighbours`).
# Listed, a distinct pair costs about 40 bytes at the peak (a million generated
# documents: 254 million pairs, 11.1 GB in the main process), so up to about
# 0.8 GB here in the worst case, pairs that share one band each; looked up, 16
# bytes per document and band. Either way took about as long on the clusterer's
# input of a 100k-document run (12-16 million by this count: 6.9-8.0 s listed,
# 7.1-7.8 s looked up, three runs each; the main process's peak 295 against 216
# MB). On that of the million documents (about 480 million) listing took 599.6 s
# and 10.8 GB in the main process, looking up 402.6 s and 1.4 GB, with the same
# clusters.
_LISTED_MAX_PAIRS = 20_000_000
_SHARED_LINES = 5
_LINE_CAP = 200


@dataclass(frozen=True)
class Assignment:
    cluster_id: Optional[str]
    cluster_size: int
    duplicate_of: Optional[str]
    similarity: Optional[float]


SINGLETON = Assignment(None, 1, None, None)


def cluster_id_for(kept_id: str) -> str:
    """A cluster's id: a hash of its kept copy's id (stable across runs and worker counts)."""
    return "dup-" + xxhash.xxh3_64_hexdigest(kept_id.encode("utf-8"))


def _halves(items: list[tuple[int, list[int]]]) -> list[list[tuple[int, list[int]]]]:
    """Clusters (kept node, members) in two lists with about as many members each."""
    halves: list[list] = [[], []]
    loads = [0, 0]
    for item in items:
        lighter = int(loads[1] < loads[0])
        halves[lighter].append(item)
        loads[lighter] += 1 + len(item[1])
    return halves


class ClusterResult:
    """Per-document assignments (by add position) and per-cluster reports.

    The reports may still be in the making (``later``: the function that waits
    for them, see :func:`normalize.engine.aside.run_aside`); asking for them
    waits. Made aside, they are read back from disk as they are iterated
    (:class:`~.spooled.SpooledClusters`); else a list. Either way, in id order."""

    def __init__(self, assignments: dict[int, Assignment], clusters: Optional[Iterable[dict]] = None,
                 oversized: Optional[list[dict]] = None, *,
                 later: Optional[Callable[[], tuple[Iterable[dict], list[dict]]]] = None):
        self.assignments = assignments
        self._reports = None if later is not None else (clusters or [], oversized or [])
        self._later = later

    def assignment(self, position: int) -> Assignment:
        return self.assignments.get(position, SINGLETON)

    @property
    def clusters(self) -> Iterable[dict]:
        return self._collected()[0]

    @property
    def oversized(self) -> list[dict]:
        return self._collected()[1]

    def _collected(self) -> tuple[Iterable[dict], list[dict]]:
        if self._reports is None:
            assert self._later is not None
            self._reports, self._later = self._later(), None
        return self._reports


class _Rows:
    """A growable 2-D array in fixed blocks: appending never copies what is stored."""

    def __init__(self, width: int, dtype):
        self.width, self.dtype = width, dtype
        self.blocks: list[np.ndarray] = []
        self.n = 0

    def append(self, row: np.ndarray) -> None:
        if self.n % _BLOCK == 0:
            self.blocks.append(np.empty((_BLOCK, self.width), dtype=self.dtype))
        self.blocks[-1][self.n % _BLOCK] = row
        self.n += 1


class Clusterer:
    """Collects fingerprints (``add``), then clusters them (``finish``)."""

    def __init__(self, settings: DedupSettings | None = None, index_path: str | None = None,
                 reports_aside: bool = False, helpers: int = 1):
        """``reports_aside``: make the cluster reports in forked processes, while
        the caller goes on with the assignments; ``helpers``: verify candidate
        pairs in that many forked processes, side by side (see
        :mod:`normalize.engine.aside`)."""
        self.settings = settings or DedupSettings()
        self.reports_aside = reports_aside
        self.helpers = helpers
        self.index = DedupIndex(index_path, self.settings.fingerprint_params()) if index_path else None
        self.ids: list[str] = []
        self._sigs = _Rows(self.settings.num_perm, np.uint32)
        # compact columns (8 bytes a document), not lists of Python ints
        self._exact = array("Q")
        self._length = array("q")
        self._artefacts = array("q")
        self._n_shingles = array("q")

    def add(self, doc_id: str, fp: Fingerprint, *, length: int, n_artefacts: int = 0) -> int:
        if len(fp.signature) != self.settings.num_perm:
            raise ValueError(f"signature has {len(fp.signature)} values, settings say num_perm={self.settings.num_perm}")
        self._sigs.append(np.asarray(fp.signature, dtype=np.uint32))
        self._exact.append(fp.exact)
        self._length.append(length)
        self._artefacts.append(n_artefacts)
        self._n_shingles.append(fp.n_shingles)
        self.ids.append(doc_id)
        return len(self.ids) - 1

    def __len__(self) -> int:
        return len(self.ids)

    # -- finish -------------------------------------------------------------

    def finish(self, text_of: Callable[[int], str], shingles_of: Any = None) -> ClusterResult:
        """Cluster everything added. ``text_of(position)`` gives a document's
        cleaned text; ``shingles_of(position)``, if given, its shingle set as the
        fingerprint made it (else, or when it gives None, the text is shingled).
        ``shingles_of`` may also be a store of sets, indexed by position, that can
        view them in place (:class:`~normalize.engine.spool.ShingleStore`, with
        ``viewed`` and ``hashes``): see :meth:`_Batch.assign`."""
        return _Batch(self, text_of, shingles_of).run()


class Links:
    """Verified pairs as arrays, looked up by node (CSR): a few dozen bytes a link,
    where a dict of dicts would take hundreds."""

    def __init__(self, a: np.ndarray, b: np.ndarray, sim: np.ndarray):
        src, dst = np.concatenate([a, b]), np.concatenate([b, a])
        order = np.lexsort((dst, src))
        self.src, self.dst, self.sim = src[order], dst[order], np.concatenate([sim, sim])[order]
        self.nodes = distinct_sorted(self.src)

    def of(self, node: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.searchsorted(self.src, [node, node + 1])
        return self.dst[lo:hi], self.sim[lo:hi]



def greedy_kept(order: np.ndarray, links: Links, kept_of: np.ndarray, sim_of: np.ndarray,
                first_new: int = 0) -> None:
    """The kept-copy choice (step 4), in place: nodes are visited in ``order``
    (best first); an unassigned node with links becomes a kept copy and takes
    every unassigned node it is itself verified against. Nodes below
    ``first_new`` (index documents, already published) are never taken.

    A node's fate depends only on the nodes of its own connected component and
    their relative order, so the choice can be made component by component
    (which is how the Spark engine spreads it over executors).
    """
    for u in order[np.isin(order, links.nodes)].tolist():
        if kept_of[u] >= 0:
            continue
        kept_of[u], sim_of[u] = u, 1.0
        vs, sims = links.of(u)
        free = (kept_of[vs] < 0) & (vs >= first_new)
        kept_of[vs[free]], sim_of[vs[free]] = u, sims[free]


class Candidates:
    """Candidate pairs looked up by node (CSR): for each node, its partners of
    higher and of lower number, each list in one array with ``indptr`` saying
    where. Nodes are int32 while they fit: 8 bytes a pair, and building it
    never holds more than one sort order of the pairs."""

    def __init__(self, pairs: np.ndarray, n_nodes: int):
        dtype = np.int32 if n_nodes < 2**31 else np.int64
        self.pairs = len(pairs)
        lo, hi = pairs[:, 0].astype(dtype), pairs[:, 1].astype(dtype)
        self._up, self._up_at = self._csr(lo, hi, n_nodes)
        self._down, self._down_at = self._csr(hi, lo, n_nodes)
        self.nodes = np.flatnonzero((self._up_at[1:] > self._up_at[:-1]) | (self._down_at[1:] > self._down_at[:-1]))

    @staticmethod
    def _csr(src: np.ndarray, dst: np.ndarray, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
        indptr = np.zeros(n_nodes + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n_nodes), out=indptr[1:])
        return dst[np.argsort(src, kind="stable")], indptr

    def of(self, node: int) -> np.ndarray:
        up = self._up[self._up_at[node] : self._up_at[node + 1]]
        down = self._down[self._down_at[node] : self._down_at[node + 1]]
        return np.concatenate([down, up]) if len(down) else up


def greedy_verified(order: np.ndarray, candidates: Union[Candidates, BandNeighbours], verify: Callable[[int, np.ndarray], np.ndarray],
                    kept_of: np.ndarray, sim_of: np.ndarray, first_new: int = 0,
                    verify_many: Optional[Callable[[list[tuple[int, np.ndarray]]], Any]] = None,
                    ahead: int = 64, share_of: Optional[np.ndarray] = None) -> int:
    """:func:`greedy_kept` over candidate pairs, verifying only the pairs it asks
    about: ``verify(u, vs)`` gives the similarity of ``u`` to each of ``vs`` (NaN:
    not a copy). Every node visited is its own kept copy from then on (one with
    no verified link stays a singleton), so no later node takes it, exactly as
    greedy_kept leaves it. Returns the number of pairs it asked about.

    With ``verify_many`` (``verify`` of a list of (u, vs), which may spread them
    over processes), the next ``ahead`` nodes not yet taken are asked about at
    once, each against its candidates not yet taken. That is all the pairs the
    visits will ask about, and a few more: a node is never freed once taken, so
    when its turn comes a node has the same candidates left or fewer (some
    taken by the nodes before it), and a node taken meanwhile is not visited.
    The similarities of those extra pairs are dropped; each pair's figure
    depends on the pair alone, so the outcome is the one of the plain loop.
    ``verify_many`` may also return a function that gives the answers when
    called (helpers at work meanwhile): the next round is then made and sent
    before this one's answers are taken.

    With ``share_of``, ``verify`` gives two columns: the similarity, and the
    share of the candidate's shingles that ``u`` has; a node taken gets its
    share in ``share_of`` (the cluster report shows it, and need not read the
    two sets again to work it out).
    """
    visits = order[np.isin(order, candidates.nodes)].tolist()

    def free_candidates(u: int) -> np.ndarray:
        vs = candidates.of(u)
        return vs[(kept_of[vs] < 0) & (vs >= first_new)].astype(np.int64)

    def visit(u: int, vs: np.ndarray, found: np.ndarray) -> int:
        kept_of[u], sim_of[u] = u, 1.0
        if len(vs):
            sims = found if share_of is None else found[:, 0]
            ok = ~np.isnan(sims)
            kept_of[vs[ok]], sim_of[vs[ok]] = u, sims[ok]
            if share_of is not None:
                share_of[vs[ok]] = found[ok, 1]
        return len(vs)

    checked = 0
    if verify_many is None:
        for u in visits:
            if kept_of[u] < 0:
                vs = free_candidates(u)
                checked += visit(u, vs, verify(u, vs) if len(vs) else _NO_SIMS)
        return checked
    start = 0

    def next_round() -> list[tuple[int, np.ndarray]]:
        nonlocal start
        asked: list[tuple[int, np.ndarray]] = []
        while start < len(visits) and len(asked) < ahead:
            u = visits[start]
            start += 1
            if kept_of[u] < 0:
                asked.append((u, free_candidates(u)))
        return asked

    def take(asked: list[tuple[int, np.ndarray]], answers: list[np.ndarray]) -> int:
        found = iter(answers)
        done = 0
        for u, vs in asked:
            sims = next(found) if len(vs) else _NO_SIMS
            if kept_of[u] >= 0:  # taken by a node before it (in this round or the one before)
                continue
            still = kept_of[vs] < 0
            done += visit(u, vs[still], sims[still])
        return done

    # A round whose answers come later (a function to call for them) stays in
    # flight while the next one is made and sent: the helpers never wait for
    # this process to take a round's answers and make the next. That round was
    # made before the answers of the one before were taken, so it asks about
    # a few nodes and candidates those take: their answers are dropped as above.
    pending: Optional[tuple[list, Callable[[], list[np.ndarray]]]] = None
    while True:
        asked = next_round()
        answers = verify_many([(u, vs) for u, vs in asked if len(vs)]) if asked else []
        if pending is not None:
            checked += take(pending[0], pending[1]())
            pending = None
        if not asked:
            return checked
        if callable(answers):
            pending = (asked, answers)
        else:
            checked += take(asked, answers)


_NO_SIMS = np.zeros(0)


def _spread(helpers: Helpers, parts: int, asked: list[tuple[int, np.ndarray]]) -> Callable[[], list[np.ndarray]]:
    """Verify ``asked`` in ``parts`` runs of as many pairs each, one per helper
    (a node with thousands of candidates is split between them). Returns at
    once, with the function that waits for the answers."""
    if not asked:
        return list
    share = -(-sum(len(vs) for _, vs in asked) // parts)
    runs: list[list[tuple[int, np.ndarray]]] = [[]]
    room = share
    for u, vs in asked:
        while len(vs):
            if not room:
                runs.append([])
                room = share
            piece = vs[:room]
            runs[-1].append((u, piece))
            room -= len(piece)
            vs = vs[len(piece):]
    claim = helpers.submit(runs)

    def answers() -> list[np.ndarray]:
        found = iter([sims for run in claim() for sims in run])
        # a node's pieces come one after another: joined back in order
        out = []
        for _, vs in asked:
            got = [next(found)]
            while sum(map(len, got)) < len(vs):
                got.append(next(found))
            out.append(got[0] if len(got) == 1 else np.concatenate(got))
        return out

    return answers


_WORD = re.compile(r"[^\W_]+")
# ASCII that is no letter or digit (the underscore too: it is no word here), as a space
_ASCII_GAPS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum()})


@lru_cache(maxsize=1 << 15)
def _line_key(line: str) -> str:
    """A line as the shared-lines report compares it: NFKC, casefold, words only,
    so typographic variants of one line (quotes, dashes, spacing) match. Cached:
    a kept copy's lines are looked up once per member, and chrome recurs.

    The words are joined by single spaces, which is what :func:`~normalize.normalise.match_key`
    followed by a regex over every gap between words gives, made more cheaply:
    an ASCII line by a translation table and a split (no Unicode classes to
    look up), any other by one regex that finds the words."""
    if line.isascii():
        return " ".join(line.lower().translate(_ASCII_GAPS).split())
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", line).casefold()))


def member_entries(kept_text: Optional[str], members: list[tuple[str, str, float, float]]) -> list[dict]:
    """The report of each member of one cluster, sorted by id.

    members: (id, text, :func:`shingle_share`, similarity to the kept copy).
    Per member: the similarity, the share of its shingles the kept copy has,
    and up to five of its lines found in the kept copy (none when the kept
    copy's text is not known: an index document keeps only its shingles).
    """
    kept = _KeptLines(kept_text) if kept_text is not None else None
    out = []
    for member_id, text, share, sim in members:
        shared = _shared_lines(text, kept) if kept is not None else []
        out.append({"id": member_id, "similarity": round(float(sim), 4), "kept": False,
                    "shared_lines": shared, "shared_fraction": round(float(share), 4)})
    return sorted(out, key=lambda r: r["id"])


def shingle_share(mine: np.ndarray, kept_set: np.ndarray) -> float:
    """The share of a member's shingles (``mine``) that the kept copy has; 1.0 if it has none."""
    return _share(overlap(mine, kept_set), len(mine))


def _share(shared: int, size: int) -> float:
    """``shared`` of ``size`` shingles as a share (1.0 of none)."""
    return shared / size if size else 1.0


class _KeptLines:
    """The kept copy's lines, to ask whether it has a line "as the report compares
    it" (:func:`_line_key`).

    Keying a line costs microseconds (NFKC, casefold, its words found), and a
    member's first lines are mostly the kept copy's very lines:
    a line found as it is has the same key, so the keys of all the kept
    copy's lines are worked out only when a member has a line that is not
    there as it is (a typographic variant may still share its key)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = set(text.splitlines())
        self._keys: Optional[set[str]] = None

    def has(self, line: str, key: str) -> bool:
        """Whether a line of the kept copy has ``key`` (``line``'s, not empty)."""
        if line in self.lines:
            return True
        if self._keys is None:
            self._keys = {k for k in map(_line_key, self.text.splitlines()) if k}
        return key in self._keys


def _shared_lines(text: str, kept: _KeptLines) -> list[str]:
    """The first lines of ``text`` the kept copy also has, up to five: a copy
    shares most of its lines, so the search mostly stops after a few."""
    shared = []
    for line in text.splitlines():
        key = _line_key(line)
        if key and kept.has(line, key):
            shared.append(line.strip()[:_LINE_CAP])
            if len(shared) == _SHARED_LINES:
                break
    return shared


def cluster_entry(kept_id: str, others: list[dict], kept_from_index: bool, max_cluster_size: int
                  ) -> tuple[dict, Optional[dict]]:
    """One cluster's report (the kept copy leads the member list with similarity
    1.0, so the list is the whole cluster; the others follow by id), and its
    ``oversized`` note when it has more than ``max_cluster_size`` members."""
    cid = cluster_id_for(kept_id)
    size = 1 + len(others)
    kept_entry = {"id": kept_id, "similarity": 1.0, "kept": True, "shared_lines": [], "shared_fraction": 1.0}
    entry = {"id": cid, "size": size, "kept": kept_id, "kept_from_index": kept_from_index,
             "members": [kept_entry] + others}
    note = None
    if size > max_cluster_size:
        note = {"id": cid, "size": size, "kept": kept_id, "note": f"more than max_cluster_size={max_cluster_size} members"}
    return entry, note


class _SetCache:
    """Shingle sets by node, the oldest dropped first once they hold more than
    ``budget`` bytes (texts are re-read, not held). An OrderedDict drops its
    first item at once, where a dict steps over the slots of every item
    dropped before it."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.held = 0  # bytes
        self._sets: OrderedDict[int, np.ndarray] = OrderedDict()

    def __contains__(self, node: int) -> bool:
        return node in self._sets

    def __len__(self) -> int:
        return len(self._sets)

    def get(self, node: int) -> Optional[np.ndarray]:
        return self._sets.get(node)

    def get_all(self, nodes: list[int]) -> list[Optional[np.ndarray]]:
        return list(map(self._sets.get, nodes))

    def missing(self, nodes: Iterable[int]) -> set[int]:
        """The nodes not held (looked up in C, not by a call per node)."""
        return set(filterfalse(self._sets.__contains__, nodes))

    def put(self, node: int, got: np.ndarray) -> None:
        if node not in self._sets:
            self._sets[node] = got
            self.held += _set_bytes(got)

    def trim(self) -> None:
        while self.held > self.budget and len(self._sets) > 1:
            _, old = self._sets.popitem(last=False)
            self.held -= _set_bytes(old)


def _set_bytes(got: np.ndarray) -> int:
    """Memory a held set takes: its arrays, and the objects around them (two
    array headers and the set's attributes, about 700 bytes, measured with
    tracemalloc: as much as the shingles of a short text)."""
    lines = getattr(got, "lines", None)
    return _SET_OVERHEAD + got.nbytes + (lines.nbytes if lines is not None else 0)


_SET_OVERHEAD = 700


class _Batch:
    """One ``finish``: old documents (from the index) are nodes 0..M-1, new ones M.."""

    def __init__(self, clusterer: Clusterer, text_of: Callable[[int], str], shingles_of=None):
        self.c = clusterer
        self.s = clusterer.settings
        self.text_of = text_of
        # a store that can view its sets in place (see assign), else a function
        self.store: Any = shingles_of if hasattr(shingles_of, "hashes") else None
        self.shingles_of = shingles_of.__getitem__ if self.store is not None else shingles_of
        self.viewing = False  # candidates' sets viewed in the store, not read and held (see assign)
        self.segments = clusterer.index.segments if clusterer.index else []
        self.old_ids = [i for seg in self.segments for i in seg.ids]
        self.m = len(self.old_ids)
        self.n = len(clusterer.ids)
        self._sets = _SetCache(_CACHE_BYTES)
        self.verified = 0  # pairs verified (see greedy_verified)
        self.bound: Optional[OverlapBound] = None  # (see assign)

    # node helpers
    def node_id(self, node: int) -> str:
        return self.old_ids[node] if node < self.m else self.c.ids[node - self.m]

    def shingles(self, node: int) -> np.ndarray:
        got = self._sets.get(node)
        if got is None:
            got = self.old_set(node) if node < self.m else self.new_set(node - self.m)
            self._sets.put(node, got)
            self._sets.trim()
        return got

    def prefetch(self, nodes) -> None:
        """Read and shingle the missing new documents among ``nodes`` as one batch."""
        missing = sorted(v for v in self._sets.missing(map(int, nodes)) if v >= self.m)
        if self.shingles_of is not None:  # sets the workers made: read, not recomputed
            stored = [(v, self.shingles_of(v - self.m)) for v in missing]
            for v, got in stored:
                if got is not None:
                    self._sets.put(v, got)
            missing = [v for v, got in stored if got is None]
        for start in range(0, len(missing), 256):
            part = missing[start : start + 256]
            sets = shingle_sets([self.text_of(v - self.m) for v in part],
                                self.s.word_ngram, self.s.char_ngram, self.s.seed)
            for v, got in zip(part, sets):
                # a copy: the set is a slice of the batch's arrays, which it
                # would keep alive whole while it is held
                self._sets.put(v, ShingleSet(np.array(got), None if got.lines is None else got.lines.copy()))
        self._sets.trim()

    def old_set(self, node: int) -> np.ndarray:
        for seg in self.segments:
            if node < len(seg.ids):
                return seg.shingle_set(node)
            node -= len(seg.ids)
        raise IndexError(node)

    def new_set(self, pos: int) -> np.ndarray:
        got = self.shingles_of(pos) if self.shingles_of is not None else None
        if got is not None:
            return got
        return shingle_set(self.text_of(pos), self.s.word_ngram, self.s.char_ngram, self.s.seed)

    def priority(self) -> np.ndarray:
        """Nodes best first: index documents (kept ones first), then new ones by policy."""
        old_kept = np.concatenate([seg.kept for seg in self.segments]) if self.segments else np.zeros(0, bool)
        old_order = np.lexsort((np.arange(self.m), ~old_kept))
        pos = np.arange(self.n)
        length = np.frombuffer(self.c._length, dtype=np.int64) if self.n else np.zeros(0, np.int64)
        arte = np.frombuffer(self.c._artefacts, dtype=np.int64) if self.n else np.zeros(0, np.int64)
        if self.s.keep == "first":
            new_order = pos
        elif self.s.keep == "longest":
            new_order = np.lexsort((pos, -length))
        else:
            new_order = np.lexsort((pos, -length, arte))
        return np.concatenate([old_order, new_order + self.m])

    def run(self) -> ClusterResult:
        s = self.s
        order = self.priority()

        # 1. exact pass: the best-ranked member of each exact group represents it
        exact = np.concatenate([np.concatenate([seg.exact for seg in self.segments]).astype(np.uint64)
                                if self.segments else np.zeros(0, np.uint64),
                                np.array(self.c._exact, dtype=np.uint64)])
        has_text = np.concatenate([np.ones(self.m, bool), np.array(self.c._n_shingles, dtype=np.int64) > 0])
        rep = np.arange(self.m + self.n)
        by_rank = order[has_text[order]]
        _, first, group = np.unique(exact[by_rank], return_index=True, return_inverse=True)
        rep[by_rank] = by_rank[first][group]  # np.unique's first index is the best-ranked member
        reps = np.flatnonzero((rep == np.arange(len(rep))) & has_text)

        # 2. LSH candidates among representatives, and 3. verification and
        # 4. kept-copy clusters, together
        kept_of, sim_of, share_of = self.assign(order, rep, self.candidates(reps))
        result = self.report(kept_of, sim_of, share_of)
        if self.c.index is not None:
            self.save(kept_of)
        return result

    def candidates(self, reps: np.ndarray) -> Union[Candidates, BandNeighbours]:
        """The LSH candidates among ``reps``: every pair listed, or, when the bands
        would give too many (large groups of copies), looked up in the bands as
        each node is visited (:mod:`.neighbours`); the same candidates either way.
        Which one is judged from one band's buckets (copies share most bands)."""
        s = self.s
        if len(reps) and s.bands:
            sizes = np.unique(self.band_column(reps, 0), return_counts=True)[1]
            if band_pairs_bound(sizes, s.max_cluster_size) * s.bands > _LISTED_MAX_PAIRS:
                return BandNeighbours(lambda b: self.band_column(reps, b), range(s.bands), reps,
                                      s.max_cluster_size)
        pairs = pairs_of_keys(self.candidate_keys(reps), reps)
        return Candidates(pairs, self.m + self.n)

    def candidate_keys(self, reps: np.ndarray) -> np.ndarray:
        """The LSH candidate pairs among ``reps`` (:func:`.lsh.candidate_keys`).
        Many documents are paired by helpers, each taking every other band, and
        their pairs are merged: at 100k documents the bands take over two
        seconds in one process."""
        s = self.s

        def keys_of(bands) -> np.ndarray:
            return candidate_keys(lambda b: self.band_column(reps, b), bands, len(reps),
                                  max_bucket=s.max_cluster_size, skip=reps < self.m)

        helpers = self.c.helpers if len(reps) >= _HELPED_MIN_NODES else 1
        if helpers == 1:
            return keys_of(range(s.bands))
        with Helpers(keys_of, helpers) as spread:
            return merge_keys(spread.map([range(k, s.bands, helpers) for k in range(helpers)]))

    def band_column(self, nodes: np.ndarray, band: int) -> np.ndarray:
        """Hashes of one band for ``nodes`` (sorted): stored ones for index documents,
        computed block by block for new ones (never a copy of all signatures)."""
        s = self.s
        out = np.empty(len(nodes), dtype=np.uint64)
        old = nodes[nodes < self.m]
        offset = 0
        for seg in self.segments:
            sel = old[(old >= offset) & (old < offset + len(seg.ids))]
            out[np.searchsorted(nodes, sel)] = np.asarray(seg.bands[sel - offset, band])
            offset += len(seg.ids)
        for i, block in enumerate(self.c._sigs.blocks):
            lo = self.m + i * _BLOCK
            sel = nodes[(nodes >= lo) & (nodes < lo + _BLOCK)]
            if len(sel):
                cols = block[sel - lo, band * s.rows : (band + 1) * s.rows]
                out[np.searchsorted(nodes, sel)] = hash_band(cols, band)
        return out

    def verify(self, u: int, vs: np.ndarray) -> np.ndarray:
        """Per node of ``vs``: its similarity to node ``u``, and the share of its
        shingles ``u`` has (:func:`shingle_share`); both NaN if it is no copy.
        With a bound (see :meth:`assign`), the sets of the nodes it rules out are not read."""
        if self.bound is not None and len(vs):
            may = self.bound.may_reach(u, vs, self.s)
            if not may.all():
                found = np.full((len(vs), 2), np.nan)
                if may.any():
                    found[may] = self.verify_read(u, vs[may])
                return found
        return self.verify_read(u, vs)

    def verify_read(self, u: int, vs: np.ndarray) -> np.ndarray:
        """:meth:`verify`, every set read (or viewed)."""
        nodes = vs.tolist()
        viewed = None
        if self.viewing and nodes and min(nodes) >= self.m:  # (candidates are new documents)
            viewed = self.store.hashes([v - self.m for v in nodes])
        if viewed is None:
            self.prefetch([u, *nodes])
        mine = self.shingles(u)
        theirs = viewed
        if theirs is None:
            theirs = self._sets.get_all(nodes)  # (a million look-ups at 100k documents: in C)
            if not all(map(is_not, theirs, repeat(None))):  # (not all held: a budget smaller than one node's candidates)
                theirs = [self.shingles(v) for v in nodes]
        found = np.full((len(theirs), 2), np.nan)
        # most candidates are no copies: their counts are not worked out to the end (-1)
        inters = overlaps_reaching(mine, theirs, self.s)
        reaching = np.flatnonzero(inters >= 0).tolist()
        laid_out = {}  # (viewed: the hashes alone; a partial copy's lines are compared too)
        if viewed is not None:
            partial = [k for k in reaching if needs_layout(len(mine), len(theirs[k]), int(inters[k]), self.s)]
            if partial:  # (viewable, as their hashes were)
                laid_out = dict(zip(partial, self.store.laid_out([nodes[k] - self.m for k in partial])))
        for k in reaching:
            other, inter = laid_out.get(k, theirs[k]), int(inters[k])
            sim = similarity_given(mine, other, inter, self.s)
            if sim is not None:
                found[k] = sim, _share(inter, len(other))
        return found

    def verify_part(self, asked: list[tuple[int, np.ndarray]]) -> list[np.ndarray]:
        return [self.verify(u, vs) for u, vs in asked]

    def assign(self, order, rep, candidates: Union[Candidates, BandNeighbours]):
        """kept_of[node] = kept node (itself if kept); sim_of[node] = similarity to it;
        share_of[node] = the share of its shingles the kept copy has (NaN if none was found)."""
        total = self.m + self.n
        kept_of = np.full(total, -1, dtype=np.int64)
        sim_of = np.full(total, np.nan)
        share_of = np.full(total, np.nan)  # of a node taken: the share of its shingles its kept copy has
        # candidates join representatives only
        helpers = self.c.helpers if candidates.pairs >= _HELPED_MIN_PAIRS else 1
        # each helper's own cache is larger (this process's stays empty meanwhile)
        self._sets.budget = _HELPER_CACHE_BYTES if helpers > 1 else _CACHE_BYTES
        # Candidates looked up in the bands mean groups of hundreds of copies, and
        # there a set is asked about again each time one of the many kept copies
        # among its candidates is visited, throughout the walk: no cache of a
        # sensible size holds them between two visits (a million generated
        # documents: each helper read each of its 382,000 sets 64 times). Their
        # hashes are then viewed where the store keeps them
        # (normalize.engine.shelf.words): that clustering took 209.6 s instead
        # of 417.7 s, with the same clusters. Not with fewer copies: the cache
        # serves them as well, and a helper that maps the files counts the pages
        # it touches in its resident size.
        self.viewing = self.store is not None and isinstance(candidates, BandNeighbours)
        # Most candidates are no copies, and a bound on each pair's overlap from
        # counts made beforehand (.bound) rules most of them out without their
        # sets: at a million generated documents, 72.9% of the candidate pairs of
        # texts drawn at random. The counts are read once, here, before the
        # helpers are forked (they share them): half a kilobyte a text. Where
        # there are few pairs to verify, reading every set first costs more.
        if self.store is not None and candidates.pairs >= _HELPED_MIN_PAIRS:
            nodes = candidates.nodes[candidates.nodes >= self.m]
            self.bound = OverlapBound(nodes, lambda v: self.store.read_hashes(v - self.m))
        with Helpers(self.verify_part, helpers) as spread:
            self.verified = greedy_verified(order, candidates, self.verify, kept_of, sim_of, first_new=self.m,
                                            verify_many=None if helpers == 1 else partial(_spread, spread, helpers),
                                            share_of=share_of)
        self._sets.budget = _CACHE_BYTES
        self._sets.trim()  # (had a helper failed, its work was done here)
        self.bound = None
        loners = np.flatnonzero((kept_of < 0) & (rep == np.arange(total)))
        kept_of[loners], sim_of[loners] = loners, 1.0
        # exact copies follow their representative: into its cluster, at its similarity
        # (1.0 if the representative is the kept copy itself)
        # (and an exact copy's shingles are its representative's: the same share)
        copies = np.flatnonzero(rep != np.arange(total))
        r = rep[copies]
        kept_of[copies] = kept_of[r]
        sim_of[copies] = np.where(kept_of[r] == r, 1.0, sim_of[r])
        share_of[copies] = np.where(kept_of[r] == r, 1.0, share_of[r])
        return kept_of, sim_of, share_of

    def report(self, kept_of, sim_of, share_of) -> ClusterResult:
        members: dict[int, list[int]] = {}
        for pos in range(self.n):
            node = pos + self.m
            k = int(kept_of[node])
            if k != node:
                members.setdefault(k, []).append(node)
        assignments: dict[int, Assignment] = {}
        for k, mem in members.items():
            kid = self.node_id(k)
            cid = cluster_id_for(kid)
            size = 1 + len(mem)
            if k >= self.m:
                assignments[k - self.m] = Assignment(cid, size, None, 1.0)
            for v in mem:
                assignments[v - self.m] = Assignment(cid, size, kid, round(float(sim_of[v]), 4))

        def reports(part: list[tuple[int, list[int]]]) -> tuple[list[dict], list[dict]]:
            clusters, oversized = [], []
            for k, mem in part:
                entry, note = cluster_entry(self.node_id(k), self.member_reports(k, mem, sim_of, share_of),
                                            k < self.m, self.s.max_cluster_size)
                clusters.append(entry)
                if note:
                    oversized.append(note)
            return clusters, oversized

        def by_id(found: Iterable[dict]) -> list[dict]:
            return sorted(found, key=itemgetter("id"))

        def spooled(half: list[tuple[int, list[int]]], file) -> tuple[int, list[dict]]:
            # made in id order, a chunk at a time, each written as it is made
            half = sorted(half, key=lambda item: cluster_id_for(self.node_id(item[0])))
            oversized: list[dict] = []

            def chunks() -> Iterable[list[dict]]:
                for start in range(0, len(half), CHUNK):
                    clusters, notes = reports(half[start:start + CHUNK])
                    oversized.extend(notes)
                    yield clusters

            return spool(chunks(), file), oversized

        def merged(parts: list[tuple[int, list[dict]]], files) -> tuple[SpooledClusters, list[dict]]:
            return SpooledClusters(files, [n for n, _ in parts]), by_id(note for _, notes in parts for note in notes)

        items = list(members.items())
        if self.c.reports_aside and sum(map(len, members.values())) >= _ASIDE_MIN_MEMBERS:
            # in two forked processes, half the members each: on two cores the
            # main process goes on meanwhile (names, writing), and with one
            # process making them all it would wait for the reports at the end;
            # they wait on disk to be written (see .spooled), not in this process
            files = [spool_file(), spool_file()]
            waits = [run_aside(lambda half=half, file=file: spooled(half, file))
                     for half, file in zip(_halves(items), files)]
            return ClusterResult(assignments, later=lambda: merged([wait() for wait in waits], files))
        clusters, oversized = reports(items)
        return ClusterResult(assignments, by_id(clusters), by_id(oversized))

    def member_reports(self, kept: int, members: list[int], sim_of, share_of) -> list[dict]:
        """See :func:`member_entries`; an index document's text is not kept, only its
        shingles. The shares are those the verification found (the shingle sets are
        read again only for a member it has none for)."""
        unknown = [v for v in members if np.isnan(share_of[v])]
        if unknown:
            self.prefetch(unknown + [kept])
            for v in unknown:
                share_of[v] = shingle_share(self.shingles(v), self.shingles(kept))
        kept_text = self.text_of(kept - self.m) if kept >= self.m else None
        rows = [(self.node_id(v), self.text_of(v - self.m), share_of[v], sim_of[v]) for v in members]
        return member_entries(kept_text, rows)

    def save(self, kept_of) -> None:
        """Append this batch to the index: signatures and bands block by block,
        shingle sets re-read and written 256 documents at a time."""
        s = self.s
        blocks = [blk[: max(0, min(_BLOCK, self.n - b * _BLOCK))] for b, blk in enumerate(self.c._sigs.blocks)]

        def shingle_chunks():
            for start in range(0, self.n, 256):
                positions = range(start, min(self.n, start + 256))
                if self.shingles_of is not None:
                    stored = [self.shingles_of(p) for p in positions]
                    if all(got is not None for got in stored):
                        yield stored
                        continue
                yield shingle_sets([self.text_of(p) for p in positions], s.word_ngram, s.char_ngram, s.seed)

        kept = [bool(kept_of[v] == v) for v in range(self.m, self.m + self.n)]
        self.c.index.append(self.c.ids, np.array(self.c._exact, dtype=np.uint64), blocks,
                            lambda sig: all_band_hashes(sig, s.bands, s.rows), shingle_chunks(), kept)
