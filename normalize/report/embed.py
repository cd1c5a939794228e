"""Pack a run's outputs into the compact JSON the report page renders from.

A report of 100,000 documents must stay one file a browser opens in a second
or two, so the page renders views on demand from data embedded once, and that
data is packed:

* columns, not records: ``{"id": [...], "lang": [...]}`` spends the key names
  once instead of 100,000 times, and lists of tuples are flattened
  (``[line, text, reason, line, text, reason]``);
* a string table ``s``: languages, reasons, file names, boilerplate lines
  ("Share on Facebook" removed from 40,000 pages) are stored once and
  referred to by index;
* a text table ``T``, apart from the string table: each distinct text once,
  cluster by cluster with the kept copy first, then the singletons. Texts are
  cut to a cap only when encoded (see budget.py), so the rest of the payload
  does not depend on the caps.

Then the JSON is made safe to sit inside ``<script type="application/json">``:
``<``, ``>`` and ``&`` become ``\\u003c``-style escapes (so a scraped
``</script>`` cannot close the tag) and U+2028/U+2029 are escaped too.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from .load import Outputs

SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(data) -> str:
    """JSON that cannot break out of a <script> element (see module docstring)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in SCRIPT_ESCAPES.items():
        text = text.replace(char, escape)
    return text


@dataclass
class StringTable:
    """Each distinct string stored once; callers keep its index."""

    strings: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)

    def __call__(self, value) -> int:
        value = "" if value is None else str(value)
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.strings)
            self.strings.append(value)
        return found


