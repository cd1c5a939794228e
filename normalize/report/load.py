"""Read a run's output directory back in, one record at a time.

The report is built from the files a run leaves behind (the output contract),
never from in-memory pipeline state, so it can be rebuilt at any time from an
old OUTDIR, by a different version, or on another machine. Every file but the
documents is optional and every key in them is optional: a report that shows
less beats one that refuses to build.

The files are streamed, never loaded whole: 100,000 documents are some 700 MB
of JSON and several GB as Python dicts, while the report keeps only a few
hundred bytes of each (see embed.py). ``Records`` is a file reader that can be
iterated again, so a figure summary.json lacks can be recounted with another
pass instead of a copy kept in memory.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import orjson


@dataclass
class Outputs:
    """Everything the report needs from one OUTDIR: lists, or ``Records`` read on demand."""

    documents: Iterable[dict]
    clusters: Iterable[dict] = field(default_factory=list)
    rejected: Iterable[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)


def _loads(line: bytes):
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        # orjson refuses what json accepts, such as an escaped lone surrogate.
        return json.loads(line)


def read_jsonl(path: Path) -> Iterator[dict]:
    """Yield one dict per non-blank line; a torn last line (a killed run) is skipped."""
    with open(path, "rb") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                record = _loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def _read_parquet(path: Path, batch_rows: int = 1024) -> Iterator[dict]:
    import pyarrow.parquet as pq  # only needed for parquet runs

    # pre_buffer=False: by default pyarrow reads the whole file ahead (400 MB held at 100k documents)
    with pq.ParquetFile(path, pre_buffer=False) as table:
        for batch in table.iter_batches(batch_size=batch_rows):
            yield from batch.to_pylist()


@dataclass(frozen=True)
class Records:
    """The records of one output file (JSONL or Parquet); each iteration reads it afresh."""

    path: Path

    def __iter__(self) -> Iterator[dict]:
        if not self.path.exists():
            return iter(())
        if self.path.suffix == ".parquet":
            return _read_parquet(self.path)
        return read_jsonl(self.path)


def documents_file(outdir: Path) -> Path:
    """documents.jsonl, or documents.parquet (``--output-format parquet``)."""
    jsonl = outdir / "documents.jsonl"
    parquet = outdir / "documents.parquet"
    return parquet if parquet.exists() and not jsonl.exists() else jsonl


def read_outputs(outdir: str | Path) -> Outputs:
    outdir = Path(outdir)
    if not outdir.is_dir():
        raise FileNotFoundError(f"no such output directory: {outdir}")
    summary: dict = {}
    summary_path = outdir / "summary.json"
    if summary_path.exists():
        try:
            loaded = json.loads(summary_path.read_text("utf-8"))
            summary = loaded if isinstance(loaded, dict) else {}
        except json.JSONDecodeError:
            summary = {}
    return Outputs(
        documents=Records(documents_file(outdir)),
        clusters=Records(outdir / "clusters.jsonl"),
        rejected=Records(outdir / "rejected.jsonl"),
        summary=summary,
    )
