"""The local engine: per-document stages over a process pool, in input order.

``multiprocessing.Pool.imap`` would read the whole input ahead into its task
queue, so memory would grow with the corpus, and a killed worker leaves it
waiting forever. Instead batches go to a ``ProcessPoolExecutor`` (which fails
loudly when a worker dies) and at most ``window`` of them are in flight: the
reader never runs more than about a thousand documents ahead of the writer.

A run of two passes keeps its workers for both (:meth:`LocalEngine.holding`):
each is a pool of one process, keeps the documents it made in the first pass
(up to :data:`HOLD_BYTES`) and gets them back in the second, so that they are
neither pickled nor read back in between; but for what a worker was handed over
its share, which waits on its shelf for whichever worker is free
(:meth:`LocalEngine._even_out`). While a worker waits between the passes, the
next pass's stages look ahead in the documents it holds (:func:`_look_ahead`).
"""
from __future__ import annotations

import gc
import multiprocessing
import signal
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence, Union

from ..document import Document
from ..errors import Rejection, RunError
from .heap import keep_freed_memory
from .packed import (Take, held_documents, hold_documents, holder, item_size, moved, pack_all, release_held,
                     unpack)

Stage = Callable[[Document], Document]
Item = Union[Document, Rejection]

# Documents a worker is handed at a time. Each batch costs a round trip to a
# worker and a call of each stage's batch method (the language and MinHash
# stages work on a whole batch in one go). Against 32, with the same outputs:
# the 100k benchmark corpus 75.0 against 82.1 s (benchmarks/bench_run_ab.py, two
# rounds; the main process's CPU 11.0 against 15.3 s, the workers' 134.6 against
# 144.6 s); the 10k one 7.7 against 7.7 s there (five rounds), and 0-8% faster in
# three sets of alternating runs timed inside the process. 256 and 512 were
# slower than 128 (at the end of a pass one worker finishes the last batch alone).
BATCH = 128

# Bytes of documents a batch holds at most (as packed.item_size counts them),
# whatever its number of documents. A batch of news (128 articles of 6 KB)
# comes to under 1 MB read and some 5 MB held (held_size), but 128 long
# documents (reports, books: up to max_doc_bytes, 10 MB, each) would be one
# batch, run by one worker while the other waits, with several such batches in
# flight. 160 documents of 600,000 characters made two batches, and their run
# took 12.5 s, at most 1,569 MB in one process (GNU time); in batches of 16 MB,
# 7.9 s and 459 MB, with the same outputs.
BATCH_BYTES = 16 << 20

_stages: Optional[Sequence[Stage]] = ()
# In a worker of a crew: how many passes the main process has begun, in memory
# it shares with its workers (see _look_ahead).
_begun: Any = None


def apply_stages(stages: Sequence[Stage], doc: Document) -> Item:
    """Run ``stages`` over one document; a stage that fails rejects only that document."""
    for stage in stages:
        try:
            doc = stage(doc)
        except Exception as exc:  # one bad document must not stop the run
            name = getattr(stage, "name", type(stage).__name__)
            return Rejection(doc.source.file, doc.source.line, doc.id, f"{name} failed: {type(exc).__name__}: {exc}")
    return doc


def apply_stages_to_batch(stages: Sequence[Stage], docs: list[Item]) -> list[Item]:
    """Run ``stages`` over a batch. A stage with a ``batch(docs)`` method (vectorised
    work such as MinHash) gets the whole batch at once; if that fails, it falls
    back to one document at a time, so only a failing document is rejected."""
    items: list[Item] = list(docs)
    for stage in stages:
        live = [i for i, item in enumerate(items) if isinstance(item, Document)]
        if hasattr(stage, "batch") and live:
            try:
                stage.batch([items[i] for i in live])
                continue
            except Exception:
                pass
        for i in live:
            items[i] = apply_stages((stage,), items[i])  # type: ignore[arg-type]
    return items


