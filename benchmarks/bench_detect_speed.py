"""Speed of the detect stages (``DetectLanguage``, ``FindArtefacts``) and of
``detect_language`` on paragraphs, CPU time on one core.

    python benchmarks/bench_detect_speed.py [--bench ../shared/bench] [--docs N] [--repeat R]
    python benchmarks/bench_detect_speed.py --before DIR [--rounds 3]

``--before DIR``: DIR holds another copy of the ``normalize`` package (say the
last commit's ``normalize/detect`` over a copy of this tree's ``normalize``);
this script then runs in turn under DIR and under this tree, ``--rounds``
times each, and prints the best figure of each with their ratio. Alternating
keeps the two comparable on a machine whose load changes from minute to minute.

The documents are the texts of ``neardup-dev.jsonl`` (about 6 KB of page
chrome and article each), cleaned by ``Normalise`` and ``StripBoilerplate``
first, as the pipeline runs them. Each stage is timed in the engine's batches
(``apply_stages_to_batch``, which uses a stage's ``batch`` method) and, for
``DetectLanguage``, one document at a time too. ``FindArtefacts`` caches what
it learns about a line on the line's text, so it is timed on first sight
(caches cleared before each run) and again with the caches warm; so is
``DetectLanguage``, which remembers the n-gram sums of the lines it has
scored (first sight: that memory cleared before each run; within a run, the
lines a page shares with pages before it are still found there).

Paragraphs are the benchmark's sentences joined five at a time per language,
as ``bench_langid.py`` builds them. Each figure is the best of ``--repeat``
runs (the machine may be shared: compare figures of one run, not across days).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BENCH = REPO.parent / "shared" / "bench"
sys.path.insert(0, str(REPO / "benchmarks"))
if os.environ.get("BENCH_NORMALIZE_FROM"):  # (--before) the package from that folder, not the installed one
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", "")]
    sys.path.insert(0, os.environ["BENCH_NORMALIZE_FROM"])


def cleaned_docs(bench: Path, limit: int):
    from normalize.document import Document, Source
    from normalize.stages import clean_stages

    rows = [json.loads(line) for line, _ in zip(open(bench / "neardup-dev.jsonl", encoding="utf-8"), range(limit))]
    docs = [Document(id=r["id"], text=r["text"], source=Source("bench", i)) for i, r in enumerate(rows)]
    for stage in clean_stages():
        docs = [stage(d) for d in docs]
    return docs


def best_rate(run, n: int, repeat: int, before=None) -> float:
    """Items per CPU second, best of ``repeat`` runs (``before`` runs untimed first)."""
    best = 0.0
    for _ in range(repeat):
        if before:
            before()
        t = time.process_time()
        run()
        best = max(best, n / (time.process_time() - t))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    ap.add_argument("--docs", type=int, default=725)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--before", type=Path, help="a folder holding another copy of the normalize package")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # (one run, figures as JSON)
    args = ap.parse_args()
    if args.before:
        compare(args)
        return

    from bench_langid import load_items
    from normalize.detect.artefacts import FindArtefacts, clear_line_caches
    from normalize.detect.language import DetectLanguage, detect_language
    try:
        from normalize.detect.langid.memo import MEMO
    except ImportError:  # a version without the memory of lines (--before)
        MEMO = set()
    from normalize.engine.local import BATCH, apply_stages_to_batch

    items = load_items(args.bench, 5)
    paragraphs = [it["text"] for it in items if it["kind"] == "paragraph"]
    sentences = [it["text"] for it in items if it["kind"] == "sentence"]
    docs = cleaned_docs(args.bench, args.docs)
    size = sum(len(d.text) for d in docs) / len(docs)
    print(f"{len(docs)} cleaned documents ({size:.0f} chars of text each), {len(paragraphs)} paragraphs, "
          f"{len(sentences)} sentences; best of {args.repeat}, CPU time, one core")

    detect_language("warm up")
    lang = DetectLanguage()
    arte = FindArtefacts()
    fresh = [copy.deepcopy(docs) for _ in range(2)]

    def batches(stage, ds):
        for k in range(0, len(ds), BATCH):
            apply_stages_to_batch([stage], ds[k:k + BATCH])

    def forget():  # both stages remember what they learnt about a line's text
        MEMO.clear()

    rows = [
        ("detect_language, paragraphs", best_rate(lambda: [detect_language(p) for p in paragraphs],
                                                  len(paragraphs), args.repeat)),
        ("detect_language, sentences", best_rate(lambda: [detect_language(s) for s in sentences],
                                                 len(sentences), args.repeat)),
        ("DetectLanguage, one by one, first sight", best_rate(lambda: [lang(d) for d in fresh[0]], len(docs),
                                                              args.repeat, forget)),
        (f"DetectLanguage, batches of {BATCH}, first sight", best_rate(lambda: batches(lang, fresh[1]),
                                                                         len(docs), args.repeat, forget)),
        (f"DetectLanguage, batches of {BATCH}, lines known", best_rate(lambda: batches(lang, fresh[1]),
                                                                         len(docs), args.repeat)),
    ]
    # FindArtefacts reads doc.lang and the line languages: give it the documents
    # DetectLanguage has just labelled (artefacts reset before each run)
    labelled = fresh[1]

    def reset():
        for d in labelled:
            d.artefacts = []

    def first_sight():
        reset()
        clear_line_caches()

    rows.append(("FindArtefacts, first sight", best_rate(lambda: batches(arte, labelled), len(docs),
                                                         args.repeat, first_sight)))
    rows.append(("FindArtefacts, caches warm", best_rate(lambda: batches(arte, labelled), len(docs),
                                                         args.repeat, reset)))
    if args.json:
        print(json.dumps(dict(rows)))
        return
    for name, rate in rows:
        print(f"  {name:46s} {rate:8.0f} /s")


def compare(args) -> None:
    """Run this script under ``args.before`` and under this tree in turn; best of each."""
    cmd = [sys.executable, __file__, "--json", "--repeat", "1", "--docs", str(args.docs), "--bench", str(args.bench)]
    best: dict[str, dict[str, float]] = {"before": {}, "after": {}}
    for _ in range(args.rounds):
        for label, path in (("before", args.before), ("after", REPO)):
            env = dict(os.environ, BENCH_NORMALIZE_FROM=str(path))
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
            for name, rate in json.loads(out.strip().splitlines()[-1]).items():
                best[label][name] = max(best[label].get(name, 0.0), rate)
    print(f"best of {args.rounds} alternating runs, CPU time, one core; before: {args.before}")
    for name, after in best["after"].items():
        before = best["before"].get(name)
        ratio = f"x{after / before:.2f}" if before else ""
        print(f"  {name:46s} {before or float('nan'):8.0f} -> {after:8.0f} /s  {ratio}")


if __name__ == "__main__":
    main()
