"""The local engine: order, per-document failure isolation, batch stages."""
from __future__ import annotations

import collections
import os
import pickle
import time
from contextlib import contextmanager

import pytest

from normalize.document import Document, Source
from normalize.engine import local
from normalize.engine.local import LocalEngine
from normalize.errors import Rejection


class Upper:
    name = "upper"

    def __call__(self, doc):
        if "boom" in doc.text:
            raise ValueError("cannot shout this")
        doc.text = doc.text.upper()
        return doc


class BatchLength:
    """Records whether it ran batched; fails the whole batch if any text is 'bad'."""

    name = "batch-length"

    def __call__(self, doc):
        doc.work["length"] = len(doc.text)
        doc.work["batched"] = False
        return doc

    def batch(self, docs):
        if any(d.text == "BAD" for d in docs):
            raise RuntimeError("one bad document spoils a vectorised batch")
        for d in docs:
            d.work["length"] = len(d.text)
            d.work["batched"] = True
        return docs


def docs(texts):
    return [Document(id=str(i), text=t, source=Source("mem", i + 1)) for i, t in enumerate(texts)]


def test_order_is_kept_and_one_failure_rejects_one_document():
    texts = [f"text {i}" if i != 57 else "boom" for i in range(300)]
    for workers in (1, 2):
        out = list(LocalEngine(workers).map([Upper(), BatchLength()], docs(texts)))
        assert len(out) == 300
        assert isinstance(out[57], Rejection) and "upper failed: ValueError" in out[57].reason
        assert out[57].line == 58 and out[57].id == "57"
        assert [d.text for i, d in enumerate(out) if i != 57] == [f"TEXT {i}" for i in range(300) if i != 57]
        assert all(d.work["batched"] for i, d in enumerate(out) if i != 57)


def test_a_batch_of_news_pages_goes_to_a_worker_in_one_write(monkeypatch):
    # (Linux: elsewhere the pipe keeps its size, and the run is the same)
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_GETPIPE_SZ"):
        pytest.skip("no F_GETPIPE_SZ here")
    from normalize.engine import local

    sizes = []

    def widen(pool):
        real_widen(pool)
        sizes.append(fcntl.fcntl(pool._call_queue._writer.fileno(), fcntl.F_GETPIPE_SZ))

    real_widen = local._widen_pipe
    monkeypatch.setattr(local, "_widen_pipe", widen)
    pages = [f"Page {i}. " + "A line of a news page, as long as most paragraphs are.\n" * 120
             for i in range(local.BATCH)]  # ~7 KB each, and no two alike (pickle would store one once)
    out = list(LocalEngine(2).map([Upper()], docs(pages)))
    assert [d.text for d in out] == [p.upper() for p in pages]
    batch = pickle.dumps(docs(pages[: local.BATCH]), protocol=pickle.HIGHEST_PROTOCOL)
    assert sizes == [local.PIPE_BYTES] and len(batch) < local.PIPE_BYTES


def take_length(doc):
    """What a main process might take out of a document between passes."""
    return doc.id, doc.work.pop("length")


def test_with_take_documents_come_back_packed_and_pickled_documents_go_in():
    from normalize.engine.packed import Packed, unpack

    texts = [f"text {i}" if i != 5 else "boom" for i in range(100)]
    for workers in (1, 2):
        out = list(LocalEngine(workers).map([Upper(), BatchLength()], docs(texts), take=take_length))
        assert isinstance(out[5], Rejection)
        packed = [item for item in out if not isinstance(item, Rejection)]
        assert all(isinstance(item, Packed) for item in packed)
        # from workers the documents come pickled; in one process, as they are
        assert all(isinstance(item.data, bytes if workers == 2 else Document) for item in packed)
        assert [item.taken for item in packed] == [(str(i), len(texts[i])) for i in range(100) if i != 5]
        again = [unpack(item.data) for item in packed]
        assert [d.text for d in again] == [texts[i].upper() for i in range(100) if i != 5]
        assert all("length" not in d.work and d.work["batched"] for d in again)  # taken, not pickled twice
        # a second pass takes the pickled documents as they are
        second = list(LocalEngine(workers).map([Upper()], [item.data for item in packed]))
        assert [d.text for d in second] == [d.text for d in again]


class TakeLengthShelved:
    """take_length, with the documents put on a shelf."""

    def __init__(self, shelf):
        self.shelf = shelf

    def __call__(self, doc):
        return take_length(doc)


