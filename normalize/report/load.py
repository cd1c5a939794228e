"""Read a run's output directory back in.

The report is built from the files a run leaves behind (the output contract),
never from in-memory pipeline state, so it can be rebuilt at any time from an
old OUTDIR, by a different version, or on another machine. Every file but the
documents is optional and every key in them is optional: a report that shows
less beats one that refuses to build.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator


@dataclass
class Outputs:
    """Everything the report needs from one OUTDIR."""

    documents: list[dict]
    clusters: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)


def read_jsonl(path: Path) -> Iterator[dict]:
    """Yield one dict per non-blank line; a torn last line (a killed run) is skipped."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                yield record


def read_documents(outdir: Path) -> list[dict]:
    """documents.jsonl, or documents.parquet (``--output-format parquet``)."""
    jsonl = outdir / "documents.jsonl"
    if jsonl.exists():
        return list(read_jsonl(jsonl))
    parquet = outdir / "documents.parquet"
    if parquet.exists():
        import pyarrow.parquet as pq  # only needed for parquet runs

        return pq.read_table(parquet).to_pylist()
    return []


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

    def optional(name: str) -> list[dict]:
        path = outdir / name
        return list(read_jsonl(path)) if path.exists() else []

    return Outputs(
        documents=read_documents(outdir),
        clusters=optional("clusters.jsonl"),
        rejected=optional("rejected.jsonl"),
        summary=summary,
    )
