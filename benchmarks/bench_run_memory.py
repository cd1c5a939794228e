"""Memory and disk of one whole ``normalize run``, phase by phase.

usage: python benchmarks/bench_run_memory.py CORPUS.jsonl [--workers 2] [--interval 1.0] [--tmp DIR]

A run is several processes (the main one, the workers of each pass, the helpers
that pair bands and verify candidates, the two that write cluster reports), so
peak RSS of one process says little about what the machine must hold. This
runs ``normalize run CORPUS --no-report`` and every ``--interval`` seconds
reads, for the run's whole process tree (Linux ``/proc``), the memory summed as
PSS (shared pages counted once), the largest RSS of any one process, and the
size of the run's temporary folder (``--tmp``, made empty for the run: the
workers' shelves live there). It prints each phase, a stretch with the same
number of processes (pass 1, the corpus-repeats step, pass 2, the clustering,
the reports and the writing), with its duration and peaks, then the totals.

Sampling costs a little CPU (the folder is walked each time): compare runs
sampled alike.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_pipeline import REPO, compile_bytecode

MB = 1 << 20


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # (gone meanwhile)
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def memory_kb(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of a process in kB; (0, 0) if it is gone."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def folder_bytes(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


def sample_run(args: list[str], tmp: Path, interval: float) -> tuple[int, float, list[tuple]]:
    """Run ``args`` with TMPDIR=tmp; (exit code, wall seconds, samples), each
    sample (seconds, processes, summed PSS kB, largest RSS kB, tmp bytes)."""
    env = dict(os.environ, TMPDIR=str(tmp))
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, cwd=REPO)  # (this checkout's package first)
    samples = []
    while proc.poll() is None:
        pids = process_tree(proc.pid)
        mem = [memory_kb(pid) for pid in pids]
        samples.append((time.perf_counter() - start, len(pids), sum(m[0] for m in mem),
                        max((m[1] for m in mem), default=0), folder_bytes(tmp)))
        time.sleep(interval)
    return proc.returncode, time.perf_counter() - start, samples


def phases(samples: list[tuple], wall: float) -> list[tuple[float, float, int, int, int]]:
    """(start, seconds, processes, peak PSS kB, peak RSS kB) of each stretch
    of samples with the same number of processes."""
    out: list[list] = []
    for t, n, pss, rss, _ in samples:
        if not out or out[-1][2] != n:
            if out:
                out[-1][1] = t - out[-1][0]
            out.append([t, 0.0, n, pss, rss])
        else:
            out[-1][3], out[-1][4] = max(out[-1][3], pss), max(out[-1][4], rss)
    if out:
        out[-1][1] = wall - out[-1][0]
    return [tuple(p) for p in out]  # type: ignore[misc]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--tmp", help="temporary folder for the run (emptied first) [a new one]")
    args = ap.parse_args()

    compile_bytecode()
    tmp = Path(args.tmp) if args.tmp else Path(tempfile.mkdtemp(prefix="bench-run-memory-"))
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    out = Path(tempfile.mkdtemp(prefix="bench-run-memory-out-", dir=tmp.parent))
    try:
        code, wall, samples = sample_run(
            [sys.executable, "-m", "normalize", "run", str(Path(args.corpus).resolve()), "-o", str(out), "--no-report", "-q",
             "--workers", str(args.workers)], tmp, args.interval)
        if code != 0:
            raise SystemExit(f"normalize run exited with {code}")
        docs = json.loads((out / "summary.json").read_text())["counts"]["read"]
    finally:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{docs:,} documents, {args.workers} workers: {wall:.1f} s ({docs / wall:,.0f} docs/s); "
          f"samples every {args.interval:g} s")
    print(f"{'phase start':>12} {'seconds':>8} {'processes':>9} {'PSS, all (MB)':>14} {'RSS, largest (MB)':>18}")
    for start, seconds, n, pss, rss in phases(samples, wall):
        print(f"{start:12.1f} {seconds:8.1f} {n:9d} {pss / 1024:14,.0f} {rss / 1024:18,.0f}")
    print(f"peaks: {max(s[2] for s in samples) / 1024:,.0f} MB PSS in all processes, "
          f"{max(s[3] for s in samples) / 1024:,.0f} MB RSS in one, "
          f"{max(s[4] for s in samples) / MB:,.0f} MB of temporary files")


if __name__ == "__main__":
    main()
