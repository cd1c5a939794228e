"""The speed and scale suite: ``normalize`` against its peers on one corpus.

For each size it builds a near-duplicate news corpus from
../shared/bench/base-articles-dev.jsonl with make_neardup.py (scale 15 gives
~10k documents of ~6 KB, scale 150 ~100k), then in one run times

* ``normalize run`` end to end: the full pipeline (normalise, strip, language,
  artefacts, dedup, write; no HTML report), docs/s, MB/s, peak RSS of the main
  process and of the largest worker, and cluster F1 against the corpus truth;
  with ``--runs N``, N times in a row: each run's figures, their median against
  the target of 1,500 docs/s, and whether every run wrote the same bytes; and
  the CPU time of all its processes, against the most a run can spend at the
  target's rate with every core busy from start to end (what it spends above
  that, no better use of the cores wins back);
* ``normalize report`` on that run's outputs: the review page that ``run``
  writes last unless told ``--no-report``, time and peak RSS;
* ``normalize dedup`` end to end: fingerprint and cluster only, the job the
  peers do;
* the datasketch textbook recipe (MinHash + MinHashLSH + union-find) and, when
  it is installed, datatrove's MinHash dedup pipeline with its defaults, each in
  its own process (see peers.py);
* MinHash signatures alone: ours (batch path) against datasketch's per-document
  ``update_batch`` on the same shingles;
* each per-document stage alone on one core.

and prints ratios, since the machines are shared and absolute times drift, and
the processor it ran on, since they differ from day to day. The figures also go
to benchmarks/out/suite-<docs>.json.

    python benchmarks/bench_suite.py --scale 15                 # ~10k documents
    python benchmarks/bench_suite.py --scale 15 --no-peers --runs 5
    python benchmarks/bench_suite.py --scale 150 --no-peers     # ~100k documents

datatrove 0.10 hashes ``str`` with xxhash, which xxhash >= 4 refuses; install it
in its own virtualenv with ``xxhash<4`` (plus regex, tokenizers, orjson, spacy)
and name that interpreter with ``--peer-python``.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import BENCH, OUT, build_corpus, time_report, time_run, time_stages  # noqa: E402

HERE = Path(__file__).resolve().parent


def score(truth: Path, pred: dict[str, str | None]) -> dict:
    """Pairwise precision/recall/F1 with the bench's own scorer."""
    spec = importlib.util.spec_from_file_location("score_clusters", BENCH / "score_clusters.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    stories = {}
    for line in open(truth, encoding="utf-8"):
        if line.strip():
            rec = json.loads(line)
            stories[rec["id"]] = rec["story"]
    return mod.score(stories, pred)


def predicted(documents: Path) -> dict[str, str | None]:
    pred = {}
    for line in open(documents, encoding="utf-8"):
        rec = json.loads(line)
        pred[str(rec["id"])] = rec.get("cluster_id")
    return pred


def has_module(python: str, module: str) -> bool:
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def run_peer(peer: str, corpus: Path, workers: int, python: str) -> dict | None:
    if not has_module(python, peer):
        return None
    proc = subprocess.run([python, str(HERE / "peers.py"), peer, str(corpus), str(workers)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"  {peer} failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else proc.returncode}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def signature_rates(corpus: Path, limit: int) -> dict:
    """bench_minhash.py on this corpus: signatures from prebuilt shingles (like for
    like with datasketch's ``update_batch``) and whole fingerprints, as ratios."""
    proc = subprocess.run([sys.executable, str(HERE / "bench_minhash.py"), str(corpus), "--docs", str(limit),
                           "--repeat", "2"], capture_output=True, text=True, check=True)
    ratios = {}
    for text in proc.stdout.splitlines():
        m = re.search(r"\(([\d.]+)x\)", text)
        if "like for like" in text and m:
            ratios["signatures_vs_datasketch"] = float(m.group(1))
        elif "batches of" in text and m:
            ratios["fingerprint_vs_datasketch"] = float(m.group(1))
    return ratios


# The end-to-end target of the speed issue, on two cores.
TARGET_DOCS_PER_S = 1500
# The outputs a run writes (the review page is not made: --no-report).
OUTPUTS = ("documents.jsonl", "rejected.jsonl", "clusters.jsonl", "summary.json")


def digest(outdir: Path) -> str:
    """One hash of a run's outputs, to tell whether two runs wrote the same bytes."""
    h = hashlib.sha256()
    for name in OUTPUTS:
        with open(outdir / name, "rb") as fh:  # (in chunks: a child's peak RSS may count this process's, see own_peak_kb)
            h.update(name.encode() + b"\0" + hashlib.file_digest(fh, "sha256").digest())
    return h.hexdigest()


def host() -> str:
    """The processor the figures come from, as Linux names it.

    The machines these suites run on change from one day to the next, and the
    same code has run at 1,301 docs/s on one and 2,228 on another: a figure
    means little without the machine it was measured on. The model name of a
    virtual machine is often generic, so the clock Linux measured at boot
    (bogomips, twice the clock on x86) and the widest vector instructions go
    with it."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown processor"
    first_core = info.split("\n\n", 1)[0]
    fields = {key.strip(): value.strip() for key, _, value in (row.partition(":") for row in first_core.splitlines())}
    flags = set(fields.get("flags", "").split())
    vector = next((name for flag, name in (("amx_tile", "AMX, AVX-512"), ("avx512f", "AVX-512"), ("avx2", "AVX2"))
                   if flag in flags), "no AVX2")
    return f"{fields.get('model name', 'unknown processor')}, bogomips {fields.get('bogomips', '?')}, {vector}"


def timed_runs(corpus: Path, workers: int, runs: int, mb: float) -> tuple[dict, list[dict]]:
    """``normalize run`` ``runs`` times in a row: the last run (its outputs stay)
    and every run's figures, each printed as it ends when there are several."""
    done: list[dict] = []
    for k in range(runs):
        full = time_run(corpus, workers)
        full["digest"] = digest(full["outdir"])
        done.append({key: full[key] for key in ("seconds", "docs_per_s", "cpu_seconds", "main_cpu_seconds",
                                                "peak_rss_main_mb", "peak_rss_any_process_mb", "digest")}
                    | {"load": os.getloadavg()[0]})
        if runs > 1:
            print(line(f"  run {k + 1} of {runs}", full["docs"], full["seconds"], mb, full["peak_rss_any_process_mb"])
                  + f"  {cpu(full['cpu_seconds'], full['seconds'], full['main_cpu_seconds'])}"
                  + f"  load {done[-1]['load']:.2f}")
    return full, done


def cpu(cpu_seconds: float, seconds: float, main_cpu_seconds: float) -> str:
    """A run's CPU time, all its processes, how many cores that kept busy on
    average, and the main process's share (the rest is its workers' and helpers')."""
    return f"CPU {cpu_seconds:5.1f} s ({cpu_seconds / seconds:.2f} cores; main process {main_cpu_seconds:4.1f} s)"


def line(label: str, docs: int, seconds: float, mb: float, rss: float | None = None, quality: dict | None = None) -> str:
    out = f"  {label:<34} {docs / seconds:8.0f} docs/s {mb / seconds:6.2f} MB/s {seconds:8.1f} s"
    if rss is not None:
        out += f"  peak RSS {rss:6.0f} MB"
    if quality:
        out += f"  P {quality['precision']:.3f} R {quality['recall']:.3f} F1 {quality['f1']:.3f}"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=int, default=15, help="make_neardup scale (15: ~10k docs, 150: ~100k)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-peers", action="store_true", help="skip datasketch and datatrove")
    ap.add_argument("--peer-python", default=os.environ.get("PEER_PYTHON", sys.executable),
                    help="interpreter that has datatrove installed (it pins its own xxhash; a separate "
                         "virtualenv keeps it apart) [$PEER_PYTHON or this one]")
    ap.add_argument("--stage-docs", type=int, default=1000, help="documents for the per-stage and signature timing")
    ap.add_argument("--runs", type=int, default=1,
                    help="times to run `normalize run` in a row (the machines are shared: the median of a few "
                         "says more than one run)")
    args = ap.parse_args()
    if not BENCH.is_dir():
        raise SystemExit(f"{BENCH} is not present")

    corpus, truth = build_corpus(args.scale)
    mb = corpus.stat().st_size / 1e6
    print(f"corpus {corpus.name}: {mb:.0f} MB; {args.workers} workers; load {os.getloadavg()[0]:.2f}"
          + ("; the package's bytecode written ahead (PYTHONDONTWRITEBYTECODE is set: see compile_bytecode)"
             if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""))
    processor = host()
    print(f"processor: {processor}")
    figures: dict = {"corpus": corpus.name, "mb": mb, "workers": args.workers, "load": os.getloadavg()[0],
                     "processor": processor}

    full, runs = timed_runs(corpus, args.workers, max(1, args.runs), mb)
    full_q = score(truth, predicted(full["outdir"] / "documents.jsonl"))
    docs = full["docs"]
    seconds = statistics.median(run["seconds"] for run in runs)
    label = "normalize run (full pipeline)" if len(runs) == 1 else f"normalize run, median of {len(runs)}"
    cpu_seconds = statistics.median(run["cpu_seconds"] for run in runs)
    main_cpu_seconds = statistics.median(run["main_cpu_seconds"] for run in runs)
    print(line(label, docs, seconds, mb, max(run["peak_rss_any_process_mb"] for run in runs), full_q))
    same = len({run["digest"] for run in runs}) == 1
    print(f"    target {TARGET_DOCS_PER_S:,} docs/s: {'met' if docs / seconds >= TARGET_DOCS_PER_S else 'not met'}"
          + (f" by the median; the {len(runs)} runs wrote {'the same bytes' if same else 'DIFFERENT OUTPUTS'}"
             if len(runs) > 1 else ""))
    # A run that keeps every core busy from start to end can spend at most this
    # much CPU at the target's rate: what a run spends above it, no scheduling wins back.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    budget = docs / TARGET_DOCS_PER_S * cores
    print(f"    {cpu(cpu_seconds, seconds, main_cpu_seconds)}{', medians' if len(runs) > 1 else ''}; "
          f"at {TARGET_DOCS_PER_S:,} docs/s "
          f"the {cores} cores give {budget:.1f} s at most")
    figures["run"] = {"docs": docs, "seconds": seconds, "docs_per_s": docs / seconds, "mb_per_s": mb / seconds,
                      "cpu_seconds": cpu_seconds, "main_cpu_seconds": main_cpu_seconds, "cpu_budget_at_target": budget,
                      "peak_rss_main_mb": max(run["peak_rss_main_mb"] for run in runs),
                      "peak_rss_any_process_mb": max(run["peak_rss_any_process_mb"] for run in runs),
                      "quality": full_q, "runs": runs, "same_outputs": same}

    report = time_report(full["outdir"])
    print(line("normalize report (review page)", docs, report["seconds"], mb, report["peak_rss_mb"])
          + f"  index.html {report['html_mb']:.1f} MB")
    figures["report"] = report

    dedup = time_run(corpus, args.workers, command="dedup")
    dedup_q = score(truth, predicted(dedup["outdir"] / "documents.jsonl"))
    print(line("normalize dedup (dedup only)", docs, dedup["seconds"], mb, dedup["peak_rss_any_process_mb"], dedup_q))
    figures["dedup"] = {k: dedup[k] for k in ("seconds", "docs_per_s", "peak_rss_any_process_mb")} | {"quality": dedup_q}

    if not args.no_peers:
        for peer, label in (("datasketch", "datasketch recipe (1 process)"), ("datatrove", "datatrove MinHash defaults")):
            got = run_peer(peer, corpus, args.workers, args.peer_python if peer == "datatrove" else sys.executable)
            if got is None:
                print(f"  {label:<34} not installed or failed")
                continue
            q = score(truth, got.pop("pred"))
            print(line(label, got["docs"], got["seconds"], mb, got["peak_rss_mb"], q))
            figures[peer] = got | {"quality": q}
            print(f"    speed ratio (peer time / ours): normalize dedup {got['seconds'] / dedup['seconds']:.2f}x, "
                  f"normalize run with every stage {got['seconds'] / seconds:.2f}x")

    ratios = signature_rates(corpus, args.stage_docs)
    print(f"  MinHash on one core, against datasketch update_batch: signatures "
          f"{ratios.get('signatures_vs_datasketch', float('nan')):.1f}x, "
          f"whole fingerprint {ratios.get('fingerprint_vs_datasketch', float('nan')):.1f}x")
    figures["signatures"] = ratios

    print(f"  per-stage, one core (CPU time), first {args.stage_docs} docs:")
    figures["stages"] = {}
    for name, rate in time_stages(corpus, args.stage_docs):
        print(f"    {name:30s} {rate:8.0f} docs/s")
        figures["stages"][name] = rate

    path = OUT / f"suite-{docs}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"figures written to {path}")


if __name__ == "__main__":
    main()
