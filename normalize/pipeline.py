"""The pipeline: passes of per-document stages with the corpus-level steps between.

``run`` makes two passes over the corpus, with documents waiting on disk
between them:

1. normalise and strip each document; tally which lines recur across stories;
2. strip those corpus-wide chrome lines, detect language and artefacts,
   fingerprint for dedup;

then clusters near-duplicates, looks for name variants across each cluster,
and emits every document in input order. ``clean`` and ``lang`` are one
streaming pass each; ``dedup`` fingerprints the text as it is and clusters.

The pipeline produces *events* (a document record, a rejection, a cluster);
writers and the library API consume them. Every record read ends as exactly
one document or rejection event, and the counts are checked at the end.
"""
from __future__ import annotations

import json
import pickle
from array import array
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from functools import partial
from typing import Any, Callable, Iterable, Iterator, Optional, Union

from . import __version__
from .detect.translation import revise
from .document import Document
from .engine.aside import run_aside
from .engine.local import LocalEngine, warm_up
from .engine.packed import Renamed, unpack
from .engine.scratch import RunFolder
from .engine.shelf import Addresses, Shelf, Unlinking, read, shelf_files
from .engine.spool import SETS, SHINGLE_ALIGN, DocumentSpool, ShingleStore, TextStore, encode_text, shingle_bytes
from .errors import Rejection, StrictModeStop
from .read.jsonl import RawRecord
from .read.names import shown
from .read.records import record_to_document
from .settings import Settings
from .stages import dedup_settings, run_first_pass, stages_for
from .write.outputs import dumps
from .write.records import output_record, record_head, translation_value, with_cluster
from .write.summary import Tally, facts

Item = Union[Document, Rejection]
# ("document", record, or its JSON line if Pipeline.json_lines: text, or UTF-8 bytes)
# | ("rejected", Rejection) | ("cluster", dict)
Event = tuple[str, Any]

COMMANDS = ("run", "clean", "lang", "dedup")