def _init(stages: Sequence[Stage], worker: Optional[int] = None, hold_bytes: int = 0, begun: Any = None) -> None:
    global _stages, _begun
    _stages = stages
    if worker is not None:  # one of a crew that keeps its documents between passes
        hold_documents(worker, hold_bytes)
        _begun = begun
    # Ctrl-C reaches the whole process group; the main process handles it and
    # shuts the pool down, so workers should not each print a traceback; and a
    # forked worker must not inherit the CLI's SIGTERM handler either.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # A worker makes and drops a few hundred thousand small objects per batch
    # (lines, records, pickles), none of them in reference cycles that matter,
    # and every 700 allocations the collector would look through the young ones,
    # and now and then through everything the worker holds: the language and
    # name tables, the line caches. Those tables, built before the fork, are
    # moved out of its sight, and it looks less often. That saves about 4% of
    # the workers' time; what it finds is still freed, a little later.
    gc.freeze()
    gc.set_threshold(20000, 50, 50)
    # It keeps the memory a batch frees for the next one (see .heap), where
    # the kernel spent most of its time taking pages back and handing them out.
    keep_freed_memory()


def _run_batch(batch: list, take: Optional[Take] = None) -> list:
    if _stages is None:
        raise RuntimeError("the stages of this pass were not installed in the worker")
    out = pack_all(apply_stages_to_batch(_stages, [unpack(doc) for doc in batch]), take, pickled=True)
    # What outlives a batch lives long: the stages' line caches, and the
    # documents a worker keeps for the next pass. The collector's full sweeps
    # would go through all of it again and again (with documents kept, the
    # 100k run took 73-76 s against 70-71 s), so it is moved out of their
    # sight, like the tables at the fork (see _init), and is freed by its
    # reference counts all the same. (What is frozen is never swept; a batch
    # leaves no garbage in reference cycles: none found after each of 20
    # batches of the 10k corpus, in either pass.)
    gc.freeze()
    return out


def _warm(stages: Sequence[Stage], passes_begun: int = 0) -> None:
    """In a worker of a crew, once it is done with a pass: load the tables of
    the next pass's stages (see :meth:`LocalEngine.expect`), then look ahead
    for them in the documents it holds until the next pass begins."""
    warm_up(stages)
    _look_ahead(stages, passes_begun)


def _look_ahead(stages: Sequence[Stage], passes_begun: int) -> int:
    """Between two passes a worker of a crew waits, its next pass's tables
    loaded: for the other workers to finish the pass, then for the main
    process to make the corpus-level steps. Meanwhile each stage of the next
    pass that can (one with a ``look_ahead(doc)`` method) works out
    beforehand, in the documents the worker holds, what it will need of them
    that depends on them alone and that it keeps: what it learns of a page's
    lines, say, which it caches on each line's text. The documents come in the
    order the next pass brings them back, and the looking stops as soon as the
    main process begins that pass (``passes_begun`` is the count when this
    pass was handed out), so the pass never waits for it. Nothing a stage
    writes depends on it: the pass finds the answers it would have worked out.
    Returns how many documents were looked at.

    The wait grows with the corpus: of 10,000 generated articles the two
    workers looked at 6 and 14 documents (the tables take most of the wait),
    of 100,000 at 2,903 and 2,676 in some 0.8 s each, and the artefact stage's
    line facts they worked out then (17,602 and 16,294) were that many fewer
    for the second pass to work out."""
    looks = [getattr(stage, "look_ahead") for stage in stages if hasattr(stage, "look_ahead")]
    seen = 0
    if not looks or _begun is None:
        return seen
    for doc in held_documents():
        if _begun.value > passes_begun:
            break
        for look in looks:
            look(doc)
        seen += 1
    return seen


def _install(stages: Sequence[Stage]) -> None:
    """In a worker of a crew (see :meth:`LocalEngine.holding`): the stages of
    its next pass, their tables loaded here (the worker was forked before the
    main process loaded them)."""
    global _stages
    _stages = None  # (if the warm-up fails, no batch runs the last pass's stages)
    warm_up(stages)
    _stages = stages


