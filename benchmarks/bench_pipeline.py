"""End-to-end and per-stage speed of ``normalize run``, with cluster quality.

Builds a near-duplicate corpus from ../shared/bench/base-articles-dev.jsonl with
make_neardup.py (about 725 x SCALE documents), then

* times ``normalize run`` end to end as a subprocess (docs/s, MB/s, the CPU time
  of all its processes, peak RSS of the main process and of the largest worker),
* times each per-document stage alone in this process (docs/s on one core),
* scores the clusters against the corpus's truth with score_clusters.py.

    python benchmarks/bench_pipeline.py --scale 1
    python benchmarks/bench_pipeline.py --scale 14 --workers 2     # ~10k documents

The machines are shared and noisy: compare ratios measured in one run.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO.parent / "shared" / "bench"
OUT = REPO / "benchmarks" / "out"


def build_corpus(scale: int, seed: int = 1) -> tuple[Path, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    corpus, truth = OUT / f"neardup-x{scale}.jsonl", OUT / f"neardup-x{scale}.truth.jsonl"
    if not corpus.exists():
        subprocess.run(
            [sys.executable, str(BENCH / "make_neardup.py"), str(BENCH / "base-articles-dev.jsonl"), "dev",
             str(seed), str(corpus), str(truth), str(scale)],
            check=True,
        )
    return corpus, truth


def compile_bytecode(root: Path = REPO) -> None:
    """Write the bytecode of ``root``'s package ahead, as Python does on first
    import: where PYTHONDONTWRITEBYTECODE is set (as on the machines these
    figures come from), an editable install would otherwise compile every
    module from source at the start of every run, 0.13 s of each (on a run of
    20 documents: 0.74 against 0.61 s, three runs each), which no installed
    copy pays. ``compileall`` writes it whatever that variable says."""
    import compileall

    compileall.compile_dir(str(root / "normalize"), quiet=1)


def own_peak_kb() -> int:
    """This process's peak RSS in KB: ``VmHWM`` where Linux gives it. After an
    exec, Linux's ``ru_maxrss`` keeps the peak of the process that spawned this
    one when that is the larger, so a command run by a large benchmark process
    would report the benchmark's size (`normalize report`, 120 MB alone, read
    312 MB under a parent of 312 MB). The code strings that time a run in a
    Python of its own take this function's source (:data:`OWN_PEAK_KB`)."""
    import resource

    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


OWN_PEAK_KB = inspect.getsource(own_peak_kb)

# runs the CLI with its arguments, then reports its own peak RSS, its workers'
# (its children's) largest, and its own CPU seconds (its threads' included)
_CLI_WITH_PEAKS = (
    "import resource, sys\n"
    "from normalize.cli import cli\n"
    + OWN_PEAK_KB +
    "try:\n    cli(prog_name='normalize')\n"
    "finally:\n    me = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    sys.stderr.write('MAXRSS_KB %d %d %.3f\\n' % (own_peak_kb(),\n"
    "                     resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, me.ru_utime + me.ru_stime))\n"
)


