"""The one record type that flows through every stage.

A reader turns each input record into a :class:`Document`; each stage reads and
fills in some of its fields; a writer turns it back into an output record. The
input record's other fields travel untouched in ``fields`` so that a pipeline
step never loses what its caller put in.

Stages communicate only through the document, so any stage can be run alone
(``normalize lang``), in a process pool, or inside a Spark ``mapPartitions``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, Optional

# Documents cross process boundaries several times in a run (to a worker and
# back, into the spool between passes and out again), so how they pickle
# matters. A dataclass pickles as a class reference plus a dict of its fields
# per object, which for a document with dozens of removed lines costs about
# five times more than a plain tuple; the ``__reduce__`` methods below pickle
# each record as its constructor and a tuple of field values. A document's
# removed lines (a hundred on some pages) go further: they are pickled as three
# plain tuples, the line numbers, the texts and the reasons, since even a
# reduced record costs a Python call per line to pickle.


@dataclass
class Source:
    """Where a record came from: the file and the 1-based line (or row) in it."""

    file: str
    line: int

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line}

    def __reduce__(self):
        return Source, (self.file, self.line)


@dataclass
class Removal:
    """A line the stripper took out of a document, and why."""

    line: int  # 1-based line number in the normalised text
    text: str
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "text": self.text, "reason": self.reason}

    def __reduce__(self):
        return Removal, (self.line, self.text, self.reason)


@dataclass
class Artefact:
    """A piece of evidence that a text was translated or carries residue."""

    kind: str
    line: int  # 1-based line number in the normalised text (0: the whole document)
    evidence: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "line": self.line, "evidence": self.evidence}

    def __reduce__(self):
        return Artefact, (self.kind, self.line, self.evidence)


@dataclass
class Document:
    id: str
    text: str
    source: Source
    fields: dict[str, Any] = field(default_factory=dict)
    encoding: Optional[str] = None

    # normalise + strip
    lines: list[str] = field(default_factory=list)  # normalised lines, before stripping
    removed: list[Removal] = field(default_factory=list)

    # detect
    lang: str = "und"
    lang_score: float = 0.0
    lang_top: list[tuple[str, float]] = field(default_factory=list)
    artefacts: list[Artefact] = field(default_factory=list)
    translation: dict[str, Any] = field(
        default_factory=lambda: {"suspected": False, "source_lang": None, "score": 0.0}
    )

    # dedup
    cluster_id: Optional[str] = None
    cluster_size: int = 1
    duplicate_of: Optional[str] = None
    similarity: Optional[float] = None

    # Transient data stages hand to later stages (fingerprints, name mentions);
    # never written out.
    work: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_of is not None

    def __reduce__(self):
        values = list(map(self.__dict__.__getitem__, _DOCUMENT_FIELDS))
        removed = self.removed
        if removed and all(type(r) is Removal for r in removed):
            values[_REMOVED] = _RemovedColumns(tuple(zip(*map(_removal_fields, removed))))
        return _document_from_fields, tuple(values)


_DOCUMENT_FIELDS = tuple(f.name for f in fields(Document))
_REMOVED = _DOCUMENT_FIELDS.index("removed")
_removal_fields = attrgetter("line", "text", "reason")


class _RemovedColumns(tuple):
    """``Document.removed`` in a pickle: (line numbers, texts, reasons)."""

    def __reduce__(self):
        return _RemovedColumns, (tuple(self),)


def _document_from_fields(*values: Any) -> Document:
    """Unpickle a :class:`Document` (see ``Document.__reduce__``): the fields are
    set as they were, without running ``__init__`` again."""
    doc = Document.__new__(Document)
    doc.__dict__.update(zip(_DOCUMENT_FIELDS, values))
    if type(doc.removed) is _RemovedColumns:
        doc.removed = list(map(Removal, *doc.removed))
    return doc


# The stripper's note in ``doc.work`` that ``doc.text`` is its kept lines (see
# note_kept_lines), and what it was made of: the text, the lines and how many
# of them were removed, as they were then.
KEPT_LINES = "text_is_kept_lines"


def note_kept_lines(doc: Document) -> None:
    """Note that ``doc.text`` has just been made of the lines of ``doc.lines``
    not in ``doc.removed``, each line as it is, in order (blank lines aside):
    what the stripper makes of a page. A later stage that reads a document by
    its kept lines (the language stage) then knows the text is those lines
    without splitting it again to compare, as long as the note holds
    (:func:`text_is_kept_lines`)."""
    doc.work[KEPT_LINES] = (doc.text, doc.lines, len(doc.removed))


def text_is_kept_lines(doc: Document) -> bool:
    """Whether ``doc.text`` is still the kept lines noted by :func:`note_kept_lines`:
    the same text, lines and removals. (The same objects: a document pickled
    with its note keeps them shared, and one whose text or lines were replaced
    since is compared the long way.)"""
    note = doc.work.get(KEPT_LINES)
    return note is not None and note[0] is doc.text and note[1] is doc.lines and note[2] == len(doc.removed)
