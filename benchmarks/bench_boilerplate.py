"""Boilerplate quality: clean_text over the boilerplate-dev set, scored.

usage: python benchmarks/bench_boilerplate.py [BENCH_DIR] [--set boilerplate-dev.jsonl]

Writes the cleaned records to benchmarks/out/ (git-ignored), runs the set's own
scorer and prints its figures, then the same scorer per language and per half
of the pages (split by a hash of the page id: tune on one half, check that the
other moves the same way), then the speed of clean_text on these pages.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

from normalize.strip import clean_text

REPO = Path(__file__).resolve().parent.parent


def half(page_id: str) -> str:
    """A stable half of the pages, from a hash of the page id."""
    return "half" + str(int(hashlib.md5(page_id.encode("utf-8")).hexdigest(), 16) % 2)


def breakdown(scorer: Path, records: list[dict], cleaned: dict[str, str]) -> None:
    """The set's own scorer, per language and per half of the pages."""
    spec = importlib.util.spec_from_file_location("score_boilerplate", scorer)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    groups: dict[str, list[dict]] = {}
    for rec in records:
        groups.setdefault(half(rec["id"]), []).append(rec)
        groups.setdefault(f"lang={rec.get('lang')}", []).append(rec)
    for name in sorted(groups):
        s = module.score(groups[name], cleaned)
        print(f"  {name:<12} F1 {s['f1']:.3f}  P {s['precision']:.3f}  R {s['recall']:.3f}"
              f"  ({len(groups[name])} pages)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("bench_dir", nargs="?", default=str(REPO.parent / "shared" / "bench"))
    ap.add_argument("--set", default="boilerplate-dev.jsonl")
    ap.add_argument("--out", default=str(REPO / "benchmarks" / "out"))
    args = ap.parse_args()
    bench = Path(args.bench_dir) / args.set
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    cleaned_path = out_dir / ("cleaned-" + Path(args.set).name)

    records = [json.loads(line) for line in bench.open(encoding="utf-8") if line.strip()]
    size = sum(len(r["text"].encode("utf-8")) for r in records)
    start = time.process_time()
    cleaned = [{"id": r["id"], "text": clean_text(r["text"]).text} for r in records]
    elapsed = time.process_time() - start
    with cleaned_path.open("w", encoding="utf-8") as fh:
        for row in cleaned:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    scorer = Path(args.bench_dir) / "score_boilerplate.py"
    result = subprocess.run(
        [sys.executable, str(scorer), str(bench), str(cleaned_path)],
        capture_output=True, text=True, check=True,
    )
    print(result.stdout.strip())
    breakdown(scorer, records, {row["id"]: row["text"] for row in cleaned})
    print(f"cleaned -> {cleaned_path}")
    print(f"speed: {len(records) / elapsed:.0f} pages/s, {size / elapsed / 1e6:.2f} MB/s "
          f"({len(records)} pages, {size / 1e6:.1f} MB, one core)")


if __name__ == "__main__":
    main()
