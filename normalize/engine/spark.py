"""The Spark engine: the same per-document stages, run by Spark executors.

A run on Spark is the same pipeline as a local run (:mod:`normalize.pipeline`)
with two pieces swapped out:

* ``map(stages, docs)`` sends the documents to the executors in chunks, runs
  :func:`~normalize.engine.local.apply_stages_to_batch` over each partition
  (``mapPartitions``), and hands the results back in input order. The stages
  travel once per pass as a broadcast variable, so a corpus-level stage with a
  large table (lines that recur across stories) is shipped to each executor
  once, not with every task.
* ``clusterer(settings)`` returns a :class:`~.spark_cluster.SparkClusterer`:
  exact groups, LSH buckets, verification, connected components and the
  kept-copy choice all run as Spark jobs (see :mod:`.spark_cluster`).

Everything that decides *what* is written is the shared stage code, so the
outputs equal the local engine's byte for byte; only the schedule differs.

The driver keeps a window of two chunks in flight: while Spark works on one,
the reader prepares the next, and memory on the driver stays bounded by the
chunk size rather than the corpus.
"""
from __future__ import annotations

import atexit
import os
import shutil
import sys
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from itertools import islice
from typing import Any, Iterable, Iterator, Optional, Sequence

from ..errors import RunError
from .local import BATCH, Item, Stage, apply_stages_to_batch
from .packed import Take, pack_all, unpack
from .scratch import make_folder

DOCS_PER_TASK = 256  # documents a task works on: big enough that scheduling is a small cost


_loaded: dict[str, Any] = {}  # per executor process: stage lists by pass token


def _stages(shipped) -> Sequence[Stage]:
    """The broadcast stage list, unpickled once per executor process (not per task),
    so tables a stage loads on first use are loaded once per process and pass."""
    token, payload = shipped.value
    stages = _loaded.get(token)
    if stages is None:
        from pyspark.serializers import CloudPickleSerializer

        _loaded.clear()  # an earlier pass's stages are done with
        stages = _loaded[token] = CloudPickleSerializer().loads(payload)
    return stages


def _run_partition(shipped):
    """The task body: the partition's documents through the stages, batch by batch."""

    def run(docs: Iterable) -> Iterator[Item]:
        stages = _stages(shipped)
        docs = iter(docs)
        while batch := list(islice(docs, BATCH)):
            yield from apply_stages_to_batch(stages, batch)

    return run


def _conf_dir() -> str:
    """A Spark conf folder holding only a quiet log4j2.properties (warnings and errors)."""
    return str(resources.files("normalize.engine").joinpath("data"))


