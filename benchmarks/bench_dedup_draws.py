"""Cluster quality through ``normalize run`` on the dev set and on other draws of it.

usage: python benchmarks/bench_dedup_draws.py [--seeds 23,37,41,53,61] [--workers N]

``neardup-dev`` is one draw of the bench generator. A verification rule is only
worth keeping if it also holds on other draws, so this builds one corpus per
seed with ``make_neardup.py base-articles-dev.jsonl dev SEED ...`` (into a
temporary directory; the bench text never enters the repository), runs the
whole pipeline on each with default settings, scores it with the bench's
``score_clusters.py`` and prints precision, recall and F1 per set and their mean.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO.parent / "shared" / "bench"


def score(truth: Path, out: Path) -> dict:
    result = subprocess.run([sys.executable, str(BENCH / "score_clusters.py"), str(truth), str(out / "documents.jsonl")],
                            check=True, capture_output=True, text=True)
    return json.loads(result.stdout.splitlines()[0])


def run(corpus: Path, out: Path, workers: int | None) -> None:
    command = [sys.executable, "-m", "normalize", "run", str(corpus), "-o", str(out), "--no-report"]
    if workers:
        command += ["--workers", str(workers)]
    subprocess.run(command, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="23,37,41,53,61")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    if not (BENCH / "neardup-dev.jsonl").exists():
        sys.exit(f"bench data not found in {BENCH}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sets = [("dev", BENCH / "neardup-dev.jsonl", BENCH / "neardup-dev.truth.jsonl")]
        for seed in args.seeds.split(","):
            corpus, truth = tmp / f"draw-{seed}.jsonl", tmp / f"draw-{seed}.truth.jsonl"
            subprocess.run([sys.executable, str(BENCH / "make_neardup.py"), str(BENCH / "base-articles-dev.jsonl"),
                            "dev", seed, str(corpus), str(truth)], check=True, capture_output=True)
            sets.append((f"seed {seed}", corpus, truth))
        rows = []
        for name, corpus, truth in sets:
            out = tmp / f"out-{name.replace(' ', '-')}"
            run(corpus, out, args.workers)
            s = score(truth, out)
            rows.append(s)
            print(f"{name:9} precision {s['precision']:.4f}  recall {s['recall']:.4f}  F1 {s['f1']:.4f}", flush=True)
        mean = {k: sum(r[k] for r in rows) / len(rows) for k in ("precision", "recall", "f1")}
        print(f"{'mean':9} precision {mean['precision']:.4f}  recall {mean['recall']:.4f}  F1 {mean['f1']:.4f}")


if __name__ == "__main__":
    main()
