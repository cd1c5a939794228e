"""The library API that the commands are thin wrappers over.

>>> from normalize import run, Settings
>>> summary = run(["seeds"], "reports/seeds")              # doctest: +SKIP
>>> summary["counts"]                                      # doctest: +SKIP
{'read': 5, 'kept': 5, 'duplicates': 0, 'rejected': 0}
"""
from __future__ import annotations

import gc
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO, Callable, Iterable, Optional

from .errors import RunError
from .pipeline import Pipeline
from .read import check_inputs, read_inputs
from .settings import Settings
from .write.outputs import JsonlWriter, OutputDir
from .write.parquet import ParquetWriter
from .write.summary import Tally

Progress = Callable[[Tally], None]


def make_engine(settings: Settings):
    if settings.engine == "spark":
        from .engine.spark import SparkEngine

        if settings.index:  # refused before any work is done, not after the first pass
            raise RunError("--index (incremental dedup) is not supported with --engine spark; run it with --engine local")

        return SparkEngine(settings.spark_master, settings.workers)
    if settings.engine != "local":
        raise RunError(f"unknown engine {settings.engine!r} (local or spark)")
    from .engine.local import LocalEngine

    return LocalEngine(settings.workers)


def _start(inputs: Iterable[str], settings: Settings, command: str) -> tuple[list[str], Pipeline]:
    """Check the inputs before anything is written, and set up the pipeline."""
    inputs = list(inputs)
    check_inputs(inputs)
    return inputs, Pipeline(settings, command, engine=make_engine(settings))


@contextmanager
def fewer_collections():
    """Run the cyclic garbage collector less often while a command runs.

    A run allocates and drops millions of small objects (records, lines,
    pickles) with hardly a reference cycle among them, while the collector,
    every 700 allocations, looks through the young objects and now and then
    through all of them: the clusterer's tables, the tallies. Waiting for
    20,000 saves a few per cent of the run; the previous thresholds come back
    afterwards. (The worker processes set their own; see the local engine.)
    """
    before = gc.get_threshold()
    gc.set_threshold(20000, 50, 50)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def run(
    inputs: Iterable[str],
    outdir: str | Path,
    settings: Settings = Settings(),
    command: str = "run",
    stdin: Optional[BinaryIO] = None,
    progress: Optional[Progress] = None,
) -> dict:
    """Process ``inputs`` into ``outdir``: documents, rejections, clusters, summary, report."""
    with fewer_collections():
        summary = _run(inputs, outdir, settings, command, stdin, progress)
    if settings.report and command == "run":
        from .report import build_report

        build_report(Path(outdir))
    return summary


def _run(inputs: Iterable[str], outdir: str | Path, settings: Settings, command: str,
         stdin: Optional[BinaryIO], progress: Optional[Progress]) -> dict:
    inputs, pipeline = _start(inputs, settings, command)
    out = OutputDir(outdir)
    try:
        if settings.output_format == "parquet":
            documents = ParquetWriter(out.temp("documents.parquet"))
        elif settings.output_format == "jsonl":
            documents = JsonlWriter(out.open_binary("documents.jsonl"))
            pipeline.json_lines = True
        else:
            raise RunError(f"unknown output format {settings.output_format!r} (jsonl or parquet)")
        rejected = JsonlWriter(out.open_binary("rejected.jsonl"))
        clusters = JsonlWriter(out.open_binary("clusters.jsonl"))
        for kind, payload in pipeline.events(read_inputs(inputs, settings.read_options, stdin, raw=True)):
            if kind == "document":
                documents.write(payload)
                if progress:
                    progress(pipeline.tally)
            elif kind == "rejected":
                rejected.write(payload.as_dict())
            else:
                clusters.write(payload)
        for writer in (documents, rejected, clusters):
            writer.close()
        summary = pipeline.summary(inputs)
        with out.open_text("summary.json") as fh:
            fh.write(dumps_pretty(summary))
        out.commit()
    except BaseException:
        out.abort()
        raise
    return summary


def stream(
    inputs: Iterable[str],
    output: IO[str],
    settings: Settings = Settings(),
    command: str = "clean",
    stdin: Optional[BinaryIO] = None,
    on_reject: Optional[Callable] = None,
) -> dict:
    """Per-document commands (clean, lang): JSON lines out as they are made."""
    inputs, pipeline = _start(inputs, settings, command)
    pipeline.json_lines = True
    with fewer_collections():
        for kind, payload in pipeline.events(read_inputs(inputs, settings.read_options, stdin, raw=True)):
            if kind == "document":
                output.write((payload.decode("utf-8") if isinstance(payload, bytes) else payload) + "\n")
            elif kind == "rejected" and on_reject:
                on_reject(payload)
    output.flush()
    return pipeline.summary(inputs)


def dumps_pretty(summary: dict) -> str:
    import json

    return json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


class RateMeter:
    """A progress line on stderr: counts and documents per second."""

    def __init__(self, stream=sys.stderr, every: float = 0.5):
        self.stream = stream
        self.every = every
        self.start = time.monotonic()
        self.last = 0.0

    def __call__(self, tally: Tally) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        done = tally.kept + tally.duplicates
        rate = done / max(now - self.start, 1e-9)
        self.stream.write(f"\r{done:,} documents written, {tally.rejected:,} rejected, {rate:,.0f} docs/s ")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
