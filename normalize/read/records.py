"""Turning one structured input record (a JSON object, a Parquet row) into a Document."""
from __future__ import annotations

from typing import Any, Union

from ..document import Document, Source
from ..errors import Rejection
from .options import ReadOptions


def record_to_document(record: Any, name: str, number: int, options: ReadOptions) -> Union[Document, Rejection]:
    if not isinstance(record, dict):
        kind = type(record).__name__ if not isinstance(record, list) else "array"
        return Rejection(name, number, None, f"record is a JSON {kind}, not an object")
    raw_id = record.get(options.id_field)
    doc_id = str(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and str(raw_id) else None
    if options.text_field not in record:
        return Rejection(name, number, doc_id, f"no '{options.text_field}' field")
    text = record[options.text_field]
    if not isinstance(text, str):
        return Rejection(name, number, doc_id, f"'{options.text_field}' is {type(text).__name__}, not a string")
    if not text.strip():
        return Rejection(name, number, doc_id, "empty text")
    if len(text.encode("utf-8", "surrogatepass")) > options.max_doc_bytes:
        return Rejection(name, number, doc_id, f"text is over the limit of {options.max_doc_bytes} bytes")
    if doc_id is None:
        doc_id = f"{name}:{number}"
    return Document(id=doc_id, text=text, source=Source(name, number), fields=record)
