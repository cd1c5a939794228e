"""From a processed Document to the output record of the contract.

The input record's fields come first, untouched and in their order, with the
text field replaced by the cleaned text; the fields this tool adds follow in a
fixed order. An input field whose name collides with an added one is kept
under ``input_<name>`` rather than silently overwritten.
"""
from __future__ import annotations

from typing import Any

from ..document import Document
from .outputs import _orjson, _orjson_line, dumps, dumps_utf8, float_written_alike

LANG_FIELDS = ("lang", "lang_score", "lang_top")
CLEAN_FIELDS = ("removed", "artefacts", "translation")
CLUSTER_FIELDS = ("cluster_id", "cluster_size", "duplicate_of", "similarity")

ADDED = {
    "run": ("id", "source", "encoding") + LANG_FIELDS + CLEAN_FIELDS + CLUSTER_FIELDS,
    "clean": ("id", "source", "encoding") + LANG_FIELDS + CLEAN_FIELDS,
    "lang": ("id", "source") + LANG_FIELDS,
    "dedup": ("id", "source") + CLUSTER_FIELDS,
}


def _value(doc: Document, name: str) -> Any:
    if name == "source":
        return doc.source.as_dict()
    if name == "removed":
        return [r.as_dict() for r in doc.removed]
    if name == "artefacts":
        return [a.as_dict() for a in doc.artefacts]
    if name == "lang_top":  # candidates that round to nothing are noise
        return [[lang, round(float(p), 4)] for lang, p in doc.lang_top if round(float(p), 4) > 0]
    if name == "lang_score":
        return round(float(doc.lang_score), 4)
    if name == "similarity":
        return None if doc.similarity is None else round(float(doc.similarity), 4)
    if name == "translation":
        return translation_value(doc.translation)
    return getattr(doc, name)


def translation_value(translation: dict) -> dict:
    """A verdict as written: its score rounded."""
    t = dict(translation)
    if isinstance(t.get("score"), float):
        t["score"] = round(t["score"], 4)
    return t


def output_record(doc: Document, command: str, text_field: str = "text", objects: bool = False) -> dict[str, Any]:
    """``objects``: the source, removed lines and artefacts as the document holds
    them (dataclasses, for orjson: see :func:`record_head`), not as dicts."""
    added = ADDED[command]
    record: dict[str, Any] = {}
    for key, value in doc.fields.items():
        if key in added and key != "id":
            record[f"input_{key}"] = value
        else:
            record[key] = value
    if command in ("run", "clean") or text_field not in record:
        record[text_field] = doc.text
    for name in added:
        if name == "encoding" and doc.encoding is None:
            continue
        record[name] = getattr(doc, name) if objects and name in _BUILT else _value(doc, name)
    return record


def record_head(doc: Document, command: str, text_field: str = "text") -> bytes:
    """The JSON line of ``doc``'s record (:func:`.outputs.dumps`) up to its cluster
    fields, which come last, as UTF-8 bytes (strict, as the output file is
    written): a worker writes this much before the clusters are known, and
    :func:`with_cluster` completes it.

    orjson writes a dataclass as the object of its fields in order, which is
    what ``as_dict`` makes of a :class:`~normalize.document.Removal`, an
    :class:`~normalize.document.Artefact` or the source: it is given them as
    they are (a page has a score of removed lines, each a dict made and
    dropped). Where orjson does not write the line, the dicts go the long way."""
    if _orjson is not None:
        record = output_record(doc, command, text_field, objects=True)
        for name in CLUSTER_FIELDS:
            del record[name]
        line = _orjson_line(record, _BUILT)
        if line is not None:
            return line[:-1]  # without its closing brace; never empty: "id" comes first
    record = output_record(doc, command, text_field)
    for name in CLUSTER_FIELDS:
        del record[name]
    return dumps_utf8(record, _BUILT)[:-1]


# fields this tool fills with strings and integers only (see Source, Removal, Artefact)
_BUILT = frozenset(("source", "removed", "artefacts"))


def with_cluster(head: Any, cluster: Any) -> Any:  # (str or bytes, as the head)
    """:func:`record_head` completed with the cluster fields of ``cluster`` (a
    document, or its :class:`~normalize.dedup.Assignment`): the same line as
    ``dumps(output_record(doc, ...))``, since an object's JSON is its fields' in order.
    A head given as UTF-8 bytes is completed as bytes."""
    tail = _cluster_json(cluster)
    if isinstance(head, bytes):
        return head + b"," + tail[1:].encode("utf-8")
    return head + "," + tail[1:]


def _cluster_json(cluster: Any) -> str:
    """``dumps`` of the cluster fields. Their values are known (ids or None, a
    size, a similarity rounded to 4 places, which both encoders write alike
    once it is 0 or at least 1e-4): orjson takes them at once, without
    :func:`~.outputs.dumps` looking into each; the rest goes the long way."""
    values = {name: _value(cluster, name) for name in CLUSTER_FIELDS}
    similarity = values["similarity"]
    if _orjson is not None and (similarity is None or float_written_alike(similarity)):
        try:
            return _orjson.dumps(values).decode("utf-8")
        except TypeError:  # (an id that is not plain text: a lone surrogate)
            pass
    return dumps(values)