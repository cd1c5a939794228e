"""Near-duplicate clustering as Spark jobs, with the local clusterer's results.

:class:`SparkClusterer` has the interface of :class:`normalize.dedup.Clusterer`
(``add`` a fingerprint per document, then ``finish``) and gives the same
:class:`~normalize.dedup.ClusterResult`, but every corpus-sized step runs on the
executors:

1. Staging. ``add`` appends fingerprints (id, exact hash, MinHash signature,
   length, artefact count) to Parquet files, ``finish`` the cleaned texts; the
   executors read both as DataFrames. Nothing corpus-sized stays on the driver.
2. Exact pass: a group-by on the exact hash picks each group's best member by
   the keep policy (the same priority as the local clusterer).
3. LSH: band hashes per document (:func:`normalize.dedup.lsh.hash_band`),
   exploded to (band, hash, document) rows and grouped by (band, hash); each
   bucket gives the pairs the local clusterer gives (a member meets at most
   ``max_cluster_size`` neighbours in a huge bucket).
4. Verification on the executors: shingle sets of the candidate documents
   (:func:`normalize.dedup.shingles.shingle_sets`), joined to both ends of each
   pair, and :func:`normalize.dedup.verify.similarity`.
5. Connected components of the verified pairs (:mod:`.spark_graph`).
6. Per component, the local greedy kept-copy choice
   (:func:`normalize.dedup.cluster.greedy_kept`) over the component's nodes in
   priority order. A node's fate depends only on its own component and the
   order restricted to it, so this equals the choice made over the whole graph.
7. Exact copies follow their representative; per cluster, the report
   (:func:`~normalize.dedup.cluster.member_entries`,
   :func:`~normalize.dedup.cluster.cluster_entry`) is built where its texts are.

Only the results come back to the driver: one assignment per clustered
document and one report per cluster, which the writer needs anyway.

Staging lives in a temporary folder for a local master. On a cluster every
executor must read it, so set ``NORMALIZE_SPARK_STAGING`` to a folder on shared
storage (an NFS path, or a URI such as ``s3://bucket/tmp`` or
``hdfs://namenode/tmp`` that both pyarrow and Spark can open).
"""
from __future__ import annotations

import os
import shutil
import uuid
import weakref
from typing import Any, Callable, Iterable, Iterator, Optional

import numpy as np

from ..dedup.cluster import (Assignment, ClusterResult, Links, cluster_entry, greedy_kept, member_entries,
                             shingle_share)
from ..dedup.fingerprint import Fingerprint
from ..dedup.lsh import hash_band
from ..dedup.settings import DedupSettings
from ..dedup.shingles import shingle_sets
from ..dedup.verify import similarity
from ..errors import RunError
from .scratch import make_folder

STAGING_ENV = "NORMALIZE_SPARK_STAGING"
PART_ROWS = 65536  # rows per staged Parquet file, at most
PART_BYTES = 32 << 20  # and about this many bytes of text and signatures buffered on the driver
DOCS_PER_PARTITION = 20000  # documents per partition of the clustering jobs
_SHINGLE_BATCH = 256

# -- staging ---------------------------------------------------------------------------


class Staging:
    """A folder of Parquet files both the driver (writing, with pyarrow) and the
    executors (reading, with Spark) can reach."""

    def __init__(self, master: str):
        root = os.environ.get(STAGING_ENV)
        if not root and not master.startswith("local"):
            raise RunError(f"--engine spark on a cluster needs {STAGING_ENV}: a folder on storage every executor can read")
        self._temp = None
        if not root:
            root = self._temp = make_folder("normalize-staging-")
        from pyarrow import fs

        if "://" in root:
            self.fs, base = fs.FileSystem.from_uri(root)
            self.uri = root.rstrip("/") + "/" + uuid.uuid4().hex
            self.path = base.rstrip("/") + "/" + self.uri.rsplit("/", 1)[1]
        else:
            self.fs = fs.LocalFileSystem()
            self.path = os.path.join(os.path.abspath(root), uuid.uuid4().hex)
            self.uri = "file://" + self.path
        self.fs.create_dir(self.path, recursive=True)

    def writer(self, name: str, schema) -> "PartWriter":
        return PartWriter(self, name, schema)

    def remove(self) -> None:
        try:
            self.fs.delete_dir(self.path)
        except (OSError, FileNotFoundError):
            pass
        if self._temp:
            shutil.rmtree(self._temp, ignore_errors=True)