def test_with_a_shelf_documents_stay_where_they_were_made(tmp_path):
    """A take with a shelf: each process puts the documents it made in a file
    of its own, and only their addresses come back; the next pass's workers
    read them from there, and so can the main process."""
    import os

    from normalize.engine.packed import unpack
    from normalize.engine.shelf import Shelf, Shelved

    texts = [f"text {i} " + "é" * i if i != 5 else "boom" for i in range(100)]
    for workers in (1, 2):
        shelf = Shelf(str(tmp_path / str(workers)))
        os.mkdir(shelf.directory)
        try:
            out = list(LocalEngine(workers).map([Upper(), BatchLength()], docs(texts), take=TakeLengthShelved(shelf)))
            packed = [item for item in out if not isinstance(item, Rejection)]
            assert all(isinstance(item.data, Shelved) for item in packed)
            files = {item.data.path for item in packed}
            # a file per process that made documents: the main process's alone, or
            # the workers' (one worker may have taken every batch), never the main one's
            makers = {int(f.rsplit("-", 1)[1].split(".")[0]) for f in files}
            assert all(os.path.dirname(f) == shelf.directory for f in files)
            assert makers == {os.getpid()} if workers == 1 else (1 <= len(makers) <= 2 and os.getpid() not in makers)
            assert [item.taken for item in packed] == [(str(i), len(texts[i])) for i in range(100) if i != 5]
            assert [unpack(item.data).text for item in packed] == [texts[i].upper() for i in range(100) if i != 5]
            second = list(LocalEngine(workers).map([Upper()], [item.data for item in packed]))
            assert [d.text for d in second] == [texts[i].upper() for i in range(100) if i != 5]
        finally:
            shelf.close()


def test_a_shelf_reads_back_what_was_put_and_a_fork_never_writes_it_twice(tmp_path):
    """Puts are buffered; what a process put is readable by it at once, by
    others after a flush; and a child forked while the parent's buffer held
    bytes does not write them again (which would shift every later address)."""
    import multiprocessing

    import pytest

    from normalize.engine.shelf import Addresses, Shelf, read

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork here")
    shelf = Shelf(str(tmp_path))
    try:
        first = shelf.put(b"abc")
        seen = read(first)
        assert seen == b"abc"  # our own, still in the buffer: flushed to be read
        second = shelf.put("żółw".encode())  # in the buffer when the child is forked
        ctx = multiprocessing.get_context("fork")
        child = ctx.Process(target=_put_in_child, args=(shelf, seen))
        child.start()
        child.join()
        assert child.exitcode == 0
        third = shelf.put(b"xyz")
        assert [read(a) for a in (first, second, third)] == [b"abc", "żółw".encode(), b"xyz"]
        shelf.flush()
        assert (tmp_path / f"shelf-{os.getpid()}.bin").read_bytes() == b"abc" + "żółw".encode() + b"xyz"
        children = [p for p in tmp_path.iterdir() if p.name != f"shelf-{os.getpid()}.bin"]
        assert [p.read_bytes() for p in children] == [b"from the child: abc"]

        addresses = Addresses()
        assert [addresses.append(a) for a in (first, None, third)] == [0, 1, 2]
        assert list(addresses) == [first, None, third] and len(addresses) == 3
    finally:
        shelf.close()


def _put_in_child(shelf, seen):
    address = shelf.put(b"from the child: " + seen)
    shelf.flush()
    assert address.offset == 0 and os.path.basename(address.path) == f"shelf-{os.getpid()}.bin"


def test_a_spool_keeps_items_pickled_here_and_elsewhere_in_order(tmp_path):
    import pickle

    from normalize.engine.spool import DocumentSpool

    spool = DocumentSpool(str(tmp_path), "items.pickle")
    items = [(None, ("head", ("en", None, ("nav",), (), False), {"suspected": False})), b"bytes", ("x", None)]
    spool.write(items[0])
    spool.write_pickled(pickle.dumps(items[1], protocol=pickle.HIGHEST_PROTOCOL))
    spool.write(items[2])
    assert spool.count == 3 and list(spool) == items and list(spool) == items  # read as often as needed
    assert [spool.at(k) for k in (2, 0, 1)] == [items[2], items[0], items[1]]


def test_a_failing_batch_falls_back_to_documents_one_by_one():
    out = list(LocalEngine(1).map([BatchLength()], docs(["ok", "BAD", "fine"])))
    assert [d.work["length"] for d in out] == [2, 3, 4]
    assert not any(d.work["batched"] for d in out)  # the whole batch went the slow, safe way


def test_documents_pickle_with_every_field():
    """Documents cross to workers and spools as pickles (with a compact reduce):
    every field, transient work included, must come back equal."""
    import pickle

    from normalize.document import Artefact, Document, Removal, Source

    doc = Document(id="d", text="kept line", source=Source("f.jsonl", 7), fields={"url": "https://x"},
                   encoding="cp1251", lines=["nav", "kept line"], removed=[Removal(1, "nav", "nav")],
                   lang="en", lang_score=0.9, lang_top=[("en", 0.9)],
                   artefacts=[Artefact("wire-marker", 2, "(local time)")], cluster_id="dup-1",
                   cluster_size=2, duplicate_of="e", similarity=0.8)
    doc.work["names"] = ["Kim Jong UN"]
    back = pickle.loads(pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == doc and back.work == doc.work and back.lines == ["nav", "kept line"]
    assert isinstance(back.removed[0], Removal) and isinstance(back.source, Source)
    # removed lines travel as columns: many of them, in order, each a Removal again
    doc.removed = [Removal(i, f"line {i}", ("nav", "footer")[i % 2]) for i in range(1, 120)]
    back = pickle.loads(pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL))
    assert back.removed == doc.removed and all(type(r) is Removal for r in back.removed)
    # a list that is not all Removal records (a caller's own) comes back as it was
    doc.removed = [Removal(1, "nav", "nav"), ("2", "odd", "own")]
    assert pickle.loads(pickle.dumps(doc)).removed == doc.removed
    doc.removed = []
    assert pickle.loads(pickle.dumps(doc)).removed == []


