"""Bulky results kept where they are made; addresses passed instead.

Between the passes of a run, each document waits on disk; after the second,
its cleaned text, its shingle set and its written line wait for the clusters.
All of it used to travel from the worker that made it to the main process,
which wrote it to its spools, read it back, and sent the documents on to the
next pass's workers: some 25 KB a document crossing a pipe four times, pickled
and unpickled each time, and the main process, which also reads the input and
clusters, was busy copying bytes the whole run.

Now the process that makes a bulky result puts it on its own :class:`Shelf`, a
file per process in the run's temporary directory, and hands back only its
:class:`Shelved` address (file, offset, size). The main process keeps the
addresses (:class:`Addresses`, 20 bytes each) and reads back, with one
positioned read (:func:`read`), only what it needs, when it needs it; a worker
of the next pass reads a document straight from where the last pass put it.

A file is only ever appended to, by the one process that owns it, and each
batch's puts are flushed before its results are handed back, so whatever an
address names is in the file by the time anyone holds the address.
"""
from __future__ import annotations

import os
import threading
from array import array
from typing import IO, Iterator, NamedTuple, Optional


class Shelved(NamedTuple):
    """Where ``size`` bytes were put: a file of a :class:`Shelf` and an offset in it."""

    path: str
    offset: int
    size: int


class _Writer:
    def __init__(self, path: str) -> None:
        self.path = path
        # a large buffer: most puts are a few kilobytes, and each would
        # otherwise be a system call of its own
        self.fh: IO[bytes] = open(path, "ab", buffering=1 << 20)
        self.end = self.fh.seek(0, os.SEEK_END)  # (a process id seen before: append after its bytes)
        self.dirty = False


# this process's open shelves, by directory, and by file
_writers: dict[str, _Writer] = {}
_writing: dict[str, _Writer] = {}
# files open for reading, by path; a forked process may use its parent's (a
# positioned read shares no file offset)
_readers: dict[str, IO[bytes]] = {}


def _flush_writers() -> None:
    """Before a fork: a child must not inherit bytes still in a buffer, which
    it would write again when its copy of the file is closed."""
    for writer in _writers.values():
        if writer.dirty:
            writer.fh.flush()
            writer.dirty = False


def _forget_writers() -> None:
    """In a forked child: its parent's shelves are not its own to append to."""
    _writers.clear()
    _writing.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_flush_writers, after_in_child=_forget_writers)


class Shelf:
    """Puts bytes in this process's file of ``directory`` (``shelf-PID.bin``).

    The object is small and pickles as its directory: a worker gets it with
    every batch, and each process writes to a file of its own."""

    def __init__(self, directory: str) -> None:
        self.directory = os.path.normpath(directory)  # (one shelf a directory, however it is spelt)

    def __reduce__(self):
        return Shelf, (self.directory,)

    def _writer(self) -> _Writer:
        writer = _writers.get(self.directory)
        if writer is None:
            writer = _writers[self.directory] = _Writer(os.path.join(self.directory, f"shelf-{os.getpid()}.bin"))
            _writing[writer.path] = writer
        return writer

    def put(self, data: bytes) -> Shelved:
        writer = self._writer()
        writer.fh.write(data)
        address = Shelved(writer.path, writer.end, len(data))
        writer.end += len(data)
        writer.dirty = True
        return address

    def flush(self) -> None:
        """Make everything put so far readable by other processes."""
        writer = _writers.get(self.directory)
        if writer is not None and writer.dirty:
            writer.fh.flush()
            writer.dirty = False

    def close(self) -> None:
        """Close this directory's files, the ones written and the ones read
        (call when the directory is about to go)."""
        writer = _writers.pop(self.directory, None)
        if writer is not None:
            del _writing[writer.path]
            writer.fh.close()
        prefix = os.path.join(self.directory, "")
        for path in [p for p in _readers if p.startswith(prefix)]:
            _readers.pop(path).close()