class UniqueIds:
    """Duplicate ids in the input are made unique (``id#2``) and counted."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.renamed = 0

    def __call__(self, doc_id: str) -> str:
        if doc_id not in self.seen:
            self.seen.add(doc_id)
            return doc_id
        n = 2
        while f"{doc_id}#{n}" in self.seen:
            n += 1
        new = f"{doc_id}#{n}"
        self.seen.add(new)
        self.renamed += 1
        return new


class Pipeline:
    """Run one command over a stream of documents.

    >>> from normalize import Pipeline
    >>> out = list(Pipeline(command="clean").run([{"id": "a", "text": "Hello world."}]))
    """

    def __init__(self, settings: Settings = Settings(), command: str = "run", engine: Any = None):
        if command not in COMMANDS:
            raise ValueError(f"command must be one of {COMMANDS}")
        self.settings = settings
        self.command = command
        self.engine = engine or LocalEngine(settings.workers)
        self.tally = Tally()
        self.rejected: list[Rejection] = []
        self.clusters: list[dict] = []
        self._rejections: deque[Rejection] = deque()
        self._ids = UniqueIds()
        # True: a document event carries its JSON line (outputs.dumps of the
        # record), not the record; the workers then write most of each line
        self.json_lines = False

    # -- library entry points -------------------------------------------------

    def run(self, records: Iterable[Union[dict, Document, Rejection]]) -> Iterator[dict]:
        """Yield an output record per input record; rejections land in ``self.rejected``
        and clusters in ``self.clusters``."""
        for kind, payload in self.events(records):
            if kind == "document":
                yield payload
            elif kind == "rejected":
                self.rejected.append(payload)
            else:
                self.clusters.append(payload)

    def summary(self, inputs: Optional[list[str]] = None) -> dict[str, Any]:
        return self.tally.as_dict(
            command=self.command, settings=self.settings.echo(), inputs=[shown(i) for i in inputs or []],
            version=__version__
        )

    # -- events ---------------------------------------------------------------

    @property
    def _parse_in_engine(self) -> bool:
        """Input lines read but not parsed (RawRecord) are parsed by the engine's
        workers in the first pass of a run, if it has workers (side by side,
        where this process would parse alone), else here as they come."""
        return self.command == "run" and getattr(self.engine, "parses_records", False)

    def events(self, items: Iterable[Union[dict, Document, Rejection, RawRecord]]) -> Iterator[Event]:
        admitted = self._admit(items)
        if self.command in ("clean", "lang"):
            yield from self._streaming(admitted)
        else:
            yield from self._clustered(admitted)
        yield from self._drain()
        self.tally.renamed_ids = self._ids.renamed
        self.tally.check()

    def _admit(self, items: Iterable[Union[dict, Document, Rejection, RawRecord]]
               ) -> Iterator[Union[Document, RawRecord]]:
        """Count every record read, set rejections aside, make ids unique
        (when the engine parses records: as the first pass returns them)."""
        for number, item in enumerate(items, 1):
            self.tally.read += 1
            if isinstance(item, RawRecord):
                if self._parse_in_engine:
                    yield item
                    continue
                item = item.parse()
            elif isinstance(item, dict):
                item = record_to_document(item, "<records>", number, self.settings.read_options)
            if isinstance(item, Rejection):
                self._rejections.append(item)
                continue
            if not self._parse_in_engine:  # (else every id is made unique as the first pass returns it, in order)
                item.id = self._ids(item.id)
            yield item

    def _reject(self, rejection: Rejection) -> Iterator[Event]:
        self.tally.rejection(rejection)
        if self.settings.strict:
            raise StrictModeStop(
                f"--strict: {rejection.file} line {rejection.line}"
                f"{' (id ' + rejection.id + ')' if rejection.id else ''}: {rejection.reason}"
            )
        yield ("rejected", rejection)

    def _drain(self) -> Iterator[Event]:
        while self._rejections:
            yield from self._reject(self._rejections.popleft())

    def _emit(self, doc: Document) -> Event:
        self.tally.document(doc, self.command)
        record = output_record(doc, self.command, self.settings.text_field)
        return ("document", dumps(record) if self.json_lines else record)

    def _emit_written(self, head: bytes, found: tuple, cluster: Any) -> Event:
        """A document whose line a worker wrote up to its cluster fields (as
        UTF-8 bytes, and so it is completed and written on), with
        the :func:`~.write.summary.facts` the tally counts, and its cluster
        (an :class:`~.dedup.Assignment`)."""
        self.tally.add(found, cluster.duplicate_of is not None, self.command)
        return ("document", with_cluster(head, cluster))

    def _emit_revised(self, written: tuple, cluster: Any, found_late: list) -> Event:
        """:meth:`_emit_written` for a document that the corpus-level name check
        gave findings: the record is read back from its line, and its artefacts
        and verdict revised as :meth:`_emit` would revise the document's.
        (A record read back from its JSON is equal to the one written, and so
        is written again to the same bytes.)"""
        head_at, (lang, encoding, reasons, kinds, _), translation = written
        record = json.loads(with_cluster(read(head_at), cluster))
        revised = revise(translation, found_late)
        record["artefacts"] = record["artefacts"] + [a.as_dict() for a in found_late]
        record["translation"] = translation_value(revised)
        kinds = kinds + tuple(a.kind for a in found_late)
        self.tally.add((lang, encoding, reasons, kinds, bool(revised.get("suspected"))),
                       cluster.duplicate_of is not None, self.command)
        return ("document", dumps(record))

    def _streaming(self, docs: Iterator[Document]) -> Iterator[Event]:
        (stages,) = stages_for(self.command, self.settings)
        for item in self.engine.map(stages, docs):
            yield from self._drain()
            if isinstance(item, Rejection):
                yield from self._reject(item)
            else:
                yield self._emit(item)

    def _clustered(self, docs: Iterator[Document]) -> Iterator[Event]:
        with RunFolder() as tmp, ExitStack() as passes:  # (RunFolder removes what killed runs left: see engine.scratch)
            # an engine that can keeps its workers for both passes, each holding the
            # documents it made in the first (see LocalEngine.holding), until the
            # last pass is done (see _clustered_in)
            holding = getattr(self.engine, "holding", None)
            if holding is not None and self.command == "run":
                passes.enter_context(holding())
            self._passes = passes
            self._unlinking = Unlinking()  # files no longer needed, unlinked meanwhile
            try:
                yield from self._clustered_in(docs, tmp)
            finally:
                self._unlinking.wait()
                Shelf(tmp).close()  # this process's files there, written and read

    def _clustered_in(self, docs: Iterator[Document], tmp: str) -> Iterator[Event]:
        from .dedup import Clusterer

        if self.command == "run":
            docs = yield from self._first_pass(docs, tmp)
            corpus_stage = self._corpus_stage
        else:
            corpus_stage = None
        passes = stages_for(self.command, self.settings, corpus_stage)
        stages = passes[-1]

        # an engine may bring its own clusterer (Spark runs the clustering as jobs,
        # shingling the texts where they are); the local one verifies with the
        # shingle sets the workers made, kept on disk until then
        own_clusterer = getattr(self.engine, "clusterer", None)
        if own_clusterer is not None:
            clusterer = own_clusterer(dedup_settings(self.settings), index_path=self.settings.index)
        else:  # with workers (two cores or more), the reports are made beside the rest
            workers = getattr(self.engine, "workers", 1)
            clusterer = Clusterer(dedup_settings(self.settings), index_path=self.settings.index,
                                  reports_aside=workers > 1, helpers=workers)
        texts = TextStore(tmp)
        shingles = ShingleStore(tmp) if own_clusterer is None else None
        spool = DocumentSpool(tmp, "pass2.pickle")
        shelf = Shelf(tmp)
        # name mentions wait on disk for the clusters too, as the workers pickled
        # them; their votes are counted while the clusters are made (see _name_variants)
        names = named_at = None
        if self.command == "run":
            names, named_at = DocumentSpool(tmp, "names.pickle"), array("q")
        take = TakeForClustering(shelf, (self.command, self.settings.text_field) if self.json_lines else None,
                                 shingles=shingles is not None)
        for item in self.engine.map(stages, docs, take=take):
            yield from self._drain()
            if isinstance(item, Rejection):
                yield from self._reject(item)
                continue
            doc_id, fingerprint, length, text_at, shingles_at, n_artefacts, mentions, written = item.taken
            clusterer.add(doc_id, fingerprint, length=length, n_artefacts=n_artefacts)
            position = texts.add(text_at)
            if shingles is not None:
                shingles.add(shingles_at)
            if names is not None and mentions is not None:
                names.write_pickled(mentions)
                named_at.append(position)
            if isinstance(written, bytes):  # the spool's item, pickled in the worker
                spool.write_pickled(written)
            else:
                spool.write((item.data, written))
        yield from self._drain()
        self._passes.close()  # (the workers are done: their memory is the clustering's)
        if self.command == "run":  # the documents between the passes: read by now
            kept = set(texts.addresses.paths)  # (a process of both passes keeps its file)
            self._unlinking.start([path for path in self._first_pass_files if path not in kept])

        votes = self._count_votes(names, named_at, aside=own_clusterer is None) if names is not None else None
        result = clusterer.finish(texts.__getitem__, shingles_of=shingles)
        # what the clustering needed and the writing does not (the signatures: half
        # a gigabyte a million documents; the addresses of texts and sets) goes now
        del clusterer, texts, shingles
        extra = self._name_variants(result, votes(), names) if votes is not None else {}
        for position, (data, written) in enumerate(spool):
            a = result.assignment(position)
            found_late = extra.get(position)
            if written is not None and not found_late:  # the line a worker wrote, completed
                yield self._emit_written(read(written[0]), written[1], a)
                continue
            if data is None:  # the line a worker wrote, with findings made here (rare)
                yield self._emit_revised(written, a, found_late)
                continue
            doc = unpack(data)  # written whole: findings were made here
            doc.cluster_id, doc.cluster_size = a.cluster_id, a.cluster_size
            doc.duplicate_of, doc.similarity = a.duplicate_of, a.similarity
            if found_late:
                doc.artefacts.extend(found_late)
                doc.translation = revise(doc.translation, found_late)
            yield self._emit(doc)
        clusters = result.clusters  # (waits for the reports: the last to read the shelves)
        # closed first: a file still open here would be freed only when closed, not when unlinked
        Shelf(tmp).close()
        self._unlinking.start(shelf_files(tmp, exclude_own=False))
        self.tally.oversized_clusters = len(getattr(result, "oversized", ()) or ())
        for cluster in clusters:  # (counted as they go by: they may be read from disk)
            self.tally.cluster(cluster)
            yield ("cluster", cluster)
        spool.remove()
        if names is not None:
            names.remove()

    def _first_pass(self, docs: Iterator[Document], tmp: str):
        """Normalise and strip; tally corpus-wide line repeats. Returns the spooled documents."""
        from .strip import CorpusRepeats

        first = run_first_pass(self.settings)
        corpus = CorpusRepeats() if self.settings.corpus_repeats else None
        waiting = Addresses()  # the documents, on the shelves of the processes that made them
        renamed: dict[int, str] = {}  # (position among them: a document's id made unique here)
        take = TakeCorpusSummary(Shelf(tmp), ids=self._parse_in_engine)
        preparing, prepared = ThreadPoolExecutor(1, thread_name_prefix="normalize-prepare"), None
        try:
            for position, item in enumerate(self.engine.map(first, docs, take=take)):
                yield from self._drain()
                if position == 1:
                    prepared = preparing.submit(self._prepare_second_pass)
                if isinstance(item, Rejection):
                    yield from self._reject(item)
                    continue
                summary = item.taken
                if take.ids:
                    doc_id, summary = summary
                    unique = self._ids(doc_id)
                    if unique != doc_id:
                        renamed[len(waiting)] = unique
                if corpus is not None:
                    corpus.add(summary)
                waiting.append(item.data)
        finally:  # (however the pass ends: nothing may fork while the thread holds a lock)
            preparing.shutdown(wait=True)
        if prepared is not None:
            prepared.result()  # (raises what the preparation raised)
        yield from self._drain()
        self._corpus_stage = corpus.finish() if corpus is not None else None
        self._first_pass_files = shelf_files(tmp)  # the workers' (this process may use its own again)
        if renamed:
            return (Renamed(data, renamed[k]) if k in renamed else data for k, data in enumerate(waiting))
        return iter(waiting)

    def _prepare_second_pass(self) -> None:
        """While the workers are busy with the first pass: import what the
        corpus-level steps need, and with a pool, load the second pass's tables
        (language profiles, dedup key tables: a tenth of a second) in this
        process. The pool warms its stages up before it forks its workers; done
        then, between the passes, both cores would wait for it. It runs in a
        thread: done in the loop that hands the workers their documents, it
        kept them waiting a quarter of a second."""
        _import_ahead()
        if getattr(self.engine, "workers", 1) > 1:
            stages = stages_for(self.command, self.settings)[-1]
            if getattr(self.engine, "holds_documents", False):  # (its workers were forked already)
                self.engine.expect(stages)
            else:
                warm_up(stages)

    def _count_votes(self, names: DocumentSpool, positions: array, aside: bool) -> Callable[[], Any]:
        """Start finding the names the corpus spells more than one way; returns
        the function that waits for them (a :class:`~.detect.names.NameVotes`).

        The mentions of every document are read back from their spool and
        looked at in a forked process, while this one makes the clusters: with
        workers, every core was busy while the documents came, and the
        clustering leaves one idle. (With one process, or ``aside`` False, as
        with an engine that clusters on its own, e.g. Spark's driver, which is
        not to be forked: here and now.)"""
        from .detect.names import NameVotes, records_of

        names.close()  # (before the fork: what is written reaches the file once)
        count = partial(NameVotes.counted, map(records_of, names), positions)
        if aside and getattr(self.engine, "workers", 1) > 1:
            return run_aside(count)
        votes = count()
        return lambda: votes

    def _name_variants(self, result: Any, votes: Any, names: DocumentSpool) -> dict[int, list]:
        """Name spellings that differ from the majority in their cluster or the corpus.

        The names spelt more than one way were found while the clusters were
        made (see :meth:`_count_votes`); the mentions of the few documents
        naming one are read back from their spool (twice: their votes, then the
        verdicts), so memory holds the vote tables of those names, not every
        mention of the corpus."""
        from .detect.names import records_of

        return votes.judge(lambda position: result.assignment(position).cluster_id,
                           lambda k: records_of(names.at(k)))


def _import_ahead() -> None:
    """Import what the corpus-level steps will need while the workers are busy
    with the first pass: imported when first used, between the passes, it would
    keep them waiting. (scipy's graph code, a quarter of a second or more, serves
    only where the C kernels were not built: see normalize/strip/kernels.pyx.)"""
    from .strip import corpus

    if corpus.kernels is None:
        import scipy.sparse.csgraph  # noqa: F401


# What the main process takes out of a document between passes (the rest
# stays on a shelf, see normalize/engine/packed.py and shelf.py): small objects,
# sent to the workers with each batch.

class TakeCorpusSummary:
    """After the first pass: the document's summary of its lines, which the
    corpus-level repeat detector adds up; with ``ids``, (its id, the summary),
    for a document read in the worker, whose id is not known to be unique yet."""

    holds = True  # a worker that runs the next pass too may keep the document (see engine.packed.Holding)

    def __init__(self, shelf: Shelf, ids: bool = False) -> None:
        self.shelf = shelf
        self.ids = ids

    def __call__(self, doc: Document) -> Any:
        summary = doc.work.pop("corpus_summary", None)
        return (doc.id, summary) if self.ids else summary


class TakeForClustering:
    """After the last pass: (id, fingerprint, length of the text, where the
    text is, where the shingle set is, number of artefacts, name mentions,
    what was written). The text and the shingle set are put on the shelf,
    where the clusterer reads the few it verifies; the document's scratch
    space is emptied, its work done.

    With ``written`` (the command and the text field), the worker also writes
    the document's JSON line up to its cluster fields, and the facts the tally
    counts: (where the line is, facts, verdict). Encoding is a good part of
    writing, and workers do it side by side where the main process would do it
    alone, after the clusters. That, the facts and the verdict are all the
    main process needs of the document, so it is not kept
    (``keeps_document``, see :mod:`.engine.packed`). They wait in the main
    process's spool until the clusters are known, as the spool keeps them:
    pickled here, so the main process stores the bytes as they come instead of
    unpickling them on arrival and pickling them again for the spool."""

    def __init__(self, shelf: Shelf, written: Optional[tuple[str, str]] = None, shingles: bool = True) -> None:
        self.shelf = shelf
        self.written = written
        self.keeps_document = written is None
        self.shingles = shingles  # (False: the engine clusters on its own and shingles the texts itself)
        self.sets = Shelf(shelf.directory, SETS)  # (flushed with the shelf: see Shelf.flush)

    def __call__(self, doc: Document) -> tuple:
        put = self.shelf.put
        fingerprint = doc.work.pop("fingerprint")
        shingles, fingerprint.shingles = fingerprint.shingles, None
        # the name mentions, as plain data: they wait on disk until the clusters are known
        records = doc.work.pop("names", None)
        mentions = None
        if records:
            from .detect.names import records_bytes  # (imported in a worker by the detect stages already)

            mentions = records_bytes(records)
        doc.work.clear()
        written = None
        if self.written is not None:  # (the spool's item: the document, not kept, and what was written)
            written = pickle.dumps((None, (put(record_head(doc, *self.written)), facts(doc), doc.translation)),
                                   protocol=pickle.HIGHEST_PROTOCOL)
        return (doc.id, fingerprint, len(doc.text), put(encode_text(doc.text)),
                None if shingles is None or not self.shingles else self.sets.put(shingle_bytes(shingles), SHINGLE_ALIGN),
                len(doc.artefacts), mentions, written)
