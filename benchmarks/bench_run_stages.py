"""Where the workers' time goes in one ``normalize run``: each stage, and the rest.

usage: python benchmarks/bench_run_stages.py CORPUS.jsonl [--workers 1 2]

The suite times each stage on one core over the first documents of its corpus.
In a run, the workers also parse the input, pickle what they hand back, read
and write their shelves and write the output lines, and each sees only some of
the documents, so its line caches learn only from those; and two workers on two
cores slow each other down. This runs the whole pipeline once for each
``--workers`` given and prints, summed over the worker processes (or the one
process), the CPU seconds of each stage and of everything outside the stages,
the main process's CPU and the wall time. Running it with ``--workers 1 2``
shows what splitting the corpus costs each stage. Each run is made by a Python
of its own: the line caches a run fills would otherwise serve the next.

Of what is outside the stages, two parts are timed apart: making each batch's
documents (parsing the input lines in the first pass, taking the documents
held or shelved in the second) and packing what goes back to the main process
(the corpus summaries; after the last pass the records' JSON lines, the texts
and shingle sets put on the shelves, the documents kept between the passes).
The rest is handing the batches over and waiting, loading tables between the
passes and, in one process, everything the main process does.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_pipeline import compile_bytecode  # noqa: E402


def measure(corpus: str, workers: int) -> dict:
    from normalize import api
    from normalize.engine import local
    from normalize.settings import Settings

    spent: collections.Counter = collections.Counter()
    original, original_unpack, original_pack = local.apply_stages_to_batch, local.unpack, local.pack_all
    main_pid = os.getpid()

    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(tmp) / "ledger"
        ledger.mkdir()

        def timed(stages, docs):
            # local.apply_stages_to_batch, one stage at a time, each timed (CPU
            # of this process); a forked worker inherits this function
            items = list(docs)
            for stage in stages:
                start = time.process_time()
                items = original([stage], items)
                spent[getattr(stage, "name", type(stage).__name__)] += time.process_time() - start
            return items

        def timed_unpack(item):
            start = time.process_time()
            document = original_unpack(item)
            spent[UNPACK] += time.process_time() - start
            return document

        def timed_pack(items, take, pickled):
            # the last step of a batch: a worker's ledger is written here
            start = time.process_time()
            packed = original_pack(items, take, pickled)
            spent[PACK] += time.process_time() - start
            if os.getpid() != main_pid:  # what a worker has spent so far, the stages and all
                (ledger / f"{os.getpid()}.json").write_text(json.dumps({**spent, "": time.process_time()}))
            return packed

        local.apply_stages_to_batch, local.unpack, local.pack_all = timed, timed_unpack, timed_pack
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            summary = api.run([corpus], Path(tmp) / "out", Settings(workers=workers, report=False))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            local.apply_stages_to_batch, local.unpack, local.pack_all = original, original_unpack, original_pack
        per_process = [json.loads(p.read_text()) for p in ledger.iterdir()]
    if not per_process:  # one process: the stages ran in this one
        per_process = [{**spent, "": cpu}]
    total = collections.Counter()
    for figures in per_process:
        total.update(figures)
    processes_cpu = total.pop("")
    parts = {name: total.pop(name, 0.0) for name in (UNPACK, PACK)}
    return {"docs": summary["counts"]["read"], "wall": wall, "main_cpu": cpu, "stages": dict(total),
            "outside": processes_cpu - sum(total.values()), "parts": parts}


# the parts of what is outside the stages timed apart (see the docstring)
UNPACK, PACK = "making documents", "packing results"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--workers", type=int, nargs="+", default=[os.cpu_count() or 1])
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # (a single run, its figures as JSON)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.corpus, args.one)))
        return
    compile_bytecode()
    runs = []
    for n in args.workers:
        done = subprocess.run([sys.executable, __file__, args.corpus, "--one", str(n)],
                              check=True, stdout=subprocess.PIPE, text=True)
        runs.append((n, json.loads(done.stdout.strip().splitlines()[-1])))
    names = sorted({s for _, r in runs for s in r["stages"]}, key=lambda s: -runs[0][1]["stages"].get(s, 0.0))
    print(f"{'CPU seconds':28}" + "".join(f"{f'{n} worker' + ('s' if n > 1 else ''):>12}" for n, _ in runs))
    for name in names:
        print(f"  {name:26}" + "".join(f"{r['stages'].get(name, 0.0):12.2f}" for _, r in runs))
    print(f"  {'stages, all':26}" + "".join(f"{sum(r['stages'].values()):12.2f}" for _, r in runs))
    print(f"  {'outside the stages':26}" + "".join(f"{r['outside']:12.2f}" for _, r in runs))
    for part in (UNPACK, PACK):
        print(f"    {part:24}" + "".join(f"{r['parts'][part]:12.2f}" for _, r in runs))
    print(f"  {'main process':26}" + "".join(f"{r['main_cpu']:12.2f}" if n > 1 else f"{'-':>12}" for n, r in runs))
    print(f"{'wall seconds':28}" + "".join(f"{r['wall']:12.2f}" for _, r in runs))
    print(f"{'docs/s':28}" + "".join(f"{r['docs'] / r['wall']:12,.0f}" for _, r in runs))
    print("(a worker's figures run up to its last batch; with 1 worker the stages run in the main process,\n"
          " and all else it does, reading, clustering and writing included, is 'outside the stages')")


if __name__ == "__main__":
    main()