def cut(text: str, limit: int) -> str:
    """``text`` shortened to at most ``limit`` characters, at a space when one is near."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = max(head.rfind(" "), head.rfind("\n"))
    return head[:space] if space > limit - 40 else head


def _number(value, digits: int = 3):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number, digits) if number == number else None  # NaN -> None


def pack_data(outputs: Outputs, summary: dict, limits: dict) -> dict:
    """The payload (see the module docstring), with full texts in "T".

    "Tm" (not embedded) flags the texts of cluster members, for budget.py.
    """
    docs = outputs.documents
    strings = StringTable()
    line_cap = int(limits["lines"]["max_chars"])
    lines_per_doc = int(limits["lines"]["max_per_doc"])
    field_count = int(limits["fields"]["max_fields"])
    field_cap = int(limits["fields"]["max_chars"])

    # Clusters: clusters.jsonl when present, else rebuilt from the documents.
    position = {}
    for i, d in enumerate(docs):
        position.setdefault(str(d.get("id")), i)
    clusters = outputs.clusters or _clusters_from_documents(docs)
    clusters = sorted(clusters, key=lambda c: (-int(c.get("size") or len(c.get("members") or [])), str(c.get("id"))))
    cluster_of = {}
    packed_clusters = {"id": [], "size": [], "kept": [], "m": []}
    for ci, cluster in enumerate(clusters):
        members = []
        for m in cluster.get("members") or []:
            di = position.get(str(m.get("id")))
            if di is None:
                continue
            cluster_of[di] = ci
            shared = m.get("shared_lines")
            members.append([di, _number(m.get("similarity")), _number(m.get("shared_fraction")),
                            len(shared) if isinstance(shared, list) else None])
        kept = position.get(str(cluster.get("kept")), members[0][0] if members else -1)
        members.sort(key=lambda m: (m[0] != kept, -(m[1] if m[1] is not None else -1), m[0]))
        packed_clusters["id"].append(str(cluster.get("id")))
        packed_clusters["size"].append(int(cluster.get("size") or len(members)))
        packed_clusters["kept"].append(kept)
        packed_clusters["m"].append(members)
    cluster_index = {cid: ci for ci, cid in enumerate(packed_clusters["id"])}

    # Texts first, cluster by cluster, kept copy first: gzip's 32 kB window
    # then holds each near-duplicate next to its kept copy (see budget.py).
    texts = StringTable()
    for members in packed_clusters["m"]:
        for m in members:
            texts(docs[m[0]].get("text") or "")
    member_texts = len(texts.strings)

    columns = {k: [] for k in ("id", "lang", "ls", "top", "c", "t", "sf", "sl", "rm", "rmx", "a", "tr", "f")}
    columns["dup"], columns["sim"] = {}, {}
    member_sim = {m[0]: m[1] for members in packed_clusters["m"] for m in members}
    for i, d in enumerate(docs):
        ci = cluster_of.get(i, cluster_index.get(str(d.get("cluster_id")), -1) if d.get("cluster_id") is not None else -1)
        source = d.get("source") if isinstance(d.get("source"), dict) else {}
        removed = [r for r in (d.get("removed") or []) if isinstance(r, dict)]
        artefacts = [a for a in (d.get("artefacts") or []) if isinstance(a, dict)]
        translation = d.get("translation") or {}
        columns["id"].append(str(d.get("id")))
        columns["lang"].append(strings(d.get("lang") or "und"))
        columns["ls"].append(_number(d.get("lang_score"), 2))
        columns["top"].append([x for p in map(_pair, (d.get("lang_top") or [])[:3]) if p
                               for x in (strings(p[0]), _number(p[1], 2))])
        columns["c"].append(ci)
        columns["t"].append(texts(d.get("text") or ""))
        columns["sf"].append(strings(source.get("file")))
        columns["sl"].append(source.get("line"))
        columns["rm"].append([x for r in removed[:lines_per_doc]
                              for x in (r.get("line"), strings(cut(str(r.get("text") or ""), line_cap)), strings(r.get("reason") or "?"))])
        columns["rmx"].append(max(0, len(removed) - lines_per_doc))
        columns["a"].append([x for a in artefacts[:lines_per_doc]
                             for x in (strings(a.get("kind") or "?"), a.get("line"), strings(cut(str(a.get("evidence") or ""), line_cap)))])
        columns["tr"].append([strings(translation.get("source_lang") or "?"), _number(translation.get("score"))]
                             if isinstance(translation, dict) and translation.get("suspected") else 0)
        columns["f"].append(_extra_fields(d, strings, field_count, field_cap))
        # Only what the clusters do not already say: a kept copy other than
        # the cluster's, a similarity for a document no cluster lists.
        kept = position.get(str(d.get("duplicate_of"))) if d.get("duplicate_of") is not None else None
        if kept is not None and (ci < 0 or packed_clusters["kept"][ci] != kept):
            columns["dup"][i] = kept
        if d.get("similarity") is not None and i not in member_sim:
            columns["sim"][i] = _number(d.get("similarity"))

    rejected = [[strings(r.get("file")), r.get("line"), None if r.get("id") is None else str(r.get("id")),
                 strings(r.get("reason") or "?")] for r in outputs.rejected]
    return {
        "v": 2,
        "meta": {
            "counts": summary["counts"],
            "docs": len(docs),
            "clusters": len(packed_clusters["id"]),
        },
        "s": strings.strings,
        "T": texts.strings,
        "Tm": member_texts,
        "d": columns,
        "c": packed_clusters,
        "r": rejected,
    }


# Fields the contract defines; everything else is the caller's own input field.
CONTRACT_FIELDS = {
    "text", "id", "source", "lang", "lang_score", "lang_top", "removed", "artefacts", "translation",
    "cluster_id", "cluster_size", "duplicate_of", "similarity",
}


def _pair(entry) -> tuple | None:
    """A lang_top entry: [lang, p] in JSON, a {lang, p} struct when read back from parquet."""
    if isinstance(entry, dict):
        entry = list(entry.values())
    if isinstance(entry, (list, tuple)) and len(entry) >= 2:
        return entry[0], entry[1]
    return None


def _extra_fields(doc: dict, strings: StringTable, count: int, cap: int) -> list:
    extra = []
    for key, value in doc.items():
        if key in CONTRACT_FIELDS or value is None or isinstance(value, (dict, list)):
            continue
        extra += [strings(cut(str(key), 60)), strings(cut(str(value), cap))]
        if len(extra) >= 2 * count:
            break
    return extra


def _clusters_from_documents(docs: list[dict]) -> list[dict]:
    grouped: dict[str, list[dict]] = {}
    for d in docs:
        if d.get("cluster_id") is not None:
            grouped.setdefault(str(d["cluster_id"]), []).append(d)
    clusters = []
    for cid, members in grouped.items():
        kept = next((m for m in members if m.get("duplicate_of") is None), members[0])
        clusters.append({
            "id": cid, "size": len(members), "kept": kept.get("id"),
            "members": [{"id": m.get("id"), "similarity": 1.0 if m is kept else m.get("similarity")} for m in members],
        })
    return clusters
