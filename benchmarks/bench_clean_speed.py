"""Speed of the text-cleaning stages: Normalise + StripBoilerplate, one core.

usage: python benchmarks/bench_clean_speed.py [BENCH_DIR] [--set neardup-dev.jsonl] [--repeat 1] [--rounds 5]
                                             [--baseline DIR]

Reads the texts of a bench set (``text``, or ``body`` for base-articles), then
times each stage over fresh Documents and prints docs/s and MB/s (UTF-8) from
the CPU time of the timing thread. (Not of the process: importing numpy starts
an OpenBLAS thread that burns about 0.1 s of CPU while it settles, and on a
set of a few hundred documents that alone would cost a quarter of the rate.)

As in a worker of ``normalize run``, the stages' tables are loaded first (the
engine's ``warm_up``). The first pass then starts with cold line caches, as a
worker does; the second meets the lines and damaged text it has seen (site
chrome recurs across a crawl). Each round runs in a fresh process, and on a
shared machine the rounds differ: the last lines give min / median / max.

``--baseline DIR`` times another copy of the package too (DIR holds its
``normalize`` folder, e.g. a ``git worktree`` of an older commit), round for
round alternating with this one, so that both meet the same load on a shared
machine, and prints the ratio of the medians.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import normalize
from normalize.document import Document, Source
from normalize.engine.local import warm_up
from normalize.normalise import Normalise, normalise_text
from normalize.normalise.repair import may_need_repair
from normalize.strip import StripBoilerplate

REPO = Path(__file__).resolve().parent.parent


def load(path: Path) -> list[str]:
    texts = []
    for line in path.open(encoding="utf-8"):
        if line.strip():
            rec = json.loads(line)
            texts.append(rec.get("text") or rec.get("body") or "")
    return texts


def _compiled_modules() -> str:
    try:
        from normalize import compiled
    except ImportError:  # a baseline older than the compiled modules
        return "pure Python"
    return f"{len(compiled.compiled())} of {len(compiled.MODULES)} hot modules compiled"


def rate(label: str, n: int, size: int, seconds: float) -> float:
    print(f"{label:<28} {n / seconds:8.0f} docs/s {size / seconds / 1e6:7.2f} MB/s")
    return n / seconds


def one_round(args) -> dict[str, float]:
    texts = load(Path(args.bench_dir) / args.set) * args.repeat
    size = sum(len(t.encode("utf-8")) for t in texts)
    print(f"{args.set}: {len(texts)} docs, mean {size / len(texts) / 1e3:.1f} KB, "
          f"{sum(map(may_need_repair, texts))} may hold mojibake or entities "
          f"(package: {Path(normalize.__file__).parent}, {_compiled_modules()})")
    rates = {}
    normalise, strip = Normalise(), StripBoilerplate()
    warm_up([normalise, strip])
    for label in ("normalise + strip (cold)", "normalise + strip (warm)"):
        docs = [Document(id=str(i), text=t, source=Source(args.set, i + 1)) for i, t in enumerate(texts)]
        start = time.thread_time()
        for doc in docs:
            strip(normalise(doc))
        rates[label] = rate(label, len(texts), size, time.thread_time() - start)

    start = time.thread_time()
    for text in texts:
        normalise_text(text)
    rates["normalise only (warm)"] = rate("normalise only (warm)", len(texts), size,
                                          time.thread_time() - start)
    return rates


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("bench_dir", nargs="?", default=str(REPO.parent / "shared" / "bench"))
    ap.add_argument("--set", default="neardup-dev.jsonl")
    ap.add_argument("--repeat", type=int, default=1, help="passes over the set")
    ap.add_argument("--rounds", type=int, default=1, help="fresh processes, for min/median/max")
    ap.add_argument("--baseline", help="folder holding another copy of the normalize package, timed alternately")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one round, for the parent
    args = ap.parse_args()
    if args.rounds <= 1 or args.json:
        rates = one_round(args)
        if args.json:
            print("RATES " + json.dumps(rates))
        return
    versions = {"this": None}
    if args.baseline:
        versions["baseline"] = args.baseline
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in versions}
    for _ in range(args.rounds):
        for name, path in versions.items():
            env = dict(os.environ)
            if path:  # import the other copy of the package first
                env["PYTHONPATH"] = os.pathsep.join(filter(None, [path, env.get("PYTHONPATH")]))
            child = [sys.executable, __file__, args.bench_dir, "--set", args.set,
                     "--repeat", str(args.repeat), "--json"]
            out = subprocess.run(child, capture_output=True, text=True, check=True, env=env).stdout
            runs[name].append(json.loads(out.split("RATES ", 1)[1]))
    print(f"{args.set}, {args.rounds} rounds (fresh process each), docs/s min / median / max:")
    for name, results in runs.items():
        if len(runs) > 1:
            print(f"[{name}]")
        for label in results[0]:
            values = [run[label] for run in results]
            print(f"{label:<28} {min(values):6.0f} / {statistics.median(values):6.0f} / {max(values):6.0f}")
    if len(runs) > 1:
        print("[this / baseline, ratio of medians]")
        for label in runs["this"][0]:
            mine = statistics.median(run[label] for run in runs["this"])
            base = statistics.median(run[label] for run in runs["baseline"])
            print(f"{label:<28} {mine / base:6.2f}x")


if __name__ == "__main__":
    main()