def children_cpu() -> float:
    """CPU seconds (user and system) of this process's children that have ended,
    their own waited-for children included: a command's workers and helpers."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


class Timed(NamedTuple):
    """What :func:`timed_cli` measures of one command."""

    seconds: float
    main_rss_mb: float  # peak RSS of the command's own process
    child_rss_mb: float  # of its largest child
    cpu_seconds: float  # of all its processes, user and system
    main_cpu_seconds: float  # of its own process (all its threads), up to its last line


def timed_cli(*args: str) -> Timed:
    """:class:`Timed` figures of ``normalize ARGS``, run in a Python of its own."""
    compile_bytecode()
    cpu = children_cpu()
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _CLI_WITH_PEAKS, *args], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    cpu = children_cpu() - cpu
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    main_kb, child_kb, main_cpu = proc.stderr.rsplit("MAXRSS_KB", 1)[1].split()[:3]
    return Timed(seconds, int(main_kb) / 1024, int(child_kb) / 1024, cpu, float(main_cpu))


def time_run(corpus: Path, workers: int, command: str = "run") -> dict:
    outdir = OUT / f"{command}-{corpus.stem}"
    timed = timed_cli(command, str(corpus), "-o", str(outdir), "--workers", str(workers), "-q",
                      *(["--no-report"] if command == "run" else []))
    summary = json.loads((outdir / "summary.json").read_text())
    n = summary["counts"]["read"]
    mb = corpus.stat().st_size / 1e6
    return {"docs": n, "seconds": timed.seconds, "docs_per_s": n / timed.seconds, "mb_per_s": mb / timed.seconds,
            "cpu_seconds": timed.cpu_seconds, "main_cpu_seconds": timed.main_cpu_seconds,
            "peak_rss_main_mb": timed.main_rss_mb,
            "peak_rss_any_process_mb": max(timed.main_rss_mb, timed.child_rss_mb),
            "outdir": outdir, "summary": summary}


def time_report(outdir: Path) -> dict:
    """``normalize report OUTDIR``: the review page rebuilt from a run's outputs, as ``run`` builds it."""
    timed = timed_cli("report", str(outdir))
    return {"seconds": timed.seconds, "peak_rss_mb": timed.main_rss_mb,
            "html_mb": (outdir / "index.html").stat().st_size / 1e6}


def time_stages(corpus: Path, limit: int) -> list[tuple[str, float]]:
    """Per-document stages alone, one core, in pipeline order, as the engine runs
    them (tables loaded first, batches of 32); CPU seconds of this process."""
    from normalize.document import Document, Source
    from normalize.engine.local import BATCH, apply_stages_to_batch, warm_up
    from normalize.settings import Settings
    from normalize.stages import stages_for

    texts = [json.loads(l)["text"] for l, _ in zip(open(corpus, encoding="utf-8"), range(limit))]
    docs = [Document(id=str(i), text=t, source=Source("bench", i)) for i, t in enumerate(texts)]
    first, second = stages_for("run", Settings(corpus_repeats=False))
    warm_up(first + second)
    rows = []
    for stage in first + second:
        start = time.process_time()
        out = []
        for i in range(0, len(docs), BATCH):
            out += apply_stages_to_batch([stage], docs[i : i + BATCH])
        docs = [d for d in out if isinstance(d, Document)]
        rows.append((getattr(stage, "name", type(stage).__name__), len(out) / (time.process_time() - start)))
    return rows


def score(truth: Path, documents: Path) -> str:
    proc = subprocess.run([sys.executable, str(BENCH / "score_clusters.py"), str(truth), str(documents)],
                          capture_output=True, text=True, check=True)
    return proc.stdout.strip().splitlines()[-1] + "  " + proc.stdout.strip().splitlines()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--stage-docs", type=int, default=2000, help="documents for the per-stage timing")
    args = ap.parse_args()
    if not BENCH.is_dir():
        raise SystemExit(f"{BENCH} is not present")
    corpus, truth = build_corpus(args.scale)
    print(f"corpus: {corpus.name} ({corpus.stat().st_size / 1e6:.1f} MB)")
    result = time_run(corpus, args.workers)
    print(f"normalize run, {args.workers} workers: {result['docs']} docs in {result['seconds']:.1f} s = "
          f"{result['docs_per_s']:.0f} docs/s, {result['mb_per_s']:.2f} MB/s; {result['cpu_seconds']:.1f} s of CPU "
          f"({result['cpu_seconds'] / result['seconds']:.2f} cores; the main process "
          f"{result['main_cpu_seconds']:.1f} s); "
          f"peak RSS main "
          f"{result['peak_rss_main_mb']:.0f} MB, largest process {result['peak_rss_any_process_mb']:.0f} MB")
    print("clusters vs truth:", score(truth, result["outdir"] / "documents.jsonl"))
    print(f"per-stage, one core (CPU time), first {args.stage_docs} docs, first pass over their lines:")
    for name, rate in time_stages(corpus, args.stage_docs):
        print(f"  {name:28s} {rate:10.0f} docs/s")


if __name__ == "__main__":
    main()
