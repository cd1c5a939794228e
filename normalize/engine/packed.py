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
pickled at all, and ``data`` is None.

In one process (one worker, or an engine that gathers documents in its
driver) there is nothing to gain: ``data`` is then the Document itself.
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from ..document import Document

Take = Callable[[Document], Any]  # a module-level function, so that workers can be sent it


@dataclass
class Packed:
    data: Union[bytes, Document, None]  # the pickled document (or the document, in one process; or None)
    taken: Any  # what ``take`` returned: the fields the main process needs

    def __reduce__(self):  # (a dataclass pickles its fields as a dict: slower, and every document crosses)
        return Packed, (self.data, self.taken)


def pack(doc: Document, take: Take, pickled: bool) -> Packed:
    taken = take(doc)  # first: what it takes out of doc.work is not pickled twice
    if not pickled:
        return Packed(doc, taken)
    if getattr(take, "keeps_document", True) is False:  # what it took is all the main process needs
        return Packed(None, taken)
    return Packed(pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL), taken)


def unpack(item: Union[bytes, Document]) -> Document:
    """A document from the spool or a :class:`Packed` ``data``."""
    return pickle.loads(item) if isinstance(item, bytes) else item


def pack_all(items: list, take: Optional[Take], pickled: bool) -> list:
    """Each document of a batch of results packed; rejections stay as they are."""
    if take is None:
        return items
    return [pack(item, take, pickled) if isinstance(item, Document) else item for item in items]
