"""``normalize run`` of this checkout against another, alternating, on one corpus.

usage: python benchmarks/bench_run_ab.py CORPUS.jsonl --baseline DIR [--rounds 2] [--workers 2]

DIR holds another copy of the package (its ``normalize`` folder), e.g. a
``git worktree add /tmp/base COMMIT``, built in place (``pip wheel`` or a copy
of this checkout's compiled files, when their sources are the same: the
``.so`` files under ``normalize/`` and the mypyc library at the top,
``*__mypyc*.so``, without which the compiled packages import their modules
from this checkout). Each run checks that every module of the package it ran
came from its own copy. The two run in turn, round after round,
so that both meet the same load on a shared machine; each run is a fresh
process, and the figures are its wall time, the CPU time of its main process
and that of its workers. Prints every run, then the medians and their ratio.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pipeline import OWN_PEAK_KB, compile_bytecode  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

_RUN = """
import resource, sys, time
sys.path.insert(0, {root!r})
from normalize.cli import cli
start = time.time()
try:
    code = cli.main(["run", {corpus!r}, "-o", {out!r}, "--no-report", "--workers", {workers!r}, "-q"],
                    standalone_mode=False)
except SystemExit as exit:
    code = exit.code
if code:  # a failed run is no figure
    sys.exit(f"normalize run exited with {{code}}")
strays = sorted(f"{{name}} from {{module.__file__}}" for name, module in list(sys.modules.items())
                if name.startswith("normalize") and getattr(module, "__file__", None)
                and not module.__file__.startswith({root!r} + "/"))
if strays:  # another copy's code would be measured
    sys.exit("imported from outside " + {root!r} + ": " + ", ".join(strays))
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
{own_peak}
print(time.time() - start, me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime, own_peak_kb() / 1024)
"""


def one_run(root: Path, corpus: Path, out: Path, workers: int) -> tuple[float, float, float, float]:
    code = _RUN.format(root=str(root), corpus=str(corpus), out=str(out), workers=str(workers), own_peak=OWN_PEAK_KB)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tempfile.gettempdir())
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    wall, main, workers_cpu, rss = map(float, proc.stdout.split()[-4:])
    return wall, main, workers_cpu, rss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--baseline", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if not (args.baseline / "normalize").is_dir():
        raise SystemExit(f"{args.baseline} holds no normalize package")
    for root in (args.baseline, REPO):  # (both import from bytecode)
        compile_bytecode(root)
    runs: dict[str, list[tuple[float, float, float, float]]] = {"baseline": [], "this": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for name, root in (("baseline", args.baseline), ("this", REPO)):
                figures = one_run(root.resolve(), args.corpus.resolve(), Path(tmp) / name, args.workers)
                runs[name].append(figures)
                print(f"round {r + 1} {name:8}  wall {figures[0]:7.1f} s  main CPU {figures[1]:7.1f} s  "
                      f"workers' CPU {figures[2]:7.1f} s  peak RSS {figures[3]:6.0f} MB", flush=True)
    median = {name: [statistics.median(f[i] for f in rows) for i in range(4)] for name, rows in runs.items()}
    for name, (wall, main_cpu, workers_cpu, rss) in median.items():
        print(f"median {name:8}  wall {wall:7.1f} s  main CPU {main_cpu:7.1f} s  workers' CPU {workers_cpu:7.1f} s  "
              f"peak RSS {rss:6.0f} MB")
    print(f"wall time, this / baseline: {median['this'][0] / median['baseline'][0]:.2f}")


if __name__ == "__main__":
    main()