class PartWriter:
    """Rows in, Parquet files of at most ``PART_ROWS`` rows or ``PART_BYTES`` of
    text out (column buffers, not row objects)."""

    def __init__(self, staging: Staging, name: str, schema):
        self.staging, self.name, self.schema = staging, name, schema
        self.columns: dict[str, list] = {f.name: [] for f in schema}
        self.parts = 0
        self.rows = 0
        self.buffered = 0
        staging.fs.create_dir(f"{staging.path}/{name}", recursive=True)

    def append(self, *values: Any) -> None:
        for column, value in zip(self.columns.values(), values):
            column.append(value)
            if isinstance(value, (str, bytes)):
                self.buffered += len(value)
        self.rows += 1
        if len(next(iter(self.columns.values()))) >= PART_ROWS or self.buffered >= PART_BYTES:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not next(iter(self.columns.values())):
            return
        table = pa.table({k: pa.array(v, type=self.schema.field(k).type) for k, v in self.columns.items()})
        with self.staging.fs.open_output_stream(f"{self.staging.path}/{self.name}/part-{self.parts:05d}.parquet") as out:
            pq.write_table(table, out)
        self.parts += 1
        self.buffered = 0
        for column in self.columns.values():
            column.clear()

    def close(self) -> str:
        self.flush()
        return f"{self.staging.uri}/{self.name}"


# -- functions run on the executors ----------------------------------------------------


def _band_rows(num_perm: int, bands: int, rows: int):
    """(band, hash, pos) for every band of every signature in a partition."""

    def run(items: Iterable) -> Iterator[tuple[int, int, int]]:
        items = iter(items)
        while True:
            chunk = [r for _, r in zip(range(4096), items)]
            if not chunk:
                return
            pos = [r.pos for r in chunk]
            sigs = np.frombuffer(b"".join(r.sig for r in chunk), dtype="<u4").reshape(len(chunk), num_perm)
            for b in range(bands):
                hashes = hash_band(sigs[:, b * rows : (b + 1) * rows], b).view(np.int64).tolist()
                yield from zip([b] * len(pos), hashes, pos)

    return run


def bucket_pairs(nodes: list[int], max_bucket: int) -> Iterator[tuple[int, int]]:
    """The pairs of one LSH bucket (``nodes`` ascending): each node with the next
    ``max_bucket - 1`` nodes, as :func:`normalize.dedup.lsh.candidate_pairs` does."""
    n = len(nodes)
    for i in range(n - 1):
        for j in range(i + 1, min(n, i + max_bucket)):
            yield nodes[i], nodes[j]


def _with_sets(settings: DedupSettings):
    """(pos, text) rows -> (pos, shingle set), a batch at a time."""

    def run(items: Iterable) -> Iterator[tuple[int, Any]]:
        items = iter(items)
        while chunk := [r for _, r in zip(range(_SHINGLE_BATCH), items)]:
            sets = shingle_sets([r.text for r in chunk], settings.word_ngram, settings.char_ngram, settings.seed)
            yield from zip([r.pos for r in chunk], sets)

    return run


def _verified(settings: DedupSettings):
    def run(item) -> Iterator[tuple[int, int, float]]:
        _hi, ((lo, set_lo), set_hi) = item
        sim = similarity(set_lo, set_hi, settings)
        if sim is not None:
            yield lo, _hi, sim

    return run


def greedy_component(item) -> Iterator[tuple[int, int, float]]:
    """(pos, kept pos, similarity) for the nodes of one component.

    Nodes are numbered 0.. in priority order, so the local greedy pass over
    ``order = 0, 1, ...`` is the local clusterer's pass restricted to them."""
    _, (nodes, edges) = item
    nodes = sorted(nodes, key=lambda n: tuple(n[1]))
    local = {pos: i for i, (pos, _) in enumerate(nodes)}
    edges = list(edges)
    links = Links(np.array([local[a] for a, _, _ in edges], dtype=np.int64),
                  np.array([local[b] for _, b, _ in edges], dtype=np.int64),
                  np.array([s for _, _, s in edges], dtype=np.float64))
    kept_of = np.full(len(nodes), -1, dtype=np.int64)
    sim_of = np.full(len(nodes), np.nan)
    greedy_kept(np.arange(len(nodes)), links, kept_of, sim_of)
    for i, (pos, _) in enumerate(nodes):
        yield pos, nodes[int(kept_of[i])][0], float(sim_of[i])


def _cluster_report(settings: DedupSettings):
    """One cluster's rows (kept copy and members, with texts) -> its report and assignments."""

    def run(item):
        _, rows = item
        rows = list(rows)
        kept = next(r for r in rows if r.is_kept)
        members = sorted((r for r in rows if not r.is_kept), key=lambda r: r.pos)
        sets = shingle_sets([kept.text] + [r.text for r in members], settings.word_ngram, settings.char_ngram, settings.seed)
        entries = member_entries(kept.text, [(r.id, r.text, shingle_share(s, sets[0]), r.sim)
                                             for r, s in zip(members, sets[1:])])
        entry, note = cluster_entry(kept.id, entries, False, settings.max_cluster_size)
        size = entry["size"]
        assigned = [(kept.pos, (entry["id"], size, None, 1.0))]
        assigned += [(r.pos, (entry["id"], size, kept.id, round(float(r.sim), 4))) for r in members]
        return entry, note, assigned

    return run


