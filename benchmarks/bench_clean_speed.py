"""Speed of the text-cleaning stages: Normalise + StripBoilerplate, one core.

usage: python benchmarks/bench_clean_speed.py [BENCH_DIR] [--set neardup-dev.jsonl] [--repeat 1]

Reads the texts of a bench set (``text``, or ``body`` for base-articles), then
times each stage over fresh Documents in this one process and prints docs/s
and MB/s (UTF-8) from the CPU time of this process (robust on a busy machine).
The first pass starts with cold caches, as a worker does.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from normalize.document import Document, Source
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


def rate(label: str, n: int, size: int, seconds: float) -> None:
    print(f"{label:<28} {n / seconds:8.0f} docs/s {size / seconds / 1e6:7.2f} MB/s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("bench_dir", nargs="?", default=str(REPO.parent / "shared" / "bench"))
    ap.add_argument("--set", default="neardup-dev.jsonl")
    ap.add_argument("--repeat", type=int, default=1, help="passes over the set")
    args = ap.parse_args()
    texts = load(Path(args.bench_dir) / args.set) * args.repeat
    size = sum(len(t.encode("utf-8")) for t in texts)
    print(f"{args.set}: {len(texts)} docs, mean {size / len(texts) / 1e3:.1f} KB, "
          f"{sum(map(may_need_repair, texts))} may hold mojibake or entities")

    normalise, strip = Normalise(), StripBoilerplate()
    docs = [Document(id=str(i), text=t, source=Source(args.set, i + 1)) for i, t in enumerate(texts)]
    start = time.process_time()
    for doc in docs:
        strip(normalise(doc))
    rate("normalise + strip (cold)", len(texts), size, time.process_time() - start)

    docs = [Document(id=str(i), text=t, source=Source(args.set, i + 1)) for i, t in enumerate(texts)]
    start = time.process_time()
    for doc in docs:
        strip(normalise(doc))
    rate("normalise + strip (warm)", len(texts), size, time.process_time() - start)

    start = time.process_time()
    for text in texts:
        normalise_text(text)
    rate("normalise only", len(texts), size, time.process_time() - start)


if __name__ == "__main__":
    main()
