"""The headline figures of a run, complete even when summary.json is not.

summary.json is what the run itself counted and is trusted first; anything it
lacks (an older writer, a hand-made OUTDIR, a run killed before the summary)
is recounted from the documents, clusters and rejected records, so the
overview, the Markdown digest and the charts always agree with each other.
The files are read again only for a figure that is missing: a run's own
summary.json has them all.
"""
from __future__ import annotations

from collections import Counter

from .load import Outputs


def _ranked(counts: Counter) -> dict:
    """A Counter as a plain dict, most common first, ties by name (deterministic)."""
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))


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
    sizes = [int(c.get("size") or len(c.get("members") or [])) for c in outputs.clusters]
    if not sizes:
        per_cluster = Counter(d.get("cluster_id") for d in outputs.documents if d.get("cluster_id") is not None)
        sizes = list(per_cluster.values())
    return dict(sorted(Counter(s for s in sizes if s >= 2).items()))


class DocumentFigures:
    """What one pass over the documents counts, for the figures summary.json lacks."""

    def __init__(self, documents):
        self.documents = self.duplicates = self.translations = 0
        languages, reasons, kinds = Counter(), Counter(), Counter()
        for d in documents:
            self.documents += 1
            self.duplicates += d.get("duplicate_of") is not None
            self.translations += bool((d.get("translation") or {}).get("suspected"))
            languages[d.get("lang") or "und"] += 1
            reasons.update(r.get("reason") or "?" for r in (d.get("removed") or []))
            kinds.update(a.get("kind") or "?" for a in (d.get("artefacts") or []))
        self.languages, self.reasons, self.kinds = _ranked(languages), _ranked(reasons), _ranked(kinds)


def complete_summary(outputs: Outputs) -> dict:
    """summary.json with every figure the report shows filled in."""
    given = outputs.summary or {}
    counts = dict(given.get("counts") or {})
    # summary.json calls it "suspected_translations"; "translations" is what the page reads.
    translations = given.get("translations", given.get("suspected_translations"))
    needed = not {"kept", "duplicates", "read"} <= counts.keys() or translations is None or any(
        not given.get(key) for key in ("languages", "removal_reasons", "artefact_kinds"))
    docs = DocumentFigures(outputs.documents if needed else ())
    rejected_reasons = given.get("rejection_reasons")
    if "rejected" not in counts or not rejected_reasons:
        rejected = Counter(r.get("reason") or "?" for r in outputs.rejected)
        counts.setdefault("rejected", rejected.total())
        rejected_reasons = rejected_reasons or _ranked(rejected)
    counts.setdefault("kept", docs.documents - docs.duplicates)
    counts.setdefault("duplicates", docs.duplicates)
    counts.setdefault("read", docs.documents + int(counts["rejected"]))

    given_clusters = dict(given.get("clusters") or {})
    if given_clusters.get("sizes"):
        sizes = {int(k): int(v) for k, v in given_clusters["sizes"].items()}
        sizes = dict(sorted(sizes.items()))
    else:
        sizes = cluster_sizes(outputs)
    clusters = {
        "count": int(given_clusters.get("count", sum(sizes.values()))),
        "largest": int(given_clusters.get("largest", max(sizes, default=0))),
        "sizes": sizes,
    }
    return {
        "version": given.get("version"),
        "counts": {k: int(counts[k]) for k in ("read", "kept", "duplicates", "rejected")},
        "languages": _sorted_desc(given.get("languages") or docs.languages),
        "removal_reasons": _sorted_desc(given.get("removal_reasons") or docs.reasons),
        "artefact_kinds": _sorted_desc(given.get("artefact_kinds") or docs.kinds),
        "rejection_reasons": rejected_reasons,
        "translations": translations or docs.translations,
        "clusters": clusters,
        "settings": given.get("settings") or {},
        "inputs": given.get("inputs") or [],
    }
