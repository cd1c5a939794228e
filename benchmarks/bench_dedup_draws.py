"""Cluster quality through ``normalize run`` on the dev set and on other draws of it.

usage: python benchmarks/bench_dedup_draws.py [--seeds 23,37,41,53,61] [--workers N] [--show]

``neardup-dev`` is one draw of the bench generator. A verification rule is only
worth keeping if it also holds on other draws, so this builds one corpus per
seed with ``make_neardup.py base-articles-dev.jsonl dev SEED ...`` (into a
temporary directory; the bench text never enters the repository), runs the
whole pipeline on each with default settings, scores it with the bench's
``score_clusters.py`` and prints precision, recall and F1 per set and their mean.

It also prints each set's *ceiling*: the best precision any deduplicator can
reach on it that follows the issue's own definition of a copy, from text
alone. The bench generator labels some documents as stories of their own
whose cleaned text is another story's, or nearly: a "same-site trap" is the
first four paragraphs of an article that is itself in the corpus, so when that
article has four paragraphs, the trap is its whole body without the headline.
Identical keys must be one cluster (the exact pass), and a copy that differs
by a light edit at most is a duplicate. So every pair of different stories
whose cleaned texts have the same key, or shingle sets with a Jaccard
similarity of at least ``FORCED_JACCARD``, is a false positive no compliant
method avoids; with T pairs truly together and F such pairs, precision is at
most T / (T + F). (A bound from pairs alone: a forced pair also drags the rest
of its story's cluster along, so the true ceiling is lower still.)
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
FORCED_JACCARD = 0.9


def forced_pairs(documents: Path, truth: Path) -> tuple[int, list[tuple[str, str, float]]]:
    """(T, the forced pairs): pairs of one truth story, and pairs of different
    stories whose cleaned texts are one key or nearly (see the module's note)."""
    import numpy as np

    from normalize.dedup import DedupSettings
    from normalize.dedup.key import exact_hash
    from normalize.dedup.shingles import shingle_sets
    from normalize.dedup.verify import overlap

    story = {r["id"]: r["story"] for r in map(json.loads, truth.open(encoding="utf-8"))}
    docs = [json.loads(line) for line in documents.open(encoding="utf-8")]
    ids, texts = [d["id"] for d in docs], [d["text"] for d in docs]
    sizes: dict[str, int] = {}
    for i in ids:
        sizes[story[i]] = sizes.get(story[i], 0) + 1
    together = sum(n * (n - 1) // 2 for n in sizes.values())
    s = DedupSettings()
    sets = [np.asarray(x) for x in shingle_sets(texts, s.word_ngram, s.char_ngram, s.seed)]
    keys = [exact_hash(t) for t in texts]
    lengths = np.array([len(x) for x in sets])
    forced = []
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            if story[ids[a]] == story[ids[b]]:
                continue
            if keys[a] == keys[b]:
                forced.append((ids[a], ids[b], 1.0))
                continue
            small, big = sorted((lengths[a], lengths[b]))
            if not small or small < FORCED_JACCARD * big:  # Jaccard <= small / big
                continue
            inter = overlap(sets[a], sets[b])
            jaccard = inter / (lengths[a] + lengths[b] - inter)
            if jaccard >= FORCED_JACCARD:
                forced.append((ids[a], ids[b], round(float(jaccard), 3)))
    return together, forced


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
    parser.add_argument("--show", action="store_true", help="list every forced pair")
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
            together, forced = forced_pairs(out / "documents.jsonl", truth)
            s["ceiling"] = together / (together + len(forced))
            rows.append(s)
            print(f"{name:9} precision {s['precision']:.4f}  recall {s['recall']:.4f}  F1 {s['f1']:.4f}  "
                  f"ceiling {s['ceiling']:.4f} ({len(forced)} forced of {together} + {len(forced)} pairs)", flush=True)
            if args.show:
                for pair in forced:
                    print("   forced:", *pair)
        mean = {k: sum(r[k] for r in rows) / len(rows) for k in ("precision", "recall", "f1", "ceiling")}
        print(f"{'mean':9} precision {mean['precision']:.4f}  recall {mean['recall']:.4f}  F1 {mean['f1']:.4f}  "
              f"ceiling {mean['ceiling']:.4f}")


if __name__ == "__main__":
    main()
