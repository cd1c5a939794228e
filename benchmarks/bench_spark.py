"""Speed of ``normalize run --engine spark`` against the local engine, same corpus.

Builds (or reuses) a near-duplicate corpus with ../shared/bench/make_neardup.py
(about 725 x SCALE documents; SCALE 0 means neardup-dev.jsonl itself), starts
one Spark session (its start-up is timed apart: a cluster pays it once per
job), then runs the pipeline in this process with each engine, REPEAT times,
and prints docs/s, the time spent clustering (``finish``), and whether the
outputs are byte-identical.

    python benchmarks/bench_spark.py                      # neardup-dev, local[2]
    python benchmarks/bench_spark.py --scale 14 --repeat 1

The machines are shared and noisy: compare the ratio measured in one run, and
look at ``uptime``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from bench_pipeline import BENCH, OUT, build_corpus

from normalize.api import run
from normalize.dedup.cluster import Clusterer
from normalize.engine.spark import SparkEngine
from normalize.engine.spark_cluster import SparkClusterer
from normalize.settings import Settings

OUTPUTS = ("documents.jsonl", "clusters.jsonl", "summary.json", "rejected.jsonl")


class FinishTimer:
    """Adds up the time spent in ``finish`` (the clustering) of a clusterer class."""

    def __init__(self, cls):
        self.cls, self.original, self.seconds = cls, cls.finish, 0.0

        def timed(inner, *args, **kwargs):
            start = time.perf_counter()
            try:
                return self.original(inner, *args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        cls.finish = timed

    def take(self) -> float:
        seconds, self.seconds = self.seconds, 0.0
        return seconds


def one_run(corpus: Path, outdir: Path, settings: Settings, timer: FinishTimer) -> tuple[float, float, int]:
    start = time.perf_counter()
    summary = run([str(corpus)], outdir, settings)
    return time.perf_counter() - start, timer.take(), summary["counts"]["read"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=0, help="make_neardup scale; 0 = neardup-dev.jsonl [0]")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--workers", type=int, default=2, help="local engine workers [2]")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    corpus = BENCH / "neardup-dev.jsonl" if args.scale == 0 else build_corpus(args.scale)[0]
    print(f"corpus {corpus.name}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    start = time.perf_counter()
    engine = SparkEngine(args.master, args.workers)
    engine.spark
    print(f"spark session start ({args.master}): {time.perf_counter() - start:.1f} s")

    timers = {"local": FinishTimer(Clusterer), "spark": FinishTimer(SparkClusterer)}
    base = Settings(workers=args.workers, report=False)
    settings = {"local": base, "spark": base.updated(engine="spark", spark_master=args.master)}
    seconds: dict[str, list[float]] = {"local": [], "spark": []}
    for r in range(args.repeat):
        for name in ("local", "spark"):
            took, clustering, n = one_run(corpus, OUT / f"spark-bench-{name}", settings[name], timers[name])
            seconds[name].append(took)
            print(f"run {r + 1} {name:5s}: {took:6.1f} s  {n / took:7.1f} docs/s  (clustering {clustering:5.1f} s)")
    same = all((OUT / "spark-bench-local" / f).read_bytes() == (OUT / "spark-bench-spark" / f).read_bytes()
               for f in OUTPUTS)
    local, spark = statistics.median(seconds["local"]), statistics.median(seconds["spark"])
    print(f"median: local {n / local:.1f} docs/s, spark {n / spark:.1f} docs/s; spark/local speed {local / spark:.2f}")
    print(f"outputs byte-identical: {same}; load average now {os.getloadavg()[0]:.1f}")
    engine.close()


if __name__ == "__main__":
    main()
