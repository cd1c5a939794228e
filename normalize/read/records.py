"""Turning one structured input record (a JSON object, a Parquet row) into a Document."""
from __future__ import annotations

import math
import re
from typing import Any, Optional, Union

from ..document import Document, Source
from ..errors import Rejection
from .options import ReadOptions


def record_to_document(record: Any, name: str, number: int, options: ReadOptions,
                       check_unicode: bool = True, size_at_most: Optional[int] = None) -> Union[Document, Rejection]:
    """``check_unicode``: look for lone surrogates (see :func:`_lone_surrogates`);
    a reader that knows there are none (no ``\\ud...`` escape in a JSON line,
    Arrow's valid UTF-8) says so, and the strings are not scanned.
    ``size_at_most``: bytes the text cannot exceed in UTF-8, if the reader
    knows (a JSON line's length: no escape decodes to more bytes than it
    takes); within the limit, the text need not be encoded to be measured."""
    if not isinstance(record, dict):
        return Rejection(name, number, None, f"record is {_kind(record)}, not an object")
    raw_id = record.get(options.id_field)
    doc_id = str(raw_id) if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) and str(raw_id) else None
    problem = _unwritable(record)
    if problem is not None:
        return Rejection(name, number, _shown(doc_id), problem)
    if check_unicode:
        record, problem = _lone_surrogates(record, options.text_field)
        if problem is not None:
            return Rejection(name, number, _shown(doc_id), problem)
    if options.text_field not in record:
        return Rejection(name, number, doc_id, f"no '{options.text_field}' field")
    text = record[options.text_field]
    if not isinstance(text, str):
        return Rejection(name, number, doc_id, f"'{options.text_field}' is {_kind(text)}, not a string")
    if not text.strip():
        return Rejection(name, number, doc_id, "empty text")
    if (size_at_most is None or size_at_most > options.max_doc_bytes) and \
            len(text.encode("utf-8", "surrogatepass")) > options.max_doc_bytes:
        return Rejection(name, number, doc_id, f"text is over the limit of {options.max_doc_bytes} bytes")
    if doc_id is None:
        doc_id = f"{name}:{number}"
    return Document(id=doc_id, text=text, source=Source(name, number), fields=record)


def _kind(value: Any) -> str:
    """What ``value`` is, in JSON's words (a Parquet null is JSON's null too)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"  # (a Parquet column of binary type)
    return "a string" if isinstance(value, str) else f"a {type(value).__name__}"


def _shown(doc_id: Optional[str]) -> Optional[str]:
    """An id as a rejection shows it: a lone surrogate in it escaped, so it can be written."""
    return doc_id.encode("utf-8", "backslashreplace").decode("utf-8") if doc_id else None


# Levels of nesting a record may have, itself the first. JSON sets no limit and
# orjson reads 1,024 levels, but a record is pickled between the passes and
# written out again, and pickle and the JSON encoders go down a level by
# calling themselves: a field nested 500 deep stopped a whole run with a
# RecursionError while pickling. News records nest a few levels.
MAX_DEPTH = 200
_CONTAINERS = (dict, list, tuple)
_LOOKED_AT = (float, *_CONTAINERS)
_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def _unwritable(record: dict) -> Optional[str]:
    """Why ``record`` could not be carried to the output and written back as
    JSON, if it could not: it nests more than :data:`MAX_DEPTH` levels, or a
    field holds NaN or an infinity (Python's ``json`` reads ``NaN``,
    ``Infinity`` and ``1e400``; no JSON writer may write them back). Looked
    for without recursion: a deep record must not stop this check either."""
    for key, field_value in record.items():
        stack = [(field_value, 2)]  # (a value, its level)
        while stack:
            value, depth = stack.pop()
            if isinstance(value, float):
                if not math.isfinite(value):
                    return f"field '{_shown(str(key))}' holds {_NON_FINITE[repr(value)]}, which JSON cannot hold"
            elif isinstance(value, _CONTAINERS):
                if depth > MAX_DEPTH:
                    return f"record nested too deeply (over {MAX_DEPTH} levels)"
                items = value.values() if isinstance(value, dict) else value
                stack.extend([(item, depth + 1) for item in items if isinstance(item, _LOOKED_AT)])
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogates(record: dict, text_field: str) -> tuple[dict, Optional[str]]:
    """A JSON string may hold half of a UTF-16 pair ("\\ud800"), which no UTF-8
    file can. In the text it becomes U+FFFD, as normalisation would make it
    anyway (a copy of the record: the caller's stays whole); anywhere else it
    rejects the record, whose fields are written back untouched. Returns the
    record and the reason it is rejected, if it is."""
    for key, value in record.items():
        if key == text_field and isinstance(value, str):
            continue
        code = _surrogate_in(key) or _surrogate_in(value)
        if code is not None:
            field = key.encode("utf-8", "backslashreplace").decode("utf-8")
            return record, (f"field '{field}' is not valid Unicode: it holds a lone surrogate "
                            f"(U+{ord(code):04X}), half of a UTF-16 pair")
    text = record.get(text_field)
    if isinstance(text, str) and _SURROGATE.search(text):
        record = {**record, text_field: _SURROGATE.sub("\ufffd", text)}
    return record, None


def _surrogate_in(value: Any) -> Optional[str]:
    """The first lone surrogate in a JSON value (keys included), if any."""
    if isinstance(value, str):
        found = _SURROGATE.search(value)
        return found.group() if found else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _surrogate_in(key) or _surrogate_in(item)
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _surrogate_in(item)
            if found:
                return found
    return None
