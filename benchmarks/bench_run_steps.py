"""How long the corpus-level steps of one ``normalize run`` take, beside the whole run.

usage: python benchmarks/bench_run_steps.py CORPUS.jsonl [--workers 2]

The per-document passes run in the worker processes; between and after them the
main process works alone while the workers wait: it loads the stages' tables
before the pool starts, decides which lines are site chrome (corpus repeats),
clusters the near-duplicates and judges name variants across clusters, then
writes every record in input order (completing the lines the workers wrote). On two cores every second spent there is a second with a core idle.
This times those steps inside one run (wall and CPU seconds of the main
process), and prints the run's wall time, the main process's CPU and the
workers' CPU.
"""
from __future__ import annotations

import argparse
import collections
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

STEPS = [  # (module, object, method, label)
    ("normalize.engine.local", None, "warm_up", "load tables (each pass)"),
    ("normalize.strip.corpus", "CorpusRepeats", "finish", "corpus repeats"),
    ("normalize.dedup.cluster", "Clusterer", "finish", "clustering"),
    ("normalize.pipeline", "Pipeline", "_name_variants", "name variants"),
    # writing, in input order: most lines were written in the workers up to their
    # cluster fields, and are completed; a document with findings made after the
    # clusters is unpickled and written whole
    ("normalize.pipeline", "Pipeline", "_emit_written", "write: complete lines"),
    ("normalize.pipeline", None, "unpack", "write: unpickle"),
    ("normalize.pipeline", "Pipeline", "_emit", "write: whole records"),
    ("normalize.write.outputs", "JsonlWriter", "write", "write: to the file"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    import importlib

    from normalize import api
    from normalize.settings import Settings

    spent: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])

    def timed(function, label):
        def wrapper(*a, **k):
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*a, **k)
            finally:
                spent[label][0] += time.perf_counter() - wall
                spent[label][1] += time.thread_time() - cpu
        return wrapper

    for module, owner, method, label in STEPS:
        target = importlib.import_module(module)
        target = getattr(target, owner) if owner else target
        setattr(target, method, timed(getattr(target, method), label))

    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu = time.perf_counter(), time.process_time()
        summary = api.run([args.corpus], Path(tmp) / "out", Settings(workers=args.workers, report=False))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"{summary['counts']['read']:,} documents, {args.workers} workers: {wall:.1f} s "
          f"({summary['counts']['read'] / wall:,.0f} docs/s); main process CPU {cpu:.1f} s, "
          f"workers' CPU {children.ru_utime + children.ru_stime:.1f} s")
    for _, _, _, label in STEPS:
        step_wall, step_cpu = spent[label]
        print(f"  {label:24} {step_wall:7.2f} s wall  {step_cpu:7.2f} s CPU  ({step_wall / wall:5.1%} of the run)")


if __name__ == "__main__":
    main()
