"""Plain-text inputs: one document per ``.txt`` file."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, Union

from ..document import Document, Source
from ..errors import Rejection, RunError
from .decode import UndecodableError, decode_bytes
from .names import shown
from .options import ReadOptions


def read_txt(path: Path, doc_id: str, options: ReadOptions) -> Iterator[Union[Document, Rejection]]:
    name = shown(str(path))
    try:
        size = path.stat().st_size
        if size > options.max_doc_bytes:
            yield Rejection(name, 1, doc_id, f"document is {size} bytes, over the limit of {options.max_doc_bytes}")
            return
        data = path.read_bytes()
    except OSError as exc:
        raise RunError(f"cannot read {name}: {exc.strerror or exc}") from exc
    try:
        text, encoding = decode_bytes(data)
    except UndecodableError as exc:
        yield Rejection(name, 1, doc_id, f"not decodable as text: {exc}")
        return
    if not text.strip():
        yield Rejection(name, 1, doc_id, "empty text")
        return
    yield Document(id=doc_id, text=text, source=Source(name, 1), encoding=encoding)


def txt_files(directory: Path) -> list[Path]:
    """Every ``*.txt`` below ``directory``, in a stable order."""
    return sorted(p for p in directory.rglob("*.txt") if p.is_file())
