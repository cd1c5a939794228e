"""The Spark engine gives the local engine's outputs byte for byte.

One Spark session (local[2]) serves the whole module; the engine built by
``api.run`` finds it and leaves it running. The pure parts of the distributed
clustering (bucket pairs, kept-copy choice per component) are checked against
the local code without Spark.
"""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from normalize.dedup.cluster import Links, greedy_kept
from normalize.dedup.lsh import candidate_pairs
from normalize.engine.spark_cluster import bucket_pairs, greedy_component

OUTPUTS = ("documents.jsonl", "clusters.jsonl", "summary.json", "rejected.jsonl")


# -- without Spark ---------------------------------------------------------------------


def test_bucket_pairs_match_the_local_lsh_pairs_including_capped_buckets():
    rng = random.Random(7)
    nodes = np.array(sorted(rng.sample(range(10_000), 300)), dtype=np.int64)
    column = np.array([rng.choice([1, 2, 3, 4, 5] + list(range(6, 80))) for _ in nodes], dtype=np.uint64)
    column[:120] = 9  # one big bucket, larger than max_bucket
    for max_bucket in (5, 1000):
        local = {tuple(p) for p in candidate_pairs(lambda b: column, 1, nodes, max_bucket=max_bucket).tolist()}
        ours = set()
        for value in np.unique(column):
            members = sorted(nodes[column == value].tolist())
            ours.update(bucket_pairs(members, max_bucket))
        assert ours == local


def _random_graph(rng: random.Random, n: int, m: int):
    edges = {}
    while len(edges) < m:
        a, b = rng.sample(range(n), 2)
        edges[(min(a, b), max(a, b))] = round(rng.uniform(0.5, 1.0), 3)
    return edges


def _components(n: int, edges) -> dict[int, int]:
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    linked = {v for e in edges for v in e}
    return {v: find(v) for v in linked}


def test_kept_copy_choice_per_component_equals_the_choice_over_the_whole_graph():
    rng = random.Random(3)
    n = 400
    edges = _random_graph(rng, n, 260)
    order = np.array(rng.sample(range(n), n), dtype=np.int64)  # priority: best first
    rank = {int(v): i for i, v in enumerate(order)}
    a, b = np.array([e[0] for e in edges]), np.array([e[1] for e in edges])
    kept_of, sim_of = np.full(n, -1, dtype=np.int64), np.full(n, np.nan)
    greedy_kept(order, Links(a, b, np.array(list(edges.values()))), kept_of, sim_of)

    comp = _components(n, edges)
    by_comp: dict[int, tuple[list, list]] = {}
    for v, c in comp.items():
        by_comp.setdefault(c, ([], []))[0].append((v, [rank[v]]))
    for (x, y), s in edges.items():
        by_comp[comp[x]][1].append((x, y, s))
    got = {pos: (kept, sim) for item in by_comp.items() for pos, kept, sim in greedy_component(item)}
    assert set(got) == set(comp)
    for v, (kept, sim) in got.items():
        assert kept == kept_of[v] and sim == sim_of[v]
    assert len({k for k, _ in got.values()}) > 10  # the graph has many clusters, not one


def test_staging_splits_parts_by_size_and_is_removed(monkeypatch):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    from normalize.engine import spark_cluster

    monkeypatch.setattr(spark_cluster, "PART_BYTES", 1000)
    staging = spark_cluster.Staging("local[2]")
    writer = staging.writer("texts", pa.schema([("pos", pa.int64()), ("text", pa.string())]))
    texts = [f"text number {i} " * (i % 7 + 1) for i in range(300)]
    for pos, text in enumerate(texts):
        writer.append(pos, text)
    uri = writer.close()
    assert writer.parts > 3 and uri.startswith("file://")
    table = pq.read_table(staging.path + "/texts").sort_by("pos")
    assert table.column("text").to_pylist() == texts
    staging.remove()
    assert not Path(staging.path).exists()


def test_spark_staging_on_a_cluster_must_be_shared(monkeypatch):
    from normalize.engine.spark_cluster import STAGING_ENV, Staging
    from normalize.errors import RunError

    monkeypatch.delenv(STAGING_ENV, raising=False)
    with pytest.raises(RunError, match=STAGING_ENV):
        Staging("spark://head:7077")


