"""Memory of the clustering stage at scale, with generated signatures.

usage: python benchmarks/bench_dedup_memory.py [--docs 1000000] [--dup-rate 0.3]

Adds N documents to a Clusterer with synthetic MinHash signatures (random
signatures; a fraction are copies of an earlier one with a few positions
changed, so LSH finds real candidate groups), then runs ``finish`` with a
``text_of`` that regenerates a short text per document (verification needs
text; a real run reads it back from the spool). Prints the peak RSS of the
process after adding and after finishing, and the time of each phase.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from normalize.dedup import Clusterer, DedupSettings, Fingerprint  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--dup-rate", type=float, default=0.3)
    args = ap.parse_args()

    settings = DedupSettings()
    rng = np.random.default_rng(0)
    base_mb = peak_mb()
    clusterer = Clusterer(settings)
    story = np.empty(args.docs, dtype=np.int64)  # which story a generated document tells
    t0 = time.perf_counter()
    chunk = 10_000
    for start in range(0, args.docs, chunk):
        n = min(chunk, args.docs - start)
        sigs = rng.integers(0, 2**32, size=(n, settings.num_perm), dtype=np.uint32)
        copies = np.flatnonzero(rng.random(n) < args.dup_rate) if start else np.empty(0, np.int64)
        for i in range(n):
            story[start + i] = start + i
        if len(copies):
            src = rng.integers(0, start, size=len(copies))
            story[start + copies] = story[src]
            # a near copy: the source's signature with ~10% of positions changed
            for j, s in zip(copies.tolist(), src.tolist()):
                sig = clusterer._sigs.blocks[s >> 16][s & 0xFFFF].copy()
                mask = rng.random(settings.num_perm) < 0.1
                sig[mask] = rng.integers(0, 2**32, size=int(mask.sum()), dtype=np.uint32)
                sigs[j] = sig
        for i in range(n):
            pos = start + i
            clusterer.add(f"doc-{pos:07d}", Fingerprint(exact=pos, signature=sigs[i], n_shingles=100),
                          length=1000 + pos % 97)
    t_add = time.perf_counter() - t0
    after_add = peak_mb()

    words = [f"w{i}" for i in range(5000)]

    def text_of(pos: int) -> str:
        r = np.random.default_rng(int(story[pos]))
        return " ".join(words[k] for k in r.integers(0, len(words), 120))

    t0 = time.perf_counter()
    result = clusterer.finish(text_of)
    t_finish = time.perf_counter() - t0
    print(f"{args.docs} documents, num_perm={settings.num_perm}, bands={settings.bands}x{settings.rows}")
    print(f"add:    {t_add:6.1f} s, peak RSS {after_add:7.0f} MB (interpreter and imports: {base_mb:.0f} MB)")
    print(f"finish: {t_finish:6.1f} s, peak RSS {peak_mb():7.0f} MB; {len(result.clusters)} clusters, "
          f"{len(result.oversized)} oversized")


if __name__ == "__main__":
    main()
