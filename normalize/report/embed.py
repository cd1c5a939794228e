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
  cluster by cluster with the kept copy first, then the singletons. The texts
  wait on disk (texts.py) and are cut to a cap only when encoded (see
  budget.py), so the rest of the payload does not depend on the caps.

The documents are read once, as a stream: each one is packed as it comes, and
only a few values per document (its cluster, its kept copy, its similarity)
wait for the clusters, which come after.

Then the JSON is made safe to sit inside ``<script type="application/json">``:
``<``, ``>`` and ``&`` become ``\\u003c``-style escapes (so a scraped
``</script>`` cannot close the tag) and U+2028/U+2029 are escaped too.
"""
from __future__ import annotations

import json
import math
from array import array
from dataclasses import dataclass, field
from typing import Iterable

from .load import Outputs
from .texts import TextSpool

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
        if type(value) is not str:  # (the page's data looks up millions of strings, most of them text)
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
    """``value`` rounded, as the page shows it; None if it is no finite number
    (JSON has no NaN or infinity: 1e999 in an output file reads as infinity)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number, digits) if math.isfinite(number) else None


@dataclass
class TextTable:
    """The page's text table "T": spool numbers in page order, and how many are members'."""

    spool: TextSpool
    order: array
    members: int

    def __len__(self) -> int:
        return len(self.order)

    def text(self, i: int) -> str:
        """Entry ``i``, cut to the spool's cap (plus one character; see texts.py)."""
        return self.spool[self.order[i]]

    def length(self, i: int) -> int:
        """Entry ``i``'s full length in characters."""
        return self.spool.lengths[self.order[i]]

    @property
    def stored_bytes(self) -> int:
        """UTF-8 bytes of all the entries as stored (each cut to the spool's cap)."""
        return self.spool.size


def pack_data(outputs: Outputs, summary: dict, limits: dict, spool: TextSpool) -> dict:
    """The payload (see the module docstring); "T" is a TextTable over ``spool``.

    "Tm" (not embedded) counts the texts of cluster members, for budget.py.
    One pass over the documents packs each one as it is read; what depends on
    the clusters (a document's cluster, its text's place in "T") waits for
    the few values kept per document.
    """
    strings = StringTable()
    line_cap = int(limits["lines"]["max_chars"])

    # (the bound method: calling the table itself goes through its type's
    # __call__, slower, for millions of removed lines and reasons)
    string = strings.__call__

    def line_text(text) -> int:
        """The index of a removed line's or an artefact's text, cut to the line cap."""
        if type(text) is not str:
            text = str(text or "")
        return string(text if len(text) <= line_cap else cut(text, line_cap))

    lines_per_doc = int(limits["lines"]["max_per_doc"])
    field_count = int(limits["fields"]["max_fields"])
    field_cap = int(limits["fields"]["max_chars"])

    columns: dict = {k: [] for k in ("id", "lang", "ls", "top", "sf", "sl", "rm", "rmx", "a", "tr", "f")}
    position: dict[str, int] = {}
    text_of = array("q")
    # (cluster_id, duplicate_of, similarity) as the document gives them
    links: list[tuple] = []
    for i, d in enumerate(outputs.documents):
        position.setdefault(str(d.get("id")), i)
        text_of.append(spool.add(str(d.get("text") or "")))
        links.append((d.get("cluster_id"), d.get("duplicate_of"), d.get("similarity")))
        source = d.get("source") if isinstance(d.get("source"), dict) else {}
        removed = [r for r in (d.get("removed") or []) if isinstance(r, dict)]
        artefacts = [a for a in (d.get("artefacts") or []) if isinstance(a, dict)]
        translation = d.get("translation") or {}
        columns["id"].append(str(d.get("id")))
        columns["lang"].append(string(d.get("lang") or "und"))
        columns["ls"].append(_number(d.get("lang_score"), 2))
        columns["top"].append([x for p in map(_pair, (d.get("lang_top") or [])[:3]) if p
                               for x in (string(p[0]), _number(p[1], 2))])
        columns["sf"].append(string(source.get("file")))
        columns["sl"].append(source.get("line"))
        columns["rm"].append([x for r in removed[:lines_per_doc]
                              for x in (r.get("line"), line_text(r.get("text")), string(r.get("reason") or "?"))])
        columns["rmx"].append(max(0, len(removed) - lines_per_doc))
        columns["a"].append([x for a in artefacts[:lines_per_doc]
                             for x in (string(a.get("kind") or "?"), a.get("line"), line_text(a.get("evidence")))])
        columns["tr"].append([string(translation.get("source_lang") or "?"), _number(translation.get("score"))]
                             if isinstance(translation, dict) and translation.get("suspected") else 0)
        columns["f"].append(_extra_fields(d, strings, field_count, field_cap))

    packed_clusters, cluster_of = _pack_clusters(outputs.clusters, position, columns["id"], links)
    cluster_index = {cid: ci for ci, cid in enumerate(packed_clusters["id"])}

    # Texts first, cluster by cluster, kept copy first: gzip's 32 kB window
    # then holds each near-duplicate next to its kept copy (see budget.py).
    order = array("q")
    place = array("q", [-1]) * len(spool)
    for members in packed_clusters["m"]:
        for m in members:
            number = text_of[m[0]]
            if place[number] < 0:
                place[number] = len(order)
                order.append(number)
    member_texts = len(order)
    for number in text_of:
        if place[number] < 0:
            place[number] = len(order)
            order.append(number)

    member_sim = {m[0]: m[1] for members in packed_clusters["m"] for m in members}
    columns["c"], columns["t"], columns["dup"], columns["sim"] = [], [place[n] for n in text_of], {}, {}
    for i, (cluster_id, duplicate_of, similarity) in enumerate(links):
        ci = cluster_of.get(i, cluster_index.get(str(cluster_id), -1) if cluster_id is not None else -1)
        columns["c"].append(ci)
        # Only what the clusters do not already say: a kept copy other than
        # the cluster's, a similarity for a document no cluster lists.
        kept = position.get(str(duplicate_of)) if duplicate_of is not None else None
        if kept is not None and (ci < 0 or packed_clusters["kept"][ci] != kept):
            columns["dup"][i] = kept
        if similarity is not None and i not in member_sim:
            columns["sim"][i] = _number(similarity)

    rejected = [[string(r.get("file")), r.get("line"), None if r.get("id") is None else str(r.get("id")),
                 string(r.get("reason") or "?")] for r in outputs.rejected]
    return {
        "v": 2,
        "meta": {
            "counts": summary["counts"],
            "docs": len(links),
            "clusters": len(packed_clusters["id"]),
        },
        "s": strings.strings,
        "T": TextTable(spool, order, member_texts),
        "Tm": member_texts,
        "d": {k: columns[k] for k in COLUMN_ORDER},
        "c": packed_clusters,
        "r": rejected,
    }