class DieMidMessage:
    """For the document "half": write the start of a result message to the
    pool's result pipe, then die: what a worker killed while it sends its
    results (by the OOM killer, say) leaves behind."""

    name = "die-mid-message"

    def __call__(self, doc: Document) -> Document:
        if doc.id == "half":
            import gc
            import os
            import signal
            import struct
            from multiprocessing.queues import SimpleQueue

            gc.unfreeze()  # (the worker froze what it inherited, the queue too, out of get_objects' sight)
            (results,) = [o for o in gc.get_objects() if isinstance(o, SimpleQueue)]
            results._writer._send(struct.pack("!i", 100_000) + b"partial")
            os.kill(os.getpid(), signal.SIGKILL)
        return doc


def test_a_worker_killed_while_sending_fails_the_run_instead_of_hanging(monkeypatch):
    """The pool's reader would wait forever for the rest of the message; the
    engine notices the dead worker, stops the pool and fails the run."""
    import time

    import pytest

    from normalize.engine import local
    from normalize.errors import RunError

    monkeypatch.setattr(local, "_GRACE", 1.0)
    monkeypatch.setattr(local, "_POLL", 0.1)
    batch = [Document(id="half" if i == 40 else f"d{i}", text="x", source=Source("t", i)) for i in range(400)]
    start = time.monotonic()
    with pytest.raises(RunError, match="worker process died"):
        list(LocalEngine(2).map([DieMidMessage()], batch))
    assert time.monotonic() - start < 30


def test_workers_parse_the_lines_of_input_and_ids_are_made_unique_in_order(tmp_path, monkeypatch):
    """With workers, ``run`` hands them the JSON lines as read and they parse
    them (never this process); what comes out is what one process makes:
    the same rejections (bad JSON, no text), and a taken id renamed in input
    order, across a folder of text files and a JSON Lines file alike."""
    import json

    from normalize import api
    from normalize.read.jsonl import RawRecord
    from normalize.settings import Settings

    texts = [f"Story {n}: the council met on Tuesday to discuss the {n}th budget line.\n\n"
             f"Members argued for an hour about item {n} before the vote was taken." for n in range(40)]
    folder = tmp_path / "txt"
    folder.mkdir()
    (folder / "same.txt").write_text(texts[0])
    lines = []
    for n, text in enumerate(texts):
        if n % 9 == 4:
            lines.append("{not json")
        elif n % 9 == 6:
            lines.append(json.dumps({"id": f"d{n}", "body": text}))
        else:
            lines.append(json.dumps({"id": "same" if n % 3 == 0 else f"d{n}", "text": text}))
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    inputs = [str(folder), str(tmp_path / "in.jsonl"), str(folder)]

    here, parse = os.getpid(), RawRecord.parse

    def parse_elsewhere(record):
        assert os.getpid() != here, "a line was parsed in the main process"
        return parse(record)

    with monkeypatch.context() as patched:
        patched.setattr(RawRecord, "parse", parse_elsewhere)
        summary = api.run(inputs, tmp_path / "two", Settings(workers=2, report=False))
    api.run(inputs, tmp_path / "one", Settings(workers=1, report=False))
    for name in ("documents.jsonl", "rejected.jsonl", "clusters.jsonl", "summary.json"):
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name
    assert summary["counts"]["read"] == 42 and summary["counts"]["rejected"] == 8
    ids = [json.loads(line)["id"] for line in (tmp_path / "two" / "documents.jsonl").read_text().splitlines()]
    assert [i for i in ids if i.split("#")[0] == "same"] == ["same"] + [f"same#{k}" for k in range(2, 13)]


_MAPPED_CHUNKS = """
import ctypes, sys

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = MallInfo2
if sys.argv[1] == "worker":
    from normalize.engine.local import _init
    _init(())
before = mallinfo2().hblks
block = bytearray(8 << 20)
print(mallinfo2().hblks - before)
"""


def test_a_worker_takes_batch_sized_memory_from_its_heap_not_fresh_pages():
    """A block of a few megabytes (a batch's texts, arrays, pickles) comes from
    the heap in a worker, where glibc would map fresh pages for it and unmap them
    when it is freed (see normalize/engine/heap.py)."""
    import ctypes
    import subprocess
    import sys

    if not sys.platform.startswith("linux") or not hasattr(ctypes.CDLL(None), "mallinfo2"):
        pytest.skip("glibc's malloc only")

    def mapped_chunks(kind: str) -> int:
        out = subprocess.run([sys.executable, "-c", _MAPPED_CHUNKS, kind], capture_output=True, text=True, check=True)
        return int(out.stdout)

    assert mapped_chunks("plain") == 1  # glibc's default, in a process of its own
    assert mapped_chunks("worker") == 0


