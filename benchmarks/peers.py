"""The peers ``normalize`` is compared with, run on the same corpus.

* ``datasketch``: the textbook recipe: word 5-gram shingles, ``MinHash`` with
  128 permutations (``update_batch``), ``MinHashLSH(threshold=0.8)`` insert and
  query, union-find over the candidate pairs. One process.
* ``datatrove``: its MinHash dedup pipeline with default ``MinhashConfig``
  (signatures, buckets, clusters, filter) on ``LocalPipelineExecutor``, the
  corpus split into one shard per worker so every worker has a file to read.

Each peer runs in its own process (``python benchmarks/peers.py PEER ...``) so
its peak RSS is its own; it prints one JSON line: seconds, documents, and the
predicted cluster of every document, for scoring against the corpus truth.
"""
from __future__ import annotations

import json
import re
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import own_peak_kb  # noqa: E402  (it imports the standard library only: no normalize)


def read_corpus(path: Path) -> tuple[list[str], list[str]]:
    ids, texts = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                ids.append(str(rec["id"]))
                texts.append(rec["text"])
    return ids, texts


def datasketch_recipe(corpus: Path) -> dict:
    from datasketch import MinHash, MinHashLSH

    ids, texts = read_corpus(corpus)
    start = time.perf_counter()
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    parent = list(range(len(ids)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, text in enumerate(texts):
        words = re.findall(r"\w+", text.lower())
        grams = {" ".join(words[j : j + 5]).encode("utf-8") for j in range(max(1, len(words) - 4))}
        m = MinHash(num_perm=128)
        m.update_batch(list(grams))
        for other in lsh.query(m):
            parent[find(i)] = find(int(other))
        lsh.insert(str(i), m)
    roots = [find(i) for i in range(len(ids))]
    seconds = time.perf_counter() - start
    sizes: dict[int, int] = {}
    for r in roots:
        sizes[r] = sizes.get(r, 0) + 1
    pred = {doc_id: (f"c{r}" if sizes[r] > 1 else None) for doc_id, r in zip(ids, roots)}
    return {"seconds": seconds, "docs": len(ids), "pred": pred}


def datatrove_minhash(corpus: Path, workers: int) -> dict:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter

    work = Path(tempfile.mkdtemp(prefix="datatrove-bench-"))
    try:
        shards = work / "input"
        shards.mkdir()
        handles = [open(shards / f"{k:03d}.jsonl", "w", encoding="utf-8") for k in range(workers)]
        with open(corpus, encoding="utf-8") as fh:
            for n, line in enumerate(l for l in fh if l.strip()):
                handles[n % workers].write(line)
        for h in handles:
            h.close()
        config = MinhashConfig()
        quiet = {"logging_dir": str(work / "logs"), "skip_completed": False}
        start = time.perf_counter()
        LocalPipelineExecutor(
            pipeline=[JsonlReader(str(shards)), MinhashDedupSignature(output_folder=str(work / "sigs"), config=config)],
            tasks=workers, workers=workers, **quiet,
        ).run()
        LocalPipelineExecutor(
            pipeline=[MinhashDedupBuckets(input_folder=str(work / "sigs"), output_folder=str(work / "buckets"), config=config)],
            tasks=config.num_buckets, workers=workers, **quiet,
        ).run()
        LocalPipelineExecutor(
            pipeline=[MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove"),
                                          config=config, save_cluster_id=True)],
            tasks=1, **quiet,
        ).run()
        LocalPipelineExecutor(
            pipeline=[JsonlReader(str(shards)),
                      MinhashDedupFilter(input_folder=str(work / "remove"), load_cluster_ids=True,
                                         exclusion_writer=JsonlWriter(str(work / "removed"), compression=None)),
                      JsonlWriter(str(work / "kept"), compression=None)],
            tasks=workers, workers=workers, **quiet,
        ).run()
        seconds = time.perf_counter() - start
        pred, docs = {}, 0
        for folder in ("kept", "removed"):
            for path in sorted((work / folder).glob("*.jsonl")):
                for line in open(path, encoding="utf-8"):
                    rec = json.loads(line)
                    docs += 1
                    cid = rec.get("metadata", {}).get("minhash_cluster_id")
                    pred[str(rec["id"])] = None if cid in (None, -1) else f"c{cid}"
        return {"seconds": seconds, "docs": docs, "pred": pred}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    peer, corpus = sys.argv[1], Path(sys.argv[2])
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    if peer == "datasketch":
        result = datasketch_recipe(corpus)
    elif peer == "datatrove":
        result = datatrove_minhash(corpus, workers)
    else:
        raise SystemExit(f"unknown peer {peer!r}")
    # this process and every worker it waited for
    result["peak_rss_mb"] = max(own_peak_kb(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