# -- the clusterer ---------------------------------------------------------------------


def _priority(keep: str):
    """The keep policy as a sort key (best first), ties by position: the local order."""
    from pyspark.sql import functions as F

    if keep == "first":
        parts = [F.col("pos")]
    elif keep == "longest":
        parts = [-F.col("length"), F.col("pos")]
    else:  # fewest-artefacts
        parts = [F.col("arte"), -F.col("length"), F.col("pos")]
    return F.array(*[p.cast("long") for p in parts])


class SparkClusterer:
    """``add`` fingerprints, then ``finish`` on a Spark session; see the module text."""

    def __init__(self, engine: Any, settings: Optional[DedupSettings] = None):
        import pyarrow as pa

        self.engine = engine
        self.settings = settings or DedupSettings()
        self.staging = Staging(engine.actual_master)
        # a run that fails before ``finish`` must not leave its staging behind either
        weakref.finalize(self, self.staging.remove)
        self._fp = self.staging.writer("fingerprints", pa.schema([
            ("pos", pa.int64()), ("id", pa.string()), ("exact", pa.int64()), ("n_shingles", pa.int64()),
            ("length", pa.int64()), ("arte", pa.int64()), ("sig", pa.binary()),
        ]))
        self._text_schema = pa.schema([("pos", pa.int64()), ("text", pa.string())])
        self.n = 0

    def add(self, doc_id: str, fp: Fingerprint, *, length: int, n_artefacts: int = 0) -> int:
        if len(fp.signature) != self.settings.num_perm:
            raise ValueError(f"signature has {len(fp.signature)} values, settings say num_perm={self.settings.num_perm}")
        exact = int(np.uint64(fp.exact).view(np.int64))  # Spark's longs are signed
        sig = np.asarray(fp.signature, dtype="<u4").tobytes()
        self._fp.append(self.n, doc_id, exact, int(fp.n_shingles), int(length), int(n_artefacts), sig)
        self.n += 1
        return self.n - 1

    def __len__(self) -> int:
        return self.n

    def finish(self, text_of: Callable[[int], str], shingles_of=None) -> ClusterResult:
        # shingles_of is not used: executors shingle the staged texts where they are
        try:
            if self.n == 0:
                return ClusterResult({})
            fp_uri = self._fp.close()
            texts = self.staging.writer("texts", self._text_schema)
            for pos in range(self.n):
                texts.append(pos, text_of(pos))
            return _Job(self.engine, self.settings, fp_uri, texts.close(), self.n).run()
        except RunError:
            raise
        except Exception as exc:
            if type(exc).__module__.startswith(("py4j", "pyspark")):
                raise RunError(f"a Spark clustering job failed: {str(exc).strip().splitlines()[0]}") from exc
            raise
        finally:
            self.staging.remove()