# Stages load their tables (language profiles, lexicons) lazily on first use.
# Running them once on a small text in the parent before the pool forks means
# the workers share those tables instead of each spending a second loading them.
WARM_UP_TEXT = (
    "Warm-up headline\n\nThis short paragraph loads the tables every stage needs. "
    "Ce paragraphe est en français.\nЭто строка по-русски.\n본문 바로가기\n東京は日本の首都です。"
)


def warm_up(stages: Sequence[Stage]) -> None:
    from ..document import Source

    apply_stages(stages, Document(id="warm-up", text=WARM_UP_TEXT, source=Source("<warm-up>", 0)))


def _batches(items: Iterable[Document], size: int) -> Iterator[list[Document]]:
    """Batches of up to ``size`` items in order, and of :data:`BATCH_BYTES` at most."""
    for _, batch in _batches_by_holder(items, size, by_holder=False):
        yield batch


WORKER_DIED = "a worker process died (killed or out of memory); no output was written"

# How often a wait for results looks at the workers, and how long a dead
# worker may go unnoticed by the pool before the run gives up on it.
_POLL = 0.5
_GRACE = 5.0


def _result(future, pool: ProcessPoolExecutor, pools: Sequence[ProcessPoolExecutor] = ()) -> list[Item]:
    """``future.result()``, but never a wait forever on a dead worker.

    The pool notices a dead worker by itself, except in one case: a worker
    killed in the middle of sending its results leaves half a message in the
    pipe all workers share, and the pool's reader waits for the rest, which
    never comes. So while waiting, look at the workers; if one has died and the
    pool has not said so within ``_GRACE`` seconds, stop the others and close
    the pipe, which ends the reader's wait, and fail the run. ``pool`` is
    stopped with the other ``pools`` of the pass, if any (a crew's, see
    :meth:`LocalEngine.holding`): a worker forked after another pool was made
    holds that pool's pipe open too.
    """
    dead_since = None
    while True:
        try:
            return future.result(timeout=_POLL)
        except FuturesTimeout:
            pass
        processes = list((getattr(pool, "_processes", None) or {}).values())
        if not any(p.exitcode is not None for p in processes):
            dead_since = None
            continue
        dead_since = dead_since or time.monotonic()
        if time.monotonic() - dead_since >= _GRACE:
            _abandon(list(pools) or [pool])
            raise RunError(WORKER_DIED)


def _abandon(pools: list[ProcessPoolExecutor]) -> None:
    """Kill the pools' workers and close the parent's end of their result pipes,
    so that each pool's reader sees the end of its pipe and the pool can shut down."""
    processes = [p for pool in pools for p in (getattr(pool, "_processes", None) or {}).values()]
    for process in processes:
        if process.exitcode is None:
            process.kill()
    for process in processes:
        process.join(timeout=_GRACE)
    for pool in pools:
        queue = getattr(pool, "_result_queue", None)
        writer = getattr(queue, "_writer", None)
        if writer is not None:
            writer.close()


# What the pipe to the workers holds (see the module's docstring): Linux's
# limit for a user who is not root (/proc/sys/fs/pipe-max-size), and room
# for the largest batches of news text.
PIPE_BYTES = 1 << 20


def _widen_pipe(pool: ProcessPoolExecutor) -> None:
    """Let the pipe that carries batches to ``pool``'s workers hold
    :data:`PIPE_BYTES` (Linux only; elsewhere, or if refused, it stays as it is)."""
    writer = getattr(getattr(pool, "_call_queue", None), "_writer", None)
    try:
        import fcntl

        fcntl.fcntl(writer.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)  # type: ignore[union-attr]
    except (ImportError, AttributeError, OSError):
        pass


