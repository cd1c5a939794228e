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
the bytes then never reach the main process at all. A worker that will also
run the next pass (see :meth:`.local.LocalEngine.holding`) keeps the document
in its memory instead, as long as it has room (:class:`Holding`), and ``data``
is an address on no file, which only that worker can unpack.

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


# The "file" of the addresses of documents held in a worker's memory: HELD
# and the worker's number; the offset is the document's number there.
HELD = "held-in-worker:"


class Holding:
    """The documents a worker keeps in memory between the passes of a run.

    Pickling a document for the shelf and unpickling it in the next pass took
    7% of the workers' time in a run over 10,000 articles; a worker that
    runs the next pass as well need do neither for the documents it made. It
    keeps them up to ``budget`` bytes (a rough measure of what a document holds,
    see :func:`held_size`); those past it go on the shelf, as before, so
    memory does not grow with the corpus."""

    def __init__(self, worker: int, budget: int) -> None:
        self.path = f"{HELD}{worker}"
        self.budget = budget
        self.used = 0
        self.docs: dict[int, tuple[Document, int]] = {}
        self.count = 0
        self.refused = False  # (whether a document found no room: see release)

    def keep(self, doc: Document) -> Optional[Shelved]:
        """The document's address here, or None if there is no room for it."""
        size = held_size(doc)
        if self.used + size > self.budget:
            self.refused = True
            return None
        self.count += 1
        self.docs[self.count] = (doc, size)
        self.used += size
        return Shelved(self.path, self.count, size)

    def take(self, address: Shelved) -> Document:
        if address.path != self.path or address.offset not in self.docs:
            raise RuntimeError(f"document {address.offset} of {address.path} is not held in this worker")
        doc, size = self.docs.pop(address.offset)
        self.used -= size
        return doc

    def release(self, count: int, shelf: Any) -> dict[tuple[str, int], Shelved]:
        """Put the last ``count`` documents kept on ``shelf`` instead (pickled, as
        they would have gone had there been no room), so that any worker of the
        next pass can take them. Gives each one's new address by its old one's
        (path, offset). Nothing once a document has found no room: the later ones
        are on the shelf already, for any worker to take."""
        addresses: dict[tuple[str, int], Shelved] = {}
        if self.refused:
            return addresses
        for number in list(self.docs)[max(0, len(self.docs) - count):]:  # (kept in order: the last are the latest)
            doc, size = self.docs.pop(number)
            self.used -= size
            addresses[self.path, number] = shelf.put(pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL))
        shelf.flush()
        return addresses


def held_size(doc: Document) -> int:
    """About the bytes ``doc`` holds in memory: its text and lines, and an
    object's overhead for each line and removed line (28 KB for an article
    of 6 KB whose 171 lines were 6 KB; this says 36 KB)."""
    return 2 * (len(doc.text) + sum(map(len, doc.lines))) + 64 * (len(doc.lines) + len(doc.removed))


def holder(item: Any) -> Optional[int]:
    """The worker that holds ``item`` (a document's address, or one renamed), if one does."""
    if isinstance(item, Renamed):
        item = item.data
    if isinstance(item, Shelved) and item.path.startswith(HELD):
        return int(item.path[len(HELD):])
    return None


def item_size(item: Any) -> int:
    """About the bytes of the document ``item`` stands for in a batch: a line
    of input's, a pickled document's, the size at its address (on a shelf, or
    held: see :func:`held_size`), a document's text; 0 for anything else."""
    if isinstance(item, Renamed):
        item = item.data
    if isinstance(item, Shelved):
        return item.size
    if isinstance(item, RawRecord):
        return len(item.data)
    if isinstance(item, bytes):
        return len(item)
    if isinstance(item, Document):
        return len(item.text)
    return 0


_holding: Optional[Holding] = None  # in a worker that holds documents (see local.LocalEngine.holding)


def hold_documents(worker: int, budget: int) -> None:
    global _holding
    _holding = Holding(worker, budget)


def held_documents() -> list[Document]:
    """In a worker: the documents it holds, in the order it kept them."""
    return [doc for doc, _ in _holding.docs.values()] if _holding is not None else []


def release_held(count: int, shelf: Any) -> dict[tuple[str, int], Shelved]:
    """In a worker: :meth:`Holding.release` of its documents, if it holds any."""
    return _holding.release(count, shelf) if _holding is not None else {}


def moved(item: Any, addresses: dict[tuple[str, int], Shelved]) -> Any:
    """``item`` (a document's address, or one renamed) at its new address, if
    :func:`release_held` gave it one."""
    data = item.data if isinstance(item, Renamed) else item
    if isinstance(data, Shelved):
        new = addresses.get((data.path, data.offset))
        if new is not None:
            return item._replace(data=new) if isinstance(item, Renamed) else new
    return item


def pack(doc: Document, take: Take, pickled: bool) -> Packed:
    taken = take(doc)  # first: what it takes out of doc.work is not pickled twice
    if getattr(take, "keeps_document", True) is False:  # what it took is all the main process needs
        return Packed(None, taken)
    shelf = getattr(take, "shelf", None)
    if shelf is not None:
        if _holding is not None and getattr(take, "holds", False):
            held = _holding.keep(doc)
            if held is not None:
                return Packed(held, taken)
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
        if item.path.startswith(HELD):
            if _holding is None:
                raise RuntimeError(f"document {item.offset} of {item.path} is not held in this process")
            return _holding.take(item)
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