class _Job:
    """One ``finish`` on Spark (steps 2-7 of the module text)."""

    def __init__(self, engine: Any, settings: DedupSettings, fp_uri: str, texts_uri: str, n: int):
        self.spark = engine.spark
        self.sc = self.spark.sparkContext
        self.s = settings
        self.partitions = max(engine.parallelism, -(-n // DOCS_PER_PARTITION))
        self.fp = self.spark.read.parquet(fp_uri).withColumn("key", _priority(settings.keep))
        self.texts = self.spark.read.parquet(texts_uri)
        self._cached: list = []

    def cache(self, frame):
        frame = frame.persist()
        self._cached.append(frame)
        return frame

    def run(self) -> ClusterResult:
        from pyspark.sql import functions as F

        # shuffles sized to the corpus, not Spark's default of 200 partitions (each a
        # Python task); the session's own setting is restored afterwards
        conf = self.spark.conf
        before = conf.get("spark.sql.shuffle.partitions")
        conf.set("spark.sql.shuffle.partitions", str(self.partitions))
        try:
            rep = self.cache(self.exact_pass())
            reps = rep.where(F.col("pos") == F.col("rep")).select("pos")
            pairs = self.cache(self.candidates(reps))
            edges = self.verify(pairs)
            linked = self.cache(self.assign(edges))
            members = self.cache(self.follow_copies(rep, linked).where(F.col("kept") != F.col("pos")))
            return self.reports(members)
        finally:
            conf.set("spark.sql.shuffle.partitions", before)
            for frame in self._cached:
                frame.unpersist()

    def exact_pass(self):
        """(pos, rep) for every document with text: rep is the best member of its exact group."""
        from pyspark.sql import functions as F

        with_text = self.fp.where(F.col("n_shingles") > 0)
        best = with_text.groupBy("exact").agg(F.min(F.struct("key", "pos")).getField("pos").alias("rep"))
        return with_text.select("pos", "exact").join(best, "exact").select("pos", "rep")

    def candidates(self, reps):
        """Distinct (lo, hi) pairs of representatives sharing an LSH bucket."""
        from pyspark.sql import functions as F

        s = self.s
        sigs = self.fp.join(reps, "pos").select("pos", "sig")
        bands = self.spark.createDataFrame(sigs.rdd.mapPartitions(_band_rows(s.num_perm, s.bands, s.rows)),
                                           "band int, hash long, pos long")
        buckets = (bands.groupBy("band", "hash").agg(F.array_sort(F.collect_list("pos")).alias("nodes"))
                   .where(F.size("nodes") >= 2))
        max_bucket = s.max_cluster_size
        pairs = buckets.select("nodes").rdd.flatMap(lambda r: bucket_pairs(r.nodes, max_bucket))
        return self.spark.createDataFrame(pairs, "lo long, hi long").distinct()

    def verify(self, pairs):
        """Verified pairs (lo, hi, similarity) as a DataFrame."""
        from pyspark.sql import functions as F

        ends = pairs.select(F.col("lo").alias("pos")).union(pairs.select(F.col("hi").alias("pos"))).distinct()
        sets = self.cache(self.texts.join(ends, "pos").rdd.mapPartitions(_with_sets(self.s)))  # used twice
        by_lo = pairs.rdd.map(lambda p: (p.lo, p.hi)).join(sets, self.partitions)
        by_hi = by_lo.map(lambda kv: (kv[1][0], (kv[0], kv[1][1]))).join(sets, self.partitions)
        edges = by_hi.flatMap(_verified(self.s))
        return self.cache(self.spark.createDataFrame(edges, "lo long, hi long, sim double"))

    def assign(self, edges):
        """(pos, kept, sim) for every document with a verified link."""
        from pyspark.sql import functions as F

        from .spark_graph import connected_components

        comps = self.cache(connected_components(edges.select(F.col("lo").alias("a"), F.col("hi").alias("b"))))
        nodes = comps.join(self.fp.select(F.col("pos").alias("node"), "key"), "node")
        node_rdd = nodes.rdd.map(lambda r: (r.comp, (r.node, r.key)))
        edge_rdd = (edges.join(comps.select(F.col("node").alias("lo"), "comp"), "lo")
                    .rdd.map(lambda r: (r.comp, (r.lo, r.hi, r.sim))))
        kept = node_rdd.cogroup(edge_rdd, self.partitions).flatMap(greedy_component)
        return self.spark.createDataFrame(kept, "pos long, kept long, sim double")

    def follow_copies(self, rep, linked):
        """Every document with text: exact copies join their representative's
        cluster at its similarity (1.0 if the representative is kept)."""
        from pyspark.sql import functions as F

        copies = rep.where(F.col("pos") != F.col("rep"))
        theirs = linked.select(F.col("pos").alias("rep"), F.col("kept").alias("rkept"), F.col("sim").alias("rsim"))
        kept = F.coalesce(F.col("rkept"), F.col("rep"))
        followed = copies.join(theirs, "rep", "left").select(
            "pos", kept.alias("kept"), F.when(kept == F.col("rep"), F.lit(1.0)).otherwise(F.col("rsim")).alias("sim"))
        return linked.union(followed)

    def reports(self, members) -> ClusterResult:
        """Cluster reports built on the executors; assignments and reports collected."""
        from pyspark.sql import functions as F

        heads = members.select(F.col("kept").alias("pos"), "kept").distinct().select(
            "pos", "kept", F.lit(1.0).alias("sim"), F.lit(True).alias("is_kept"))
        rows = (members.select("pos", "kept", "sim", F.lit(False).alias("is_kept")).union(heads)
                .join(self.texts, "pos").join(self.fp.select("pos", "id"), "pos"))
        built = rows.rdd.map(lambda r: (r.kept, r)).groupByKey(self.partitions).map(_cluster_report(self.s))
        assignments: dict[int, Assignment] = {}
        clusters, oversized = [], []
        for entry, note, assigned in built.toLocalIterator():
            clusters.append(entry)
            if note:
                oversized.append(note)
            for pos, values in assigned:
                assignments[pos] = Assignment(*values)
        clusters.sort(key=lambda c: c["id"])
        oversized.sort(key=lambda c: c["id"])
        return ClusterResult(assignments, clusters, oversized)