class MadeBy:
    """Notes which process ran the first pass over a document."""

    name = "made-by"

    def __call__(self, doc):
        doc.work["made_by"] = os.getpid()
        return doc


class SecondPass:
    """The second pass: notes whether it runs where the first ran, and fails on "boom"."""

    name = "second-pass"

    def __call__(self, doc):
        if "boom" in doc.text:
            raise ValueError("not in the second pass either")
        import gc

        frozen = doc.id.endswith("1") and not any(o is doc for g in range(3) for o in gc.get_objects(g))
        doc.text = f"{doc.text} / second pass here: {doc.work['made_by'] == os.getpid()}, frozen since: {frozen}"
        return doc


class TakeIdHolding:
    """Takes the id; the document may be held by the worker that made it."""

    holds = True

    def __init__(self, shelf):
        self.shelf = shelf

    def __call__(self, doc):
        return doc.id


def test_workers_that_hold_documents_run_the_next_pass_on_them(tmp_path):
    """Inside ``holding()``, the first pass's workers keep its documents (in
    memory, or past their budget on their shelves) and each batch of the next
    pass goes back to the worker that made its documents: the same outputs,
    in input order, as workers forked for each pass give."""
    from normalize.engine.packed import HELD, unpack
    from normalize.engine.shelf import Shelf, Shelved

    texts = [f"text {i} " + "é" * (i % 7) if i != 5 else "boom" for i in range(700)]
    outcomes = {}
    for room in (LocalEngine().hold_bytes, 5_000, 0):  # all held, some, none
        shelf = Shelf(str(tmp_path / str(room)))
        os.mkdir(shelf.directory)
        engine = LocalEngine(2, hold_bytes=room)
        try:
            with engine.holding():
                first = list(engine.map([Upper(), MadeBy()], docs(texts), take=TakeIdHolding(shelf)))
                assert isinstance(first[5], Rejection)
                waiting = [item.data for item in first if not isinstance(item, Rejection)]
                assert all(isinstance(data, Shelved) for data in waiting)
                held = [data.path.startswith(HELD) for data in waiting]
                assert all(held) if room > 100_000 else not any(held) if room == 0 else 0 < sum(held) < len(held)
                assert len({item.data.path for item in first if not isinstance(item, Rejection)} - {""}) >= 2
                # (a document held in a worker is no one else's to read)
                if any(held):
                    with pytest.raises(RuntimeError, match="not held in this process"):
                        unpack(waiting[held.index(True)])
                second = list(engine.map([SecondPass()], waiting))
        finally:
            shelf.close()
        assert all(isinstance(d, Document) for d in second)
        assert [d.text.split(" / ")[0] for d in second] == [texts[i].upper() for i in range(700) if i != 5]
        # a held document is back where it was made, out of the collector's sight
        # since its batch was done; one on a shelf goes to either worker. (So
        # may the latest FREE_TAIL of each worker, and what a worker handed
        # more than half the documents holds over its share: see the tests below.)
        here = [d.text.endswith(f"here: True, frozen since: {d.id.endswith('1')}") for d in second]
        for path in {data.path for data, was_held in zip(waiting, held) if was_held}:
            mine = [i for i, data in enumerate(waiting) if data.path == path]
            over = max(0, len(mine) + 1 - len(texts) // 2)  # (+1: the rejected one was handed out too)
            assert all(here[i] for i in mine[: max(0, len(mine) - local.FREE_TAIL - over)])
        outcomes[room] = [d.text.split(" / ")[0] for d in second]
        assert engine._crew is None  # (the workers stopped at the end)
    assert len({tuple(v) for v in outcomes.values()}) == 1


@contextmanager
def _crew_of_two(directory):
    """Two workers that keep their documents between passes (``holding()``),
    and a take that lets them, with its shelf in ``directory``."""
    from normalize.engine.shelf import Shelf

    shelf = Shelf(str(directory))
    engine = LocalEngine(2)
    try:
        with engine.holding():
            yield engine, TakeIdHolding(shelf)
    finally:
        shelf.close()


def test_a_crew_worker_handed_more_than_its_share_lets_the_next_pass_spread_the_rest(tmp_path, monkeypatch):
    """The first pass hands batches to whichever worker has the least to do,
    so one may get more; each batch of the next pass goes back to the worker
    holding its documents, which would leave the other idle at the end. So a
    worker handed more than its share puts its latest documents on its shelf
    (pickled, as past its budget), and the next pass gives them to either
    worker: the same outputs, in order."""
    from normalize.engine.packed import HELD

    texts = [f"text {i}" for i in range(600)]
    with _crew_of_two(tmp_path) as (engine, take):
        with monkeypatch.context() as patched:  # (however the batches went: nothing moved yet)
            patched.setattr(local, "_LEAST_MOVED", len(texts))
            first = list(engine.map([Upper(), MadeBy()], docs(texts), take=take))
        waiting = [item.data for item in first]
        held = collections.Counter(data.path for data in waiting)
        assert set(held) == {f"{HELD}0", f"{HELD}1"} and not os.listdir(tmp_path)
        # as if worker 0 had been handed 100 more than it holds: what it holds over its share goes to its shelf
        handed = [held[f"{HELD}0"] + 100, held[f"{HELD}1"]]
        over = handed[0] - sum(handed) // 2
        monkeypatch.setattr(local, "FREE_TAIL", 0)  # (that alone: see the next test)
        engine._even_out(handed, take)
        second = list(engine.map([SecondPass()], waiting))
        put = {name: os.path.getsize(tmp_path / name) for name in os.listdir(tmp_path)}
    assert [d.text.split(" / ")[0] for d in second] == [t.upper() for t in texts]
    assert [d.id for d in second] == [d.id for d in docs(texts)]
    assert over >= local._LEAST_MOVED and len(put) == 1 and min(put.values()) > over * len("TEXT 599")
    # worker 0's latest documents went to its shelf, the others ran where they were made
    mine = [i for i, data in enumerate(waiting) if data.path == f"{HELD}0"]
    assert all(second[i].text.endswith("here: True, frozen since: " + str(second[i].id.endswith("1")))
               for i in mine[:-over])


def test_each_crew_worker_puts_its_latest_documents_on_its_shelf_for_whichever_is_free(tmp_path, monkeypatch):
    """However evenly the first pass went, the next one ends with documents
    either worker may take: each worker puts its latest FREE_TAIL on its
    shelf, and the next pass hands their batches to whichever worker runs out
    of work first. The same outputs, in order."""
    from normalize.engine.packed import HELD

    monkeypatch.setattr(local, "FREE_TAIL", 40)
    texts = [f"text {i}" for i in range(600)]
    with _crew_of_two(tmp_path) as (engine, take):
        waiting = [item.data for item in engine.map([Upper(), MadeBy()], docs(texts), take=take)]
        second = list(engine.map([SecondPass()], waiting))
        put = sorted(os.path.getsize(tmp_path / name) for name in os.listdir(tmp_path))
    assert [d.text.split(" / ")[0] for d in second] == [t.upper() for t in texts]
    assert [d.id for d in second] == [d.id for d in docs(texts)]
    # both workers put their latest 40 (and what one holds over its share) on
    # their shelves; the rest ran where it was made
    assert len(put) == 2 and put[0] > 40 * len("TEXT 599")
    for k in range(2):
        mine = [i for i, data in enumerate(waiting) if data.path == f"{HELD}{k}"]
        assert all(second[i].text.endswith("here: True, frozen since: " + str(second[i].id.endswith("1")))
                   for i in mine[: len(mine) - 40 - max(0, len(mine) - len(texts) // 2)])


class _PretendWorker:
    """A pool of one pretend worker: notes each batch handed to it, and leaves
    its future undone until the test settles it."""

    def __init__(self, name, log):
        self.name, self.log, self.futures = name, log, []

    def submit(self, fn, batch, take=None):
        from concurrent.futures import Future

        future = Future()
        self.futures.append(future)
        self.log.append((self.name, list(batch)))
        return future

    def settle(self):
        for future in self.futures:
            if not future.done():
                future.set_result([])


def _within(seconds, condition):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_a_batch_any_worker_may_take_waits_for_a_worker_about_to_run_out(monkeypatch):
    """With ``lead`` (a crew's later passes), a batch held by no worker is not
    handed out while each worker has more than ``lead`` batches not done: it
    goes to the first to get there. Handed out at once, it would have gone to
    worker 0 here (a tie), though worker 1 runs out first."""
    import threading

    from normalize.engine.packed import HELD
    from normalize.engine.shelf import Shelved

    monkeypatch.setattr(local, "BATCH", 1)
    log = []
    pools = [_PretendWorker(0, log), _PretendWorker(1, log)]
    held = [Shelved(f"{HELD}{k % 2}", k, 1) for k in range(4)]  # two batches for each worker
    free = [Shelved("shelf-1.bin", k, 1) for k in range(3)]  # batches held by none
    results = local._in_order(pools, iter(held + free), None, window=16, lead=1)
    runner = threading.Thread(target=lambda: list(results), daemon=True)
    runner.start()
    assert _within(5, lambda: len(log) >= 4)
    time.sleep(0.3)
    assert [name for name, _ in log] == [0, 1, 0, 1]  # the free batch waits
    pools[1].settle()
    assert _within(5, lambda: len(log) >= 5)
    assert log[4] == (1, [free[0]])
    deadline = time.monotonic() + 5
    while runner.is_alive() and time.monotonic() < deadline:  # the rest, settled as they come
        pools[0].settle()
        pools[1].settle()
        runner.join(0.01)
    assert not runner.is_alive()
    assert sorted(item for _, batch in log for item in batch) == sorted(held + free)


class _PretendCrewWorker(_PretendWorker):
    """A :class:`_PretendWorker` of a crew: the stages of a pass are installed
    at once; its batches wait for the test."""

    def submit(self, fn, batch, take=None):
        if fn is not local._run_batch:
            from concurrent.futures import Future

            future = Future()
            future.set_result(None)
            return future
        return super().submit(fn, batch, take)


def test_a_later_pass_hands_a_worker_its_batches_beyond_a_long_stretch_of_the_others(monkeypatch):
    """In a crew's later pass each batch goes back to the worker holding its
    documents, in input order. After a stretch of one worker's batches (the
    first pass gave it more), the other is handed its own while the first
    still runs the stretch: it does not wait for the stretch to come back."""
    import threading
    from types import SimpleNamespace

    from normalize.engine.packed import HELD
    from normalize.engine.shelf import Shelved

    monkeypatch.setattr(local, "BATCH", 1)
    log = []
    pools = [_PretendCrewWorker(0, log), _PretendCrewWorker(1, log)]
    engine = local.LocalEngine(workers=2)
    engine._holding, engine._crew, engine._begun = True, pools, SimpleNamespace(value=1)
    held = [Shelved(f"{HELD}0", k, 1) for k in range(12)] + [Shelved(f"{HELD}1", k, 1) for k in range(3)]
    results = engine.map([Upper()], iter(held))
    runner = threading.Thread(target=lambda: list(results), daemon=True)
    runner.start()
    assert _within(5, lambda: sum(name == 1 for name, _ in log) == 3)  # none of worker 0's is done
    deadline = time.monotonic() + 5
    while runner.is_alive() and time.monotonic() < deadline:
        pools[0].settle()
        pools[1].settle()
        runner.join(0.01)
    assert not runner.is_alive()
    assert [batch for _, batch in log] == [[item] for item in held]


class _QuickWorker:
    """A pool of one pretend worker of a crew that gives each batch back as
    its results at once, and notes how it is shut down."""

    def __init__(self, name, shut):
        self.name, self.shut = name, shut

    def submit(self, fn, *args):
        from concurrent.futures import Future

        future = Future()
        future.set_result(list(args[0]) if fn is local._run_batch else None)
        return future

    def shutdown(self, wait, cancel_futures):
        self.shut.append((self.name, wait, cancel_futures))


def test_a_crew_whose_passes_ended_is_not_waited_for_and_one_whose_pass_did_not_end_is(monkeypatch):
    """After a last pass that ran to its end the workers of a crew exit while
    the run goes on (each takes a moment to give its memory back). When a pass
    fails, or is left before its end, the batches not begun are cancelled and
    the run waits for the workers, so that none still works in a folder being
    removed."""
    from types import SimpleNamespace

    from normalize.engine.packed import HELD
    from normalize.engine.shelf import Shelved

    monkeypatch.setattr(local, "BATCH", 1)
    held = [Shelved(f"{HELD}{k % 2}", k, 1) for k in range(4)]
    for how in ("ended", "failed", "left"):
        shut = []
        engine = local.LocalEngine(workers=2)
        try:
            with engine.holding():
                engine._crew, engine._begun = [_QuickWorker(k, shut) for k in range(2)], SimpleNamespace(value=1)
                results = engine.map([Upper()], iter(held))
                if how == "ended":
                    assert list(results) == held
                elif how == "left":
                    assert next(results) == held[0]
                else:
                    raise RuntimeError("a pass failed")
        except RuntimeError:
            assert how == "failed"
        waited = how != "ended"
        assert shut == [(0, waited, waited), (1, waited, waited)], how
        assert engine._crew is None and not engine.holds_documents


def test_a_batch_holds_at_most_its_bytes_of_documents_and_a_longer_one_alone(monkeypatch):
    """Long documents make short batches (a corpus of books would otherwise
    put 128 of them in one batch, in one worker), whatever they arrive as:
    lines of input, documents, addresses held by a worker or on a shelf."""
    from normalize.engine.local import _batches, _batches_by_holder
    from normalize.engine.packed import HELD, Renamed, item_size
    from normalize.engine.shelf import Shelved
    from normalize.read.jsonl import RawRecord
    from normalize.read.options import ReadOptions

    monkeypatch.setattr(local, "BATCH_BYTES", 1000)
    line = RawRecord("in.jsonl", 1, b"x" * 300, ReadOptions())
    doc = docs(["y" * 300])[0]
    shelved, held = Shelved("shelf-1.bin", 0, 300), Shelved(f"{HELD}0", 0, 300)
    assert [item_size(item) for item in (line, doc, shelved, held, Renamed(held, "new"), b"z" * 300)] == [300] * 6
    for item in (line, doc, shelved, held):
        # three fit in 1,000 bytes, the fourth opens the next batch; a long item is a batch alone
        items = [item] * 7
        assert [len(batch) for batch in _batches(items, 128)] == [3, 3, 1]
        assert [len(batch) for _, batch in _batches_by_holder(items, 128)] == [3, 3, 1]
        assert [len(batch) for batch in _batches(items, 2)] == [2, 2, 2, 1]  # (the count still holds)
    long = Shelved(f"{HELD}0", 1, 5000)
    assert [(owner, len(batch)) for owner, batch in _batches_by_holder([held, long, held, held], 128)] == [
        (0, 1), (0, 1), (0, 2)]
    assert [len(batch) for batch in _batches(docs(["a" * 300, "b" * 5000, "c", "d"]), 128)] == [1, 1, 2]


def test_a_holding_worker_puts_its_latest_documents_on_its_shelf_when_asked(tmp_path):
    """:meth:`Holding.release`: the last documents kept leave its memory for the
    shelf, and :func:`moved` gives each its new address, renamed or not; a
    batch of the next pass holds documents of one worker, or of none."""
    from normalize.engine.local import _batches_by_holder
    from normalize.engine.packed import Holding, Renamed, moved, unpack
    from normalize.engine.shelf import Shelf

    holding = Holding(0, 1 << 20)
    kept = [holding.keep(doc) for doc in docs(["a", "b", "c", "d"])]
    shelf = Shelf(str(tmp_path))
    try:
        addresses = holding.release(2, shelf)
        assert sorted(addresses) == [(kept[2].path, kept[2].offset), (kept[3].path, kept[3].offset)]
        assert len(holding.docs) == 2 and holding.used == sum(a.size for a in kept[:2])
        assert moved(kept[0], addresses) is kept[0]
        assert [unpack(moved(a, addresses)).text for a in kept[2:]] == ["c", "d"]
        assert unpack(moved(Renamed(kept[3], "new"), addresses)).id == "new"
        items = [kept[0], kept[1], moved(kept[2], addresses), moved(kept[3], addresses)]
        assert [(owner, len(batch)) for owner, batch in _batches_by_holder(items, 128)] == [(0, 2), (None, 2)]
    finally:
        shelf.close()


class Unpicklable:
    name = "unpicklable"

    def __init__(self):
        self.check = lambda doc: True  # (a lambda does not pickle)

    def __call__(self, doc):
        return doc


def test_a_pass_whose_stages_cannot_reach_the_workers_fails_before_any_document(tmp_path):
    """The stages of a later pass are sent to the crew's workers; if they
    cannot be, the pass fails at once, and no document meets the stages of
    the pass before."""
    from normalize.engine.shelf import Shelf

    shelf = Shelf(str(tmp_path))
    engine = LocalEngine(2)
    try:
        with engine.holding():
            first = list(engine.map([Upper()], docs(["a", "b"]), take=TakeIdHolding(shelf)))
            second = engine.map([Unpicklable()], [item.data for item in first])
            with pytest.raises(Exception, match="pickle"):
                next(second)
            workers = [p for pool in engine._crew for p in pool._processes.values()]
    finally:
        shelf.close()
    # and the crew is gone once left, though the failure was caught within
    assert workers and not any(p.is_alive() for p in workers)


class Dies:
    name = "dies"

    def __call__(self, doc):
        if doc.id == "d300":
            import signal

            os.kill(os.getpid(), signal.SIGKILL)
        return doc


def test_a_worker_of_a_crew_that_dies_fails_the_run(tmp_path):
    from normalize.engine.shelf import Shelf
    from normalize.errors import RunError

    shelf = Shelf(str(tmp_path))
    engine = LocalEngine(2)
    batch = [Document(id=f"d{i}", text="x", source=Source("t", i)) for i in range(400)]
    try:
        with engine.holding():
            first = list(engine.map([Upper()], batch, take=TakeIdHolding(shelf)))
            with pytest.raises(RunError, match="worker process died"):
                list(engine.map([Dies()], [item.data for item in first]))
    finally:
        shelf.close()
    assert engine._crew is None


_warmed_here = None  # (set in a worker by Warmed on the warm-up document)


class Warmed:
    """Notes in the worker that its tables were loaded (warm_up runs stages on a document of its own)."""

    name = "warmed"

    def __call__(self, doc):
        global _warmed_here
        if doc.id == "warm-up":
            _warmed_here = os.getpid()
        return doc


class AskWarmed:
    name = "ask-warmed"

    def __call__(self, doc):
        doc.text = f"{doc.text}: {_warmed_here == os.getpid()}"
        return doc


def test_workers_load_the_next_pass_tables_once_done_with_this_pass(tmp_path):
    """The stages of the next pass, expected during this one, are warmed up in
    each worker behind its last batch, before the pass itself comes."""
    from normalize.engine.shelf import Shelf

    shelf = Shelf(str(tmp_path))
    texts = [f"text {i}" for i in range(400)]
    try:
        for expect in (False, True):
            engine = LocalEngine(2)
            with engine.holding():
                if expect:
                    engine.expect([Warmed()])
                first = list(engine.map([Upper()], docs(texts), take=TakeIdHolding(shelf)))
                second = list(engine.map([AskWarmed()], [item.data for item in first]))
            assert [d.text for d in second] == [f"TEXT {i}: {expect}" for i in range(400)]
    finally:
        shelf.close()


_looked_ahead: set = set()  # (in a worker: the documents Ahead looked at between passes)


class Ahead:
    """Says of each document whether it was looked at ahead of its pass (see local._look_ahead)."""

    name = "ahead"

    def __call__(self, doc):
        doc.text = f"{doc.text}: {doc.id in _looked_ahead}"
        return doc

    def look_ahead(self, doc):
        _looked_ahead.add(doc.id)


def test_workers_look_ahead_in_the_documents_they_hold_while_they_wait_for_the_next_pass(tmp_path, monkeypatch):
    """Done with a pass, and the next pass's stages warmed up, each worker has
    the stages that can look ahead in the documents it holds, until the next
    pass begins: here every document, the main process taking its time
    between the passes (as the corpus-level steps do)."""
    monkeypatch.setattr(local, "FREE_TAIL", 0)  # (all held by the workers that made them)
    monkeypatch.setattr(local, "_LEAST_MOVED", 10_000)
    texts = [f"text {i}" for i in range(400)]
    with _crew_of_two(tmp_path) as (engine, take):
        engine.expect([Ahead()])
        first = list(engine.map([Upper()], docs(texts), take=take))
        time.sleep(1.0)
        second = list(engine.map([Ahead()], [item.data for item in first]))
    assert [d.text for d in second] == [f"TEXT {i}: True" for i in range(400)]


def test_looking_ahead_stops_as_soon_as_the_next_pass_begins(monkeypatch):
    """In the order the documents are held; the count of passes begun, shared
    with the main process, ends it (here the main process begins the next
    pass while the fourth document is looked at)."""
    from multiprocessing.sharedctypes import RawValue

    from normalize.engine import packed

    begun = RawValue("i", 1)
    monkeypatch.setattr(local, "_begun", begun)
    monkeypatch.setattr(packed, "_holding", packed.Holding(0, 1 << 30))
    for doc in docs([f"text {i}" for i in range(10)]):
        packed._holding.keep(doc)
    seen = []

    class Looking:
        def __call__(self, doc):
            return doc

        def look_ahead(self, doc):
            seen.append(doc.id)
            if len(seen) == 4:
                begun.value += 1

    assert local._look_ahead([Upper(), Looking()], 1) == 4
    assert seen == [d.id for d in docs([f"text {i}" for i in range(4)])]
    assert local._look_ahead([Looking()], 1) == 0 and len(seen) == 4  # (begun since)
    assert local._look_ahead([Upper()], 2) == 0  # (no stage looks ahead)


class DieMidMessageInCrew:
    """DieMidMessage for a worker of a crew: its own pool's result pipe (the
    worker also holds, forked later, another pool's)."""

    name = "die-mid-message-in-crew"

    def __call__(self, doc: Document) -> Document:
        if doc.id == "d300":
            import signal
            import struct
            import sys

            frame = sys._getframe()
            while frame.f_code.co_name != "_process_worker":
                frame = frame.f_back
            frame.f_locals["result_queue"]._writer._send(struct.pack("!i", 100_000) + b"partial")
            os.kill(os.getpid(), signal.SIGKILL)
        return doc


def test_a_worker_of_a_crew_killed_while_sending_fails_the_run_instead_of_hanging(tmp_path, monkeypatch):
    """The other worker, forked after the first pool was made, holds that pool's
    result pipe open as well: the whole crew is stopped, and the run fails."""
    import time

    from normalize.engine import local
    from normalize.engine.shelf import Shelf
    from normalize.errors import RunError

    monkeypatch.setattr(local, "_GRACE", 1.0)
    monkeypatch.setattr(local, "_POLL", 0.1)
    shelf = Shelf(str(tmp_path))
    engine = LocalEngine(2)
    batch = [Document(id=f"d{i}", text="x", source=Source("t", i)) for i in range(400)]
    start = time.monotonic()
    try:
        with pytest.raises(RunError, match="worker process died"):
            with engine.holding():
                first = list(engine.map([Upper()], batch, take=TakeIdHolding(shelf)))
                list(engine.map([DieMidMessageInCrew()], [item.data for item in first]))
    finally:
        shelf.close()
    assert time.monotonic() - start < 30 and engine._crew is None


def test_stages_expected_only_once_their_pass_has_begun_are_not_loaded_twice(tmp_path):
    """(the thread that tells the engine what comes next may be slower than a
    short first pass): the expectation is dropped when its pass begins, and
    nothing is warmed behind the last pass."""
    from normalize.engine import local
    from normalize.engine.shelf import Shelf

    shelf = Shelf(str(tmp_path))
    warmed = []
    engine = LocalEngine(2)
    try:
        with engine.holding():
            first = list(engine.map([Upper()], docs(["a", "b"]), take=TakeIdHolding(shelf)))
            engine.expect([Warmed()])  # (too late: the first pass is over)
            submit = local.ProcessPoolExecutor.submit

            def noted(pool, fn, *args, **kwargs):
                warmed.append(fn.__name__)
                return submit(pool, fn, *args, **kwargs)

            local.ProcessPoolExecutor.submit = noted
            try:
                second = list(engine.map([AskWarmed()], [item.data for item in first]))
            finally:
                local.ProcessPoolExecutor.submit = submit
    finally:
        shelf.close()
    assert [d.text for d in second] == ["A: False", "B: False"]
    assert "_warm" not in warmed and warmed.count("_install") == 2
