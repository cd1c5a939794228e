"""The duplicate-cluster review report: one offline HTML page and a Markdown digest.

``build_report(outdir)`` reads a run's output directory (documents, clusters,
rejected records, summary) and writes ``index.html`` (overview charts,
searchable cluster and document lists, side-by-side diffs of each cluster
against its kept copy) and ``summary.md`` beside them.
"""
from .build import build_report, render_summary_md

__all__ = ["build_report", "render_summary_md"]
