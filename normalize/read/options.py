"""How inputs are read: which fields hold text and id, and the size limit."""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_DOC_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class ReadOptions:
    text_field: str = "text"
    id_field: str = "id"
    # Larger documents are rejected, never truncated: a 50 MB "article" is a
    # dump or an attack, and reading it whole could exhaust memory.
    max_doc_bytes: int = DEFAULT_MAX_DOC_BYTES
