"""Instructions each per-document stage executes, counted by valgrind (callgrind).

usage: python benchmarks/bench_instructions.py CORPUS.jsonl [--docs 2000] [--stages NAME ...] [--baseline DIR]

Run times on the shared machines swing by a third within the hour, more than
most changes to a stage move them; the instructions a stage executes over the
same documents do not swing at all. For each stage, the first ``--docs``
documents of the corpus are brought to it by the stages before it (by the
same copy of the package that is counted) and pickled. Then one Python under
callgrind loads them and runs the stage over them (in batches of 128, as a
worker does, where the stage works on a batch), and another only loads them:
the difference is the stage's count. Its line caches start empty, as in a
worker's first batch, so the count is that of a first pass over those
documents. ``--baseline DIR`` counts the same for another copy of the package
(a worktree of another commit, its compiled files built or copied in), on the
same documents (brought to each stage by its own stages), and prints the ratio.

An instruction is not a nanosecond: a cache miss costs many, and callgrind
counts none of that (the language stage's table look-ups are such misses). So
the counts rank the work a change removes or adds, and the run times (see
``bench_run_ab.py``) stay the judge of the whole.

Needs valgrind (``apt-get install valgrind``); each count runs the stage some
fifty times slower than it runs, two at a time.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

STAGES = ("Normalise", "StripBoilerplate", "SummariseLines", "DetectLanguage", "FindArtefacts", "Fingerprinter")

# What a counted Python runs: argv = stage name, "run" or "load", the pickled documents.
CHILD = """
import pickle, sys
name, mode, path = sys.argv[1:4]
with open(path, "rb") as fh:
    docs = pickle.load(fh)
from normalize.engine.local import warm_up
from normalize.pipeline import stages_for
from normalize.settings import Settings
from normalize.stages import SummariseLines
first, second = stages_for("run", Settings(corpus_repeats=False))
stage = {type(s).__name__: s for s in [*first, *second, SummariseLines()]}[name]
warm_up([stage])  # its tables loaded in both counts: they are the same for every batch
if mode == "run":
    if hasattr(stage, "batch"):
        for k in range(0, len(docs), 128):
            stage.batch(docs[k:k + 128])
    else:
        for doc in docs:
            stage(doc)
"""


# What a Python with one copy of the package first on its path runs to make the
# stages' inputs: argv = corpus, documents, folder. Each copy brings the documents
# to each stage with its own stages before it: a pickle of one copy's documents
# may not load in another (its classes pickle otherwise), and the documents are
# the same either way (a copy's outputs are compared byte for byte elsewhere).
# The corpus-level step between the passes is left out: it strips a few lines more.
PREPARE = """
import itertools, json, pickle, sys
from pathlib import Path
from normalize.document import Document, Source
from normalize.pipeline import stages_for
from normalize.settings import Settings
corpus, docs, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
first, second = stages_for("run", Settings(corpus_repeats=False))
normalise, strip, forget = first
language, artefacts, fingerprint = second[:3]
with open(corpus, encoding="utf-8") as fh:
    texts = [json.loads(line)["text"] for line in itertools.islice(fh, docs)]
batch = [Document(id=str(i), text=t, source=Source(corpus, i + 1)) for i, t in enumerate(texts)]
def keep(name):
    with open(folder / f"{name}.pickle", "wb") as fh:
        pickle.dump(batch, fh, protocol=pickle.HIGHEST_PROTOCOL)
keep("Normalise")
batch = [normalise(doc) for doc in batch]
keep("StripBoilerplate")
batch = [forget(strip(doc)) for doc in batch]
keep("DetectLanguage")
for k in range(0, len(batch), 128):
    language.batch(batch[k:k + 128])
keep("FindArtefacts")
batch = [artefacts(doc) for doc in batch]
keep("Fingerprinter")
"""
INPUT_OF = {stage: stage for stage in STAGES} | {"SummariseLines": "DetectLanguage"}


def stage_inputs(code: Path, corpus: Path, docs: int, folder: Path) -> dict[str, Path]:
    """The documents as each stage gets them in a run, made by ``code`` and pickled."""
    folder.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(code), PYTHONHASHSEED="0")
    proc = subprocess.run([sys.executable, "-c", PREPARE, str(corpus.resolve()), str(docs), str(folder)],
                          cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"making the stages' inputs failed with {code}:\n{proc.stderr[-2000:]}")
    return {stage: folder / f"{INPUT_OF[stage]}.pickle" for stage in STAGES}


def count(code: Path, stage: str, mode: str, inputs: Path) -> int:
    """Instructions of one Python running CHILD under callgrind, with ``code`` first on its path."""
    env = dict(os.environ, PYTHONPATH=str(code), PYTHONHASHSEED="0")  # (set orders move the count a little)
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-c", CHILD, stage, mode, str(inputs)],
        cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True)
    found = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
    if proc.returncode != 0 or found is None:
        raise SystemExit(f"callgrind failed for {stage} ({mode}) with {code}:\n{proc.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES)
    ap.add_argument("--baseline", type=Path, help="another copy of the package (a worktree), counted alike")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")

    codes = [("this", REPO)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    with tempfile.TemporaryDirectory() as tmp:
        with ThreadPoolExecutor(2) as pool:  # two at a time: each is one process
            inputs = dict(zip([label for label, _ in codes], pool.map(
                lambda item: stage_inputs(item[1], args.corpus, args.docs, Path(tmp) / item[0]), codes)))
            jobs = [(label, code, stage, mode) for stage in args.stages for label, code in codes
                    for mode in ("run", "load")]
            counts = dict(zip(jobs, pool.map(lambda job: count(job[1], job[2], job[3], inputs[job[0]][job[2]]),
                                             jobs)))

    print(f"billions of instructions over the first {args.docs:,} documents of {args.corpus.name}"
          " (the stage's: its run less loading the documents)")
    header = f"{'stage':18s}{'this':>10s}"
    if args.baseline:
        header += f"{'baseline':>10s}{'ratio':>8s}"
    print(header)
    for stage in args.stages:
        mine = counts[("this", REPO, stage, "run")] - counts[("this", REPO, stage, "load")]
        row = f"{stage:18s}{mine / 1e9:10.3f}"
        if args.baseline:
            code = args.baseline.resolve()
            theirs = counts[("baseline", code, stage, "run")] - counts[("baseline", code, stage, "load")]
            row += f"{theirs / 1e9:10.3f}{mine / theirs:8.3f}"
        print(row)


if __name__ == "__main__":
    main()
