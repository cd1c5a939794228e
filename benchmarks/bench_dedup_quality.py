"""Near-duplicate clustering quality on a corpus with known stories.

usage: python benchmarks/bench_dedup_quality.py [CORPUS.jsonl TRUTH.jsonl] [--out DIR] [--keep POLICY]
       python benchmarks/bench_dedup_quality.py --make SEED [SCALE]

``--make`` builds another corpus of the same kind with the bench's generator
(``make_neardup.py base-articles-dev.jsonl dev SEED ... SCALE``, into a
temporary directory) and scores that instead: the dev set is one draw (seed 11),
so a rule is only worth keeping if it holds on other draws too.

Cleans each text the way the pipeline does before dedup (normalize.strip.clean_text
if it imports, else normalize.normalise.normalise_text, else the raw text — the one
used is printed), clusters with default DedupSettings, and prints pairwise
precision / recall / F1 and ARI (the scorer of the bench set), next to the
textbook datasketch recipe (MinHash + MinHashLSH at 0.8, word 5-grams, 128
permutations, union-find) on the same cleaned text.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO.parent / "shared" / "bench"
sys.path.insert(0, str(REPO))

from normalize.dedup import Clusterer, DedupSettings, fingerprint_text  # noqa: E402


def cleaner():
    try:
        from normalize.strip import clean_text

        return "normalize.strip.clean_text", lambda t: clean_text(t).text
    except Exception:  # the stripper may not be importable in a partial checkout
        pass
    try:
        from normalize.normalise import normalise_text

        return "normalize.normalise.normalise_text", normalise_text
    except Exception:
        return "raw text", lambda t: t


def pairs(n: int) -> int:
    return n * (n - 1) // 2


def score(truth: dict[str, str], pred: dict[str, str | None]) -> dict:
    """Pairwise P/R/F1 and ARI, as bench/score_clusters.py computes them."""
    ids = list(truth)
    p = {i: pred.get(i) if pred.get(i) is not None else f"__single__{i}" for i in ids}
    tp = sum(pairs(v) for v in Counter((truth[i], p[i]) for i in ids).values())
    t_pairs = sum(pairs(v) for v in Counter(truth.values()).values())
    p_pairs = sum(pairs(v) for v in Counter(p.values()).values())
    prec = tp / p_pairs if p_pairs else 1.0
    rec = tp / t_pairs if t_pairs else 1.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    n = pairs(len(ids))
    exp = t_pairs * p_pairs / n if n else 0
    mx = (t_pairs + p_pairs) / 2
    ari = (tp - exp) / (mx - exp) if mx != exp else 1.0
    return {"precision": prec, "recall": rec, "f1": f1, "ari": ari}


def ours(ids, texts, settings) -> dict[str, str | None]:
    clusterer = Clusterer(settings)
    for doc_id, text in zip(ids, texts):
        clusterer.add(doc_id, fingerprint_text(text, settings), length=len(text))
    result = clusterer.finish(lambda pos: texts[pos])
    return {doc_id: result.assignment(pos).cluster_id for pos, doc_id in enumerate(ids)}, result


def textbook(ids, texts) -> dict[str, str | None]:
    """datasketch MinHash + MinHashLSH(0.8), word 5-grams, 128 perms, union-find."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    parent = list(range(len(ids)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, text in enumerate(texts):
        words = text.lower().split()
        grams = {" ".join(words[k : k + 5]) for k in range(max(1, len(words) - 4))}
        m = MinHash(num_perm=128)
        m.update_batch([g.encode("utf-8") for g in grams])
        for j in lsh.query(m):
            parent[find(i)] = find(j)
        lsh.insert(i, m)
    return {doc_id: str(find(i)) for i, doc_id in enumerate(ids)}


def make_corpus(seed: int, scale: int = 1) -> tuple[str, str]:
    """Build a near-duplicate corpus with the bench's generator; return (corpus, truth) paths."""
    import subprocess
    import tempfile

    out = Path(tempfile.mkdtemp(prefix="neardup-"))
    corpus, truth = out / f"neardup-{seed}x{scale}.jsonl", out / f"neardup-{seed}x{scale}.truth.jsonl"
    subprocess.run([sys.executable, str(BENCH / "make_neardup.py"), str(BENCH / "base-articles-dev.jsonl"),
                    "dev", str(seed), str(corpus), str(truth), str(scale)], check=True)
    return str(corpus), str(truth)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", default=str(BENCH / "neardup-dev.jsonl"))
    ap.add_argument("truth", nargs="?", default=str(BENCH / "neardup-dev.truth.jsonl"))
    ap.add_argument("--out", help="write DIR/documents.jsonl and DIR/clusters.jsonl")
    ap.add_argument("--keep", default="longest")
    ap.add_argument("--no-peer", action="store_true", help="skip the datasketch recipe")
    ap.add_argument("--make", nargs="+", type=int, metavar="N",
                    help="SEED [SCALE]: score a corpus built by the bench's make_neardup.py")
    args = ap.parse_args()
    if args.make:
        args.corpus, args.truth = make_corpus(*args.make[:2])

    records = [json.loads(line) for line in open(args.corpus, encoding="utf-8") if line.strip()]
    truth = {r["id"]: r["story"] for r in map(json.loads, open(args.truth, encoding="utf-8")) if r}
    name, clean = cleaner()
    t0 = time.perf_counter()
    texts = [clean(r["text"]) for r in records]
    t_clean = time.perf_counter() - t0
    ids = [r["id"] for r in records]
    print(f"{len(ids)} documents, {len(set(truth.values()))} stories; cleaned with {name} ({t_clean:.1f} s)")

    settings = DedupSettings(keep=args.keep)
    t0 = time.perf_counter()
    pred, result = ours(ids, texts, settings)
    t_ours = time.perf_counter() - t0
    s = score(truth, pred)
    print(f"newsnorm dedup (defaults, keep={args.keep}): P {s['precision']:.4f} R {s['recall']:.4f} "
          f"F1 {s['f1']:.4f} ARI {s['ari']:.4f}  ({t_ours:.1f} s, {len(result.clusters)} clusters, "
          f"{len(result.oversized)} oversized)")
    if not args.no_peer:
        t0 = time.perf_counter()
        s = score(truth, textbook(ids, texts))
        print(f"datasketch textbook (0.8, word 5-grams): P {s['precision']:.4f} R {s['recall']:.4f} "
              f"F1 {s['f1']:.4f} ARI {s['ari']:.4f}  ({time.perf_counter() - t0:.1f} s)")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        with (out / "documents.jsonl").open("w", encoding="utf-8") as f:
            for pos, doc_id in enumerate(ids):
                a = result.assignment(pos)
                f.write(json.dumps({"id": doc_id, "cluster_id": a.cluster_id, "cluster_size": a.cluster_size,
                                    "duplicate_of": a.duplicate_of, "similarity": a.similarity},
                                   ensure_ascii=False) + "\n")
        with (out / "clusters.jsonl").open("w", encoding="utf-8") as f:
            for c in result.clusters:
                f.write(json.dumps(c, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
