"""What splitting a corpus between two workers costs the per-document stages.

usage: python benchmarks/bench_split.py CORPUS.jsonl [--docs 4000]

The stages remember what they work out about a line (its normal form, its
measurements, its language scores, its artefact facts), and news lines recur:
a site's chrome on every page, a story's paragraphs in every reprint. Two
workers each learn the lines of the documents they are handed, so a line met
by both is worked out twice. This counts the instructions (valgrind's
callgrind) of the per-document stages of ``normalize run`` (both passes, the
corpus-level step left out) over the first ``--docs`` documents: in one Python,
and split as a run splits them, in batches of 128 handed out in turn, one
Python per half. Each count is a Python's whole run less that of one that reads
the corpus and runs nothing (the same for all four). It also prints how many
distinct lines (not empty) the documents have, all together and in each half.

An instruction is not a nanosecond (see ``bench_instructions.py``), but the
count does not move with the load of a shared machine, and the halves are the
work a run's workers do, less what they do beside the stages.

Needs valgrind (``apt-get install valgrind``); each count runs some fifty times
slower than the stages run, two at a time.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BATCH = 128  # as normalize.engine.local hands documents to its workers

# What a counted Python runs: argv = corpus, documents, part ("all", "0", "1" or "none").
CHILD = """
import gc, itertools, json, sys
from normalize.document import Document, Source
from normalize.engine.local import apply_stages_to_batch, warm_up
from normalize.pipeline import stages_for
from normalize.settings import Settings
corpus, docs, part = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(corpus, encoding="utf-8") as fh:
    records = [json.loads(line) for line in itertools.islice(fh, docs)]
first, second = stages_for("run", Settings(corpus_repeats=False))
warm_up(first + second)
if part in ("all", "none"):
    mine = records if part == "all" else []
else:
    mine = [r for i, r in enumerate(records) if (i // %(batch)d) %% 2 == int(part)]
batch = [Document(id=str(i), text=r["text"], source=Source(corpus, i + 1)) for i, r in enumerate(mine)]
gc.freeze()
gc.set_threshold(20000, 50, 50)  # (as a worker: see normalize.engine.local._init)
for stages in (first, second[:3]):  # (language, artefacts, fingerprint; not the page lines' drop)
    out = []
    for k in range(0, len(batch), %(batch)d):
        out += apply_stages_to_batch(stages, batch[k:k + %(batch)d])
    batch = [d for d in out if isinstance(d, Document)]
""" % {"batch": BATCH}


def count(corpus: Path, docs: int, part: str) -> int:
    """Instructions of one Python running CHILD over ``part`` of the documents."""
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONHASHSEED="0")
    proc = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                           sys.executable, "-c", CHILD, str(corpus.resolve()), str(docs), part],
                          cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True)
    found = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
    if proc.returncode != 0 or found is None:
        raise SystemExit(f"callgrind failed for part {part}:\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def distinct_lines(corpus: Path, docs: int) -> tuple[int, int, int]:
    """Distinct lines (not empty) of the documents: all of them, then each half."""
    seen: list[set[str]] = [set(), set()]
    with open(corpus, encoding="utf-8") as fh:
        for i, line in enumerate(itertools.islice(fh, docs)):
            seen[(i // BATCH) % 2].update(filter(str.strip, json.loads(line)["text"].split("\n")))
    return len(seen[0] | seen[1]), len(seen[0]), len(seen[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--docs", type=int, default=4000)
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with ThreadPoolExecutor(2) as pool:  # two at a time: each is one process
        counts = dict(zip(("all", "none", "0", "1"),
                          pool.map(lambda part: count(args.corpus, args.docs, part), ("all", "none", "0", "1"))))
    base = counts["none"]
    whole, halves = counts["all"] - base, [counts[p] - base for p in ("0", "1")]
    together, first, second = distinct_lines(args.corpus, args.docs)
    print(f"the per-document stages over the first {args.docs:,} documents of {args.corpus.name}, "
          f"billions of instructions")
    print(f"  in one process            {whole / 1e9:8.3f}")
    print(f"  split in two, batches of {BATCH}: {halves[0] / 1e9:.3f} + {halves[1] / 1e9:.3f} = "
          f"{sum(halves) / 1e9:.3f} ({sum(halves) / whole:.3f} of one process's)")
    print(f"distinct lines, not empty: {together:,} in all; {first:,} + {second:,} = {first + second:,} "
          f"in the halves ({first + second - together:,} met in both)")


if __name__ == "__main__":
    main()