# What a worker of a crew (see LocalEngine.holding) keeps in memory between
# passes, at most: 10,000 generated articles (about 6 KB each) take some 180 MB
# a worker by held_size's measure, all held; of a larger corpus, the rest waits
# on the shelf as it would without a crew.
HOLD_BYTES = 256 << 20

# Fewest documents a worker of a crew puts on its shelf to even out the next
# pass (see LocalEngine._even_out): fewer are not worth a batch of their own.
_LEAST_MOVED = 32

# Batches not yet done a worker of a crew may have before it is handed one of
# the second pass's that any worker may take (see FREE_TAIL): handed out as
# soon as they come, such a batch could go to a worker with four of its own
# still to run while the other was about to run out.
_LEAD = 1

# Batches in flight, for each worker, in a crew's later passes, where a batch
# goes back to the worker holding its documents (a first pass, or a pool
# without a crew, has four: any worker may take any batch). The first pass
# hands each batch to the worker with the least to do, and in stretches one
# gets more than the other (45 batches against 34 in one run of the 10k
# corpus). In the next pass, in input order, such a stretch fills a window of
# eight with the one worker's batches, and the other waits until the first in
# flight comes back: in nine runs of the 10k corpus with eight, one worker
# stood idle 0-0.94 s of the second pass (gaps of 30-140 ms; a median of
# 0.36 s); with sixteen, in eight runs, 0-0.11 s (six of them 0). (Results
# done out of turn wait here: some 0.3 MB a batch of the last pass, pickled.)
HELD_WINDOW = 8

# Documents each worker of a crew puts on its shelf besides what is over its
# share (see LocalEngine._even_out): the latest ones, so that the next pass
# ends with batches that whichever worker is free takes.
FREE_TAIL = 2 * BATCH