class SparkEngine:
    """Runs stage lists with Spark; ``master`` is a Spark master URL (``local[*]``,
    ``spark://host:7077``, ``yarn``, ``k8s://...``); under ``spark-submit`` the
    master given to spark-submit is used instead.

    An already running SparkSession (``spark-submit``, a notebook, a test
    fixture) is used as it is; otherwise one is started on first use and
    stopped by :meth:`close` (or at exit), and its scratch space lives in a
    temporary folder that is removed with it.
    """

    def __init__(self, master: str = "local[*]", workers: int = 1):
        self.master = master or "local[*]"
        self.workers = max(1, int(workers or 1))
        self._spark: Any = None
        self._owned = False
        self._scratch: Optional[str] = None

    # -- session --------------------------------------------------------------

    @property
    def spark(self):
        if self._spark is None:
            self._spark = self._session()
        return self._spark

    def _session(self):
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:  # the optional extra is missing
            raise RunError("--engine spark needs pyspark: pip install 'newsnorm[spark]'") from exc
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        if "PYSPARK_GATEWAY_PORT" in os.environ:
            # under spark-submit: its --master and --conf settings are the cluster's; keep them
            spark = SparkSession.builder.appName("normalize").getOrCreate()
            spark.sparkContext.setLogLevel("ERROR")
            self._owned = True
            atexit.register(self.close)
            return spark
        if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
            raise RunError("--engine spark needs Java (17 or later) on PATH or in JAVA_HOME")
        # executors on this machine must run the same Python as the driver
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        self._scratch = make_folder("normalize-spark-")
        # Spark's INFO chatter would drown the run's own messages; a folder of the
        # user's own (SPARK_CONF_DIR) wins over ours
        os.environ.setdefault("SPARK_CONF_DIR", _conf_dir())
        builder = (
            SparkSession.builder.master(self.master)
            .appName("normalize")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.warehouse.dir", os.path.join(self._scratch, "warehouse"))
            .config("spark.sql.adaptive.enabled", "true")
        )
        cores = _local_cores(self.master)
        if cores:  # on one machine, Spark's default of 200 shuffle partitions is 200 small Python tasks
            builder = builder.config("spark.sql.shuffle.partitions", str(2 * cores))
        # scratch space (shuffle files, broadcast copies) in our temporary folder; given
        # to the JVM as SPARK_LOCAL_DIRS for its launch only (spark.local.dir would
        # make Spark warn that a cluster manager may override it)
        before = os.environ.get("SPARK_LOCAL_DIRS")
        os.environ["SPARK_LOCAL_DIRS"] = before or self._scratch
        try:
            spark = builder.getOrCreate()
        except Exception as exc:
            self._remove_scratch()
            raise RunError(f"could not start Spark at {self.master}: {exc}") from exc
        finally:
            if before is None:
                del os.environ["SPARK_LOCAL_DIRS"]
        spark.sparkContext.setLogLevel("ERROR")
        self._owned = True
        atexit.register(self.close)
        return spark

    def close(self) -> None:
        """Stop the session if this engine started it, and remove its scratch folder."""
        if self._owned and self._spark is not None:
            self._spark.stop()
        self._spark, self._owned = None, False
        self._remove_scratch()

    def _remove_scratch(self) -> None:
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    @property
    def actual_master(self) -> str:
        """The master the session runs on (spark-submit's, when run under it)."""
        return self.spark.sparkContext.master

    @property
    def parallelism(self) -> int:
        return max(1, self.spark.sparkContext.defaultParallelism)

    # -- per-document passes --------------------------------------------------

    def map(self, stages: Sequence[Stage], docs: Iterable[Any], take: Optional[Take] = None) -> Iterator[Any]:
        """Apply ``stages`` to every document; results come out in input order.

        As :meth:`LocalEngine.map <normalize.engine.local.LocalEngine.map>`:
        ``docs`` may hold pickled documents, and ``take`` packs the results
        (here in the driver, which holds every result anyway)."""
        sc = self.spark.sparkContext
        from pyspark.serializers import CloudPickleSerializer

        # cloudpickle, as Spark ships functions: stages defined in a script or a
        # notebook travel too, not only those importable from a module
        shipped = sc.broadcast((uuid.uuid4().hex, CloudPickleSerializer().dumps(list(stages))))
        chunk_size = self.parallelism * DOCS_PER_TASK * 2
        pending: deque = deque()
        pool = ThreadPoolExecutor(1, thread_name_prefix="normalize-spark")
        try:
            it = iter(docs)
            while chunk := [unpack(doc) for doc in islice(it, chunk_size)]:
                pending.append(pool.submit(self._map_chunk, shipped, chunk))
                while len(pending) >= 2:
                    yield from pack_all(pending.popleft().result(), take, pickled=False)
            while pending:
                yield from pack_all(pending.popleft().result(), take, pickled=False)
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=True)
            shipped.unpersist()

    def _map_chunk(self, shipped, chunk: list) -> list[Item]:
        slices = max(1, min(self.parallelism * 2, -(-len(chunk) // BATCH)))
        rdd = self.spark.sparkContext.parallelize(chunk, slices).mapPartitions(_run_partition(shipped))
        try:
            return rdd.collect()  # partitions come back in order, so input order is kept
        except Exception as exc:
            raise RunError(f"a Spark task failed: {_first_line(exc)}") from exc

    # -- corpus-level clustering ----------------------------------------------

    def clusterer(self, settings: Any = None, index_path: Optional[str] = None):
        """A clusterer with the interface of :class:`normalize.dedup.Clusterer` that
        runs on this engine's session."""
        if index_path:
            raise RunError("--index (incremental dedup) is not supported with --engine spark; run it with --engine local")
        from .spark_cluster import SparkClusterer

        return SparkClusterer(self, settings)


def _local_cores(master: str) -> int:
    """Cores of a ``local``, ``local[N]`` or ``local[*]`` master; 0 for a cluster."""
    if master == "local":
        return 1
    if master.startswith("local["):
        inside = master[len("local[") :].split(",")[0].rstrip("]")
        return os.cpu_count() or 1 if inside == "*" else max(1, int(inside)) if inside.isdigit() else 1
    return 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
