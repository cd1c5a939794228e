"""Where ``normalize run`` spends its time: a pyinstrument profile of one run.

The run uses one worker, so every stage executes in the profiled process and
the profile shows the per-document stages and the corpus-level steps (corpus
repeats, clustering, writing) side by side. Prints the call tree trimmed to
frames above ``--min-share`` of the total, and the seconds of each top-level
step; ``--html PATH`` also saves pyinstrument's interactive page.

    pip install pyinstrument
    python benchmarks/profile_run.py benchmarks/out/neardup-x15.jsonl --docs 3000
"""
from __future__ import annotations

import argparse
import itertools
import json
import tempfile
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--command", default="run")
    ap.add_argument("--min-share", type=float, default=0.02)
    ap.add_argument("--html")
    args = ap.parse_args()

    from pyinstrument import Profiler

    from normalize import api
    from normalize.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample.jsonl"
        with open(args.corpus, encoding="utf-8") as src, open(sample, "w", encoding="utf-8") as dst:
            for line in itertools.islice(src, args.docs):
                json.loads(line)
                dst.write(line)
        profiler = Profiler(interval=0.005)
        profiler.start()
        api.run([str(sample)], Path(tmp) / "out", Settings(workers=1, report=False), command=args.command)
        profiler.stop()
    print(profiler.output_text(unicode=True, color=False,
                               processor_options={"filter_threshold": args.min_share}))
    if args.html:
        Path(args.html).write_text(profiler.output_html(), encoding="utf-8")


if __name__ == "__main__":
    main()
