"""Documents that stay pickled while they wait between passes.

A two-pass run used to unpickle each document in the main process four times
and pickle it four times: from a worker, into the spool, out of the spool, to
the next pass's worker, and so again after that pass. The main process looks
at only a few fields of a document between passes (the corpus summary, the
fingerprint, the text), and at 100k documents it was the busiest process of
the run. So a worker hands back a :class:`Packed` document: the bytes it
pickled, and the few things the main process asks for, taken out by a
``take`` function the pipeline gives. The bytes go to the spool and to the
next worker as they are; the document is unpickled once more, to be written.
A ``take`` whose ``keeps_document`` is False takes all the main process will
need (the document's line, written in the worker): the document is then not
pickled at all, and ``data`` is None. A ``take`` with a ``shelf`` (see
:mod:`.shelf`) has the pickled document put there, and ``data`` is its address:
the bytes then never reach the main process at all.

In one process (one worker, or an engine that gathers documents in its
driver) and without a shelf, ``data`` is the Document itself.
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Optional, Union

from ..document import Document
from ..errors import Rejection
from ..read.jsonl import RawRecord
from .shelf import Shelved, read

Take = Callable[[Document], Any]  # a module-level function or a small object, sent to workers with each batch


@dataclass
class Packed:
    data: Union[bytes, Shelved, Document, None]  # the pickled document, or where it is (or the document, in one process; or None)
    taken: Any  # what ``take`` returned: the fields the main process needs

    def __reduce__(self):  # (a dataclass pickles its fields as a dict: slower, and every document crosses)
        return Packed, (self.data, self.taken)


def pack(doc: Document, take: Take, pickled: bool) -> Packed:
    taken = take(doc)  # first: what it takes out of doc.work is not pickled twice
    if getattr(take, "keeps_document", True) is False:  # what it took is all the main process needs
        return Packed(None, taken)
    shelf = getattr(take, "shelf", None)
    if shelf is not None:
        return Packed(shelf.put(pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL)), taken)
    if not pickled:
        return Packed(doc, taken)
    return Packed(pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL), taken)


class Renamed(NamedTuple):
    """A document (as :func:`unpack` takes it) to be given another id: one
    whose id, read in a worker, was found to be taken already."""

    data: Union[bytes, Shelved, Document]
    id: str


def unpack(item: Union[bytes, Shelved, Document, RawRecord, Renamed]) -> Union[Document, Rejection]:
    """A document from the spool, a shelf, or a :class:`Packed` ``data``; or
    from a line of input, parsed here (which may reject it)."""
    if isinstance(item, Shelved):
        return pickle.loads(read(item))
    if isinstance(item, RawRecord):
        return item.parse()
    if isinstance(item, Renamed):
        doc = unpack(item.data)
        doc.id = item.id
        return doc
    return pickle.loads(item) if isinstance(item, bytes) else item


def pack_all(items: list, take: Optional[Take], pickled: bool) -> list:
    """Each document of a batch of results packed; rejections stay as they are.
    What the batch put on a shelf is flushed before the results go anywhere."""
    if take is None:
        return items
    packed = [pack(item, take, pickled) if isinstance(item, Document) else item for item in items]
    shelf = getattr(take, "shelf", None)
    if shelf is not None:
        shelf.flush()
    return packed