def read(address: Shelved) -> bytes:
    """The bytes at ``address``, from whichever process put them."""
    path, offset, size = address
    writer = _writing.get(path)
    if writer is not None and writer.dirty:
        writer.fh.flush()  # our own puts, still in the buffer
        writer.dirty = False
    fh = _readers.get(path)
    if fh is None:
        fh = _readers[path] = open_for_reads(path)
    return read_at(fh, offset, size)


_PREAD = hasattr(os, "pread")


def open_for_reads(path: str) -> IO[bytes]:
    # unbuffered for pread; buffered where seek + read stands in (a raw read may return short)
    return open(path, "rb", buffering=0 if _PREAD else -1)


def read_at(fh: IO[bytes], start: int, size: int) -> bytes:
    """``size`` bytes at ``start``: one positioned read, with no seek, no buffer to
    copy through, and no file offset shared with a forked process (see
    engine/aside.py); seek and read where there is no pread (Windows, which does
    not fork either)."""
    if _PREAD:
        return os.pread(fh.fileno(), size, start)
    fh.seek(start)
    return fh.read(size)


class Unlinking:
    """Files of a run's directory unlinked in a background thread.

    At 100k documents the directory holds 3.3 GB once the second pass is done
    (1.3 GB of it the documents between the passes; then texts, shingle sets,
    written lines), and unlinking that much takes the kernel most of a second,
    which the main process would wait through at the very end. A file no one will read again is unlinked meanwhile
    (``os.unlink`` lets go of the interpreter while it works); :meth:`wait`
    before the directory itself goes."""

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []
        self._given: set[str] = set()

    def start(self, paths: list[str]) -> None:
        """Unlink ``paths`` (those not given before) in a thread of their own."""
        paths = [path for path in paths if path not in self._given]
        if paths:
            self._given.update(paths)
            thread = threading.Thread(target=_unlink_all, args=(paths,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def wait(self) -> None:
        for thread in self._threads:
            thread.join()
        self._threads.clear()


def _unlink_all(paths: list[str]) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except OSError:  # gone already, or held open where that forbids it: the directory's cleanup sees to it
            pass


def shelf_files(directory: str, exclude_own: bool = True) -> list[str]:
    """The shelf files of ``directory`` (all processes'), this process's own
    left out if ``exclude_own``."""
    own = os.path.join(os.path.normpath(directory), f"shelf-{os.getpid()}.bin")
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    paths = [os.path.join(os.path.normpath(directory), name) for name in names
             if name.startswith("shelf-") and name.endswith(".bin")]
    return [p for p in paths if not (exclude_own and p == own)]


class Addresses:
    """Shelved addresses in order, in compact columns (a file number and two
    integers: 20 bytes an address, not a tuple's 100); None is kept too."""

    def __init__(self) -> None:
        self._paths: list[str] = []
        self._numbers: dict[str, int] = {}
        self._path = array("i")  # -1: None
        self._offset = array("q")
        self._size = array("q")

    def __len__(self) -> int:
        return len(self._path)

    @property
    def paths(self) -> list[str]:
        """The files the addresses are in."""
        return list(self._paths)

    def append(self, address: Optional[Shelved]) -> int:
        if address is None:
            self._path.append(-1)
            self._offset.append(0)
            self._size.append(0)
        else:
            path, offset, size = address
            number = self._numbers.get(path)
            if number is None:
                number = self._numbers[path] = len(self._paths)
                self._paths.append(path)
            self._path.append(number)
            self._offset.append(offset)
            self._size.append(size)
        return len(self._path) - 1

    def __getitem__(self, k: int) -> Optional[Shelved]:
        number = self._path[k]
        return None if number < 0 else Shelved(self._paths[number], self._offset[k], self._size[k])

    def __iter__(self) -> Iterator[Optional[Shelved]]:
        return map(self.__getitem__, range(len(self)))