class LocalEngine:
    def __init__(self, workers: int = 1, hold_bytes: Optional[int] = None):
        self.workers = max(1, int(workers))
        # lines of input read but not parsed (see normalize.read.jsonl.RawRecord)
        # are parsed by the workers, side by side, if there are workers
        self.parses_records = self.workers > 1
        self.hold_bytes = HOLD_BYTES if hold_bytes is None else hold_bytes
        self._crew: Optional[list[ProcessPoolExecutor]] = None  # (while holding(): None until its first pass)
        self._holding = False
        self._expected: Optional[list[Stage]] = None
        self._releasing: list = []  # (future, pool): documents a crew's worker puts on its shelf (see _even_out)
        self._begun: Any = None  # passes begun, shared with a crew's workers (see _look_ahead)
        self._pass_ended = True  # (False while a crew's pass is under way, or after one that did not end)

    @property
    def holds_documents(self) -> bool:
        """True inside :meth:`holding` with workers: later passes run in the workers of the first."""
        return self._holding and self.workers > 1

    def expect(self, stages: Sequence[Stage]) -> None:
        """The stages of the next pass, as far as they are known during this one
        (the corpus-level steps may add one): inside :meth:`holding`, each worker
        loads their tables as soon as it has had the last batch of this pass,
        while the others finish theirs and this process makes the corpus-level
        steps, instead of after them."""
        self._expected = list(stages)

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Run every pass within on the same workers, each keeping the
        documents it made for the next pass (see :class:`.packed.Holding`).

        Each worker is a pool of its own, so that a batch of documents goes
        back to the worker that holds them; the first pass hands each batch to
        the worker with the least to do, and the next passes follow it. A
        worker gets the stages of a later pass once, before its batches."""
        if self._holding:
            raise RuntimeError("already holding")
        self._holding = True
        self._pass_ended = True
        done = False
        try:
            yield
            done = self._pass_ended
        finally:
            crew, self._crew, self._holding = self._crew, None, False
            self._releasing = []
            if self._begun is not None:  # (a worker still looking ahead stops: see _look_ahead)
                self._begun.value += 1
                self._begun = None
            # After a last pass that ran to its end the workers have nothing left
            # to do, and each takes some 25 ms to exit (the kernel takes back its
            # memory): they exit on the other core while this process goes on to
            # cluster, instead of one after the other before it. After a pass
            # that failed or was left, the batches not begun are cancelled and
            # the workers waited for, so that none writes in a folder being
            # removed. (Never both: a pool that cancels its batches and is not
            # waited for can hang this process's exit, when a batch it could
            # not send fails after the pool has set its list of batches aside.)
            for pool in crew or ():
                pool.shutdown(wait=not done, cancel_futures=not done)

    def map(self, stages: Sequence[Stage], docs: Iterable, take: Optional[Take] = None) -> Iterator:
        """Apply ``stages`` to every document; results come out in input order.

        ``docs`` may hold pickled documents (:mod:`.packed`); with ``take``,
        each resulting document comes back as a :class:`~.packed.Packed`."""
        if self.workers == 1:
            for batch in _batches(docs, BATCH):
                yield from pack_all(apply_stages_to_batch(stages, [unpack(d) for d in batch]), take, pickled=False)
            return
        if self._holding:
            yield from self._crew_map(stages, docs, take)
            return
        warm_up(stages)
        pool = _pool(self.workers, list(stages))
        try:
            yield from _in_order([pool], docs, take, self.workers * 4)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _crew_map(self, stages: Sequence[Stage], docs: Iterable, take: Optional[Take]) -> Iterator:
        """:meth:`map` on the crew, its workers started by the first pass and
        given the stages of each later one."""
        if self._crew is None:
            warm_up(stages)
            self._begun = _context().RawValue("i", 1)
            self._crew = [_pool(1, list(stages), worker=k, hold_bytes=self.hold_bytes, begun=self._begun)
                          for k in range(self.workers)]
            handed = [0] * self.workers

            def handed_out() -> None:
                self._even_out(handed, take)
                self._warm_expected()

            self._pass_ended = False
            yield from _in_order(self._crew, docs, take, self.workers * 4, then=handed_out, handed=handed)
            self._pass_ended = True
            return
        # (each worker loads the tables of its own stages; nothing is sent before they are in)
        self._pass_ended = False
        self._expected = None  # (told too late, in a short pass: these stages are here now)
        self._begun.value += 1  # (the workers stop looking ahead: see _look_ahead)
        installs = [(pool.submit(_install, list(stages)), pool) for pool in self._crew]
        try:
            addresses: dict = {}
            for future, pool in self._releasing:
                addresses.update(_result(future, pool, self._crew))
            self._releasing = []
            for future, pool in installs:
                _result(future, pool, self._crew)
        except BrokenProcessPool as exc:
            raise RunError(WORKER_DIED) from exc
        if addresses:
            docs = (moved(item, addresses) for item in docs)
        yield from _in_order(self._crew, docs, take, self.workers * HELD_WINDOW, then=self._warm_expected,
                             lead=_LEAD)
        self._pass_ended = True

    def _even_out(self, handed: list[int], take: Optional[Take]) -> None:
        """Once a crew's first pass is handed out: have each worker that was
        handed more documents than its share put its last ones on its shelf, so
        that the next pass gives them to whichever worker is free.

        The first pass hands a batch to the worker with the least to do, and
        this process, which reads the input meanwhile, shares a core with one
        of them: that one gets fewer batches. The next pass costs the same per
        document in either worker, and each batch of it goes back to the
        worker holding its documents: on 10,000 articles one worker had 41
        batches to the other's 38, and ended the pass 0.2-0.3 s after it, the
        other core idle. The documents put on the shelf are pickled while this
        process makes the corpus-level steps, when the workers wait anyway.

        Each worker also puts its latest :data:`FREE_TAIL` there, whatever its
        share: documents cost more or less, and this process takes some of
        one core, so two workers with the same count still ended the pass
        0.01-0.21 s apart (eight runs of 10,000 articles, 0.11 s on average).
        With the pass's last batches held by none, and each handed to the
        first worker to have at most :data:`_LEAD` batches left, they ended
        0.02-0.11 s apart (0.06 s on average)."""
        shelf = getattr(take, "shelf", None)
        if shelf is None or not getattr(take, "holds", False) or self._crew is None:
            return
        share = sum(handed) // len(handed)
        for pool, count in zip(self._crew, handed):
            over = count - share if count - share >= _LEAST_MOVED else 0
            moved = min(count, over + FREE_TAIL)
            if moved >= _LEAST_MOVED:
                self._releasing.append((pool.submit(release_held, moved, shelf), pool))

    def _warm_expected(self) -> None:
        """Once a pass's last batch is handed out: the expected stages' tables,
        loaded by each worker behind its last batches (a failure there surfaces
        when their pass installs them)."""
        expected, self._expected = self._expected, None
        if expected is not None:
            for pool in self._crew or ():
                pool.submit(_warm, expected, self._begun.value)


def _in_order(pools: list[ProcessPoolExecutor], docs: Iterable, take: Optional[Take], window: int,
              then: Optional[Callable[[], None]] = None, handed: Optional[list[int]] = None,
              lead: Optional[int] = None) -> Iterator:
    """The results of ``docs``'s batches, in input order, with at most
    ``window`` batches in flight. A batch goes to the pool holding its
    documents (a crew's, each pool one worker), or else to the one with the
    fewest batches not yet done; with ``lead``, once one has at most that many
    (see :data:`_LEAD`). ``then`` runs once the last is handed out.
    ``handed`` counts the documents handed to each pool."""
    pending: deque = deque()

    def least_busy() -> int:  # (results are taken in order: a worker ahead has finished ones waiting)
        while True:
            busy = [0] * len(pools)
            for future, _, worker in pending:
                busy[worker] += not future.done()
            free = min(range(len(pools)), key=busy.__getitem__)
            if lead is None or busy[free] <= lead:
                return free
            # (none done for a while: handed out all the same, and a dead worker is noticed by _result)
            undone = [future for future, _, _ in pending if not future.done()]
            if not wait(undone, timeout=_POLL, return_when=FIRST_COMPLETED).done:
                return free

    try:
        for worker, batch in _batches_by_holder(docs, BATCH):
            if worker is None:
                worker = least_busy() if len(pools) > 1 else 0
            pending.append((pools[worker].submit(_run_batch, batch, take), pools[worker], worker))
            if handed is not None:
                handed[worker] += len(batch)
            while len(pending) >= window:
                future, pool, _ = pending.popleft()
                yield from _result(future, pool, pools)
        if then is not None:
            then()
        while pending:
            future, pool, _ = pending.popleft()
            yield from _result(future, pool, pools)
    except BrokenProcessPool as exc:
        raise RunError(WORKER_DIED) from exc
    finally:
        for future, _, _ in pending:
            future.cancel()


def _context() -> Any:
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


def _pool(workers: int, stages: list, worker: Optional[int] = None, hold_bytes: int = 0,
          begun: Any = None) -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_init,
                               initargs=(stages, worker, hold_bytes, begun))
    _widen_pipe(pool)
    return pool


def _batches_by_holder(items: Iterable, size: int, by_holder: bool = True) -> Iterator[tuple[Optional[int], list]]:
    """Batches of up to ``size`` items in order, and of up to :data:`BATCH_BYTES`
    (a longer item is a batch of its own), each with the worker that holds its
    documents (None: held by none, e.g. on a shelf, or read): a batch of
    documents held by none is one that any worker may take."""
    batch: list = []
    owner: Optional[int] = None
    filled = 0  # bytes in the batch
    for item in items:
        worker = holder(item) if by_holder else None
        n_bytes = item_size(item)
        if batch and (len(batch) >= size or worker != owner or filled + n_bytes > BATCH_BYTES):
            yield owner, batch
            batch = []
            filled = 0
        batch.append(item)
        filled += n_bytes
        owner = worker
    if batch:
        yield owner, batch