COLUMN_ORDER = ("id", "lang", "ls", "top", "c", "t", "sf", "sl", "rm", "rmx", "a", "tr", "f", "dup", "sim")


def _pack_clusters(clusters: Iterable[dict], position: dict, ids: list, links: list) -> tuple[dict, dict]:
    """(the clusters as columns, largest first; {document: its cluster}).

    From clusters.jsonl when it lists any, else rebuilt from the documents' links.
    """
    packed = []
    for cluster in clusters:
        members = []
        for m in cluster.get("members") or []:
            di = position.get(str(m.get("id")))
            if di is None:
                continue
            shared = m.get("shared_lines")
            members.append([di, _number(m.get("similarity")), _number(m.get("shared_fraction")),
                            len(shared) if isinstance(shared, list) else None])
        kept = position.get(str(cluster.get("kept")), members[0][0] if members else -1)
        members.sort(key=lambda m: (m[0] != kept, -(m[1] if m[1] is not None else -1), m[0]))
        listed = len(cluster.get("members") or [])  # orders the clusters, found or not
        packed.append((int(cluster.get("size") or listed), str(cluster.get("id")),
                       int(cluster.get("size") or len(members)), kept, members))
    if not packed:
        packed = _clusters_from_links(position, ids, links)
    packed.sort(key=lambda c: (-c[0], c[1]))
    cluster_of = {}
    columns: dict = {"id": [], "size": [], "kept": [], "m": []}
    for ci, (_, cid, size, kept, members) in enumerate(packed):
        for m in members:
            cluster_of[m[0]] = ci
        columns["id"].append(cid)
        columns["size"].append(size)
        columns["kept"].append(kept)
        columns["m"].append(members)
    return columns, cluster_of


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


def _clusters_from_links(position: dict, ids: list, links: list) -> list[tuple]:
    """Packed clusters from each document's cluster_id, duplicate_of and similarity."""
    grouped: dict[str, list[int]] = {}
    for i, (cluster_id, _, _) in enumerate(links):
        if cluster_id is not None:
            grouped.setdefault(str(cluster_id), []).append(i)
    packed = []
    for cid, members in grouped.items():
        kept = next((i for i in members if links[i][1] is None), members[0])
        # a document is found by its id, as clusters.jsonl would name it
        rows = [[position[ids[i]], 1.0 if i == kept else _number(links[i][2]), None, None] for i in members]
        kept = position[ids[kept]]
        rows.sort(key=lambda m: (m[0] != kept, -(m[1] if m[1] is not None else -1), m[0]))
        packed.append((len(members), cid, len(members), kept, rows))
    return packed