# -- with Spark ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark_engine():
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    from normalize.engine.spark import SparkEngine

    engine = SparkEngine("local[2]", 2)
    engine.spark  # start the module's session; engines made by api.run reuse it
    yield engine
    engine.close()


@pytest.mark.spark
def test_connected_components_match_union_find_on_a_random_graph(spark_engine):
    rng = random.Random(11)
    n = 600
    edges = _random_graph(rng, n, 240)  # many small components, as duplicate clusters are
    # a long chain too: the case that needs many rounds of naive label propagation
    chain = list(range(n, n + 40))
    rng.shuffle(chain)
    edges.update({(min(x, y), max(x, y)): 1.0 for x, y in zip(chain, chain[1:])})
    from normalize.engine.spark_graph import connected_components

    frame = spark_engine.spark.createDataFrame([(b, a) if i % 2 else (a, b) for i, (a, b) in enumerate(edges)],
                                               "a long, b long")
    got = {r.node: r.comp for r in connected_components(frame).collect()}
    assert got == _components(n + 40, edges)


@pytest.mark.spark
def test_spark_engine_keeps_order_across_chunks_and_isolates_a_failing_document(spark_engine, monkeypatch):
    from normalize.document import Document, Source
    from normalize.engine import spark as spark_module
    from normalize.errors import Rejection

    class Shout:  # defined here, so it travels by value as a notebook's stage would
        name = "shout"

        def __call__(self, doc):
            if "boom" in doc.text:
                raise ValueError("cannot shout this")
            doc.text = doc.text.upper()
            return doc

    monkeypatch.setattr(spark_module, "DOCS_PER_TASK", 20)  # chunks of 80 documents: three jobs
    docs = [Document(id=str(i), text="boom" if i == 41 else f"text {i}", source=Source("mem", i + 1)) for i in range(230)]
    out = list(spark_engine.map([Shout()], docs))
    assert isinstance(out[41], Rejection) and "shout failed: ValueError" in out[41].reason and out[41].line == 42
    assert [d.text for i, d in enumerate(out) if i != 41] == [f"TEXT {i}" for i in range(230) if i != 41]


def _run_local(inputs, outdir: Path, **settings) -> None:
    from normalize.api import run
    from normalize.settings import Settings

    run(inputs, outdir, Settings(workers=2, report=False, **settings))


def _assert_same_files(local: Path, spark: Path) -> None:
    for name in OUTPUTS:
        assert (spark / name).read_bytes() == (local / name).read_bytes(), name


@pytest.mark.spark
def test_cli_on_spark_gives_the_local_outputs_for_the_seeds_and_refuses_an_index(spark_engine, seeds_dir, tmp_path):
    from click.testing import CliRunner

    from normalize.cli import cli

    _run_local([str(seeds_dir)], tmp_path / "local")
    runner = CliRunner()
    ok = runner.invoke(cli, ["run", str(seeds_dir), "-o", str(tmp_path / "spark"), "--no-report", "-q",
                             "--workers", "2", "--engine", "spark", "--spark-master", "local[2]"])
    assert ok.exit_code == 0, ok.output
    _assert_same_files(tmp_path / "local", tmp_path / "spark")
    refused = runner.invoke(cli, ["run", str(seeds_dir), "-o", str(tmp_path / "idx"), "--engine", "spark",
                                  "--index", str(tmp_path / "dedup.idx")])
    assert refused.exit_code == 1 and "--index" in refused.output and "not supported" in refused.output
    assert not (tmp_path / "idx").exists()


@pytest.mark.spark
@pytest.mark.bench
def test_neardup_dev_gives_the_local_engines_outputs(spark_engine, bench_dir, tmp_path):
    from normalize.api import run
    from normalize.settings import Settings

    inputs = [str(bench_dir / "neardup-dev.jsonl")]
    _run_local(inputs, tmp_path / "local", keep="fewest-artefacts")
    settings = Settings(workers=2, report=False, keep="fewest-artefacts", engine="spark", spark_master="local[2]")
    run(inputs, tmp_path / "spark", settings)
    _assert_same_files(tmp_path / "local", tmp_path / "spark")
    assert b'"duplicate_of":"' in (tmp_path / "spark" / "documents.jsonl").read_bytes()  # clusters were found
