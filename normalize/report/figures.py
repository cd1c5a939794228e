"""The headline figures of a run, complete even when summary.json is not.

summary.json is what the run itself counted and is trusted first; anything it
lacks (an older writer, a hand-made OUTDIR, a run killed before the summary)
is recounted from the documents, clusters and rejected records, so the
overview, the Markdown digest and the charts always agree with each other.
"""
from __future__ import annotations

from collections import Counter

from .load import Outputs


def _count(values) -> dict:
    """A Counter as a plain dict, most common first, ties by name (deterministic)."""
    return dict(sorted(Counter(values).items(), key=lambda kv: (-kv[1], str(kv[0]))))


def _sorted_desc(mapping: dict) -> dict:
    clean = {}
    for key, value in (mapping or {}).items():
        try:
            clean[str(key)] = int(value)
        except (TypeError, ValueError):
            continue
    return dict(sorted(clean.items(), key=lambda kv: (-kv[1], kv[0])))


def cluster_sizes(outputs: Outputs) -> dict[int, int]:
    """{cluster size: number of clusters}, from clusters.jsonl or else the documents."""
    if outputs.clusters:
        sizes = [int(c.get("size") or len(c.get("members") or [])) for c in outputs.clusters]
    else:
        per_cluster = Counter(d.get("cluster_id") for d in outputs.documents if d.get("cluster_id") is not None)
        sizes = list(per_cluster.values())
    return dict(sorted(Counter(s for s in sizes if s >= 2).items()))


def complete_summary(outputs: Outputs) -> dict:
    """summary.json with every figure the report shows filled in."""
    given = outputs.summary or {}
    docs = outputs.documents
    counts = dict(given.get("counts") or {})
    duplicates = sum(1 for d in docs if d.get("duplicate_of") is not None)
    counts.setdefault("rejected", len(outputs.rejected))
    counts.setdefault("kept", len(docs) - duplicates)
    counts.setdefault("duplicates", duplicates)
    counts.setdefault("read", len(docs) + int(counts["rejected"]))

    sizes = cluster_sizes(outputs)
    given_clusters = dict(given.get("clusters") or {})
    if given_clusters.get("sizes"):
        sizes = {int(k): int(v) for k, v in given_clusters["sizes"].items()}
        sizes = dict(sorted(sizes.items()))
    clusters = {
        "count": int(given_clusters.get("count", sum(sizes.values()))),
        "largest": int(given_clusters.get("largest", max(sizes, default=0))),
        "sizes": sizes,
    }

    languages = given.get("languages") or _count(d.get("lang") or "und" for d in docs)
    reasons = given.get("removal_reasons") or _count(
        r.get("reason") or "?" for d in docs for r in (d.get("removed") or [])
    )
    kinds = given.get("artefact_kinds") or _count(
        a.get("kind") or "?" for d in docs for a in (d.get("artefacts") or [])
    )
    rejected_reasons = given.get("rejection_reasons") or _count(r.get("reason") or "?" for r in outputs.rejected)
    return {
        "version": given.get("version"),
        "counts": {k: int(counts[k]) for k in ("read", "kept", "duplicates", "rejected")},
        "languages": _sorted_desc(languages),
        "removal_reasons": _sorted_desc(reasons),
        "artefact_kinds": _sorted_desc(kinds),
        "rejection_reasons": rejected_reasons,
        "translations": given.get("translations") or sum(1 for d in docs if (d.get("translation") or {}).get("suspected")),
        "clusters": clusters,
        "settings": given.get("settings") or {},
        "inputs": given.get("inputs") or [],
    }
