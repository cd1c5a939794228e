"""Bulky results kept where they are made; addresses passed instead.

Between the passes of a run, each document waits on disk; after the second,
its cleaned text, its shingle set and its written line wait for the clusters.
All of it used to travel from the worker that made it to the main process,
which wrote it to its spools, read it back, and sent the documents on to the
next pass's workers: some 25 KB a document crossing a pipe four times, pickled
and unpickled each time, and the main process, which also reads the input and
clusters, was busy copying bytes the whole run.

Now the process that makes a bulky result puts it on its own :class:`Shelf`, a
file per process (and kind of bytes) in the run's temporary directory, and
hands back only its :class:`Shelved` address (file, offset, size). The main
process keeps the addresses (:class:`Addresses`, 20 bytes each) and reads
back, with one positioned read (:func:`read`), only what it needs, when it
needs it; a worker of the next pass reads a document straight from where the
last pass put it. Shingle sets, which verification may ask for millions of
times, can also be viewed in place (:func:`words`).

A file is only ever appended to, by the one process that owns it, and each
batch's puts are flushed before its results are handed back, so whatever an
address names is in the file by the time anyone holds the address.
"""
from __future__ import annotations

import mmap
import os
import re
import sys
import threading
from array import array
from typing import IO, Iterator, NamedTuple, Optional

import numpy as np


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


# this process's open shelves, by directory and kind, and by file
_writers: dict[tuple[str, str], _Writer] = {}
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
    """Puts bytes in this process's file of ``directory`` (``KIND-PID.bin``).

    One ``kind`` of bytes may be kept apart from the rest, in files of their
    own: the shingle sets, which verification maps into memory (see
    :func:`words`), so that a process mapping them maps nothing else.

    The object is small and pickles as its directory and kind: a worker gets it
    with every batch, and each process writes to a file of its own."""

    def __init__(self, directory: str, kind: str = "shelf") -> None:
        self.directory = os.path.normpath(directory)  # (one shelf a directory, however it is spelt)
        self.kind = kind

    def __reduce__(self):
        return Shelf, (self.directory, self.kind)

    def _writer(self) -> _Writer:
        writer = _writers.get((self.directory, self.kind))
        if writer is None:
            path = os.path.join(self.directory, f"{self.kind}-{os.getpid()}.bin")
            writer = _writers[self.directory, self.kind] = _Writer(path)
            _writing[writer.path] = writer
        return writer

    def put(self, data: bytes, align: int = 1) -> Shelved:
        """Append ``data``; with ``align``, at an offset that is a multiple of it
        (zero bytes before it), so that it can be read in place as an array of
        ``align``-byte numbers (:func:`words`)."""
        writer = self._writer()
        gap = -writer.end % align
        if gap:
            writer.fh.write(bytes(gap))
            writer.end += gap
        writer.fh.write(data)
        address = Shelved(writer.path, writer.end, len(data))
        writer.end += len(data)
        writer.dirty = True
        return address

    def flush(self) -> None:
        """Make everything put so far in this directory, of any kind, readable by other processes."""
        for (directory, _), writer in _writers.items():
            if directory == self.directory and writer.dirty:
                writer.fh.flush()
                writer.dirty = False

    def close(self) -> None:
        """Close this directory's files, of every kind, the ones written and the
        ones read (call when the directory is about to go)."""
        for key in [key for key in _writers if key[0] == self.directory]:
            writer = _writers.pop(key)
            del _writing[writer.path]
            writer.fh.close()
        prefix = os.path.join(self.directory, "")
        for path in [p for p in _readers if p.startswith(prefix)]:
            _readers.pop(path).close()
        for path in [p for p in _maps if p.startswith(prefix)]:
            # (not closed: arrays handed out may still view it; it is unmapped with the last of them)
            del _maps[path]


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
_LITTLE_ENDIAN = sys.byteorder == "little"


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


# Files mapped into memory, by path, as arrays of 32-bit numbers (see words()).
_maps: dict[str, np.ndarray] = {}


def words(address: Shelved) -> Optional[np.ndarray]:
    """The bytes at ``address`` as little-endian 32-bit numbers, viewed in place
    in the file mapped into memory: no system call, no copy. None if they were
    not put 4-aligned (see :meth:`Shelf.put`), or where the machine's numbers
    are big-endian.

    Verifying a near-duplicate candidate reads two shingle sets, and a crawl
    with large groups of copies asks about each set again and again: a million
    generated documents, 49 million reads of some 390,000 sets, more than any
    cache of a sensible size holds. A read (``os.pread``, then arrays made of
    the bytes) costs about 5 microseconds, a view of the mapping under one
    (and about one more the first time its pages are touched), and the
    kernel's page cache, shared by every process, is the cache.

    The pages of a mapping a process has touched count in its resident size
    (the kernel maps the neighbours of a page it faults in as well, so soon the
    whole file), although they are the page cache's, which holds the file
    whether it is read or mapped, and which the kernel takes back first when
    memory runs short. Hence not the default: see :meth:`_Batch.assign
    <normalize.dedup.cluster._Batch.assign>`.
    """
    path, offset, size = address
    if offset % 4 or size % 4 or not _LITTLE_ENDIAN:  # (files are written little-endian)
        return None
    if not size:
        return np.empty(0, dtype=np.uint32)
    return mapped_words(path, offset + size)[offset // 4 : (offset + size) // 4]


def mapped_words(path: str, end: int) -> np.ndarray:
    """The file at ``path`` mapped into memory as 32-bit numbers (see :func:`words`),
    its first ``end`` bytes at least: mapped again if it has grown since."""
    mapped = _maps.get(path)
    if mapped is None or end > 4 * len(mapped):
        writer = _writing.get(path)
        if writer is not None and writer.dirty:
            writer.fh.flush()  # our own puts, still in the buffer
            writer.dirty = False
        with open(path, "rb") as fh:
            length = os.fstat(fh.fileno()).st_size // 4 * 4
            if end > length:
                raise ValueError(f"{path}: {end} bytes asked for, past the end of the file")
            # (the mapping outlives the file object, and is unmapped with the last array viewing it)
            mapped = _maps[path] = np.frombuffer(mmap.mmap(fh.fileno(), length, access=mmap.ACCESS_READ),
                                                 dtype=np.uint32)
    return mapped


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


_SHELF_FILE = re.compile(r"[a-z]+-([0-9]+)\.bin")


def shelf_files(directory: str, exclude_own: bool = True) -> list[str]:
    """The shelf files of ``directory`` (all processes', of every kind), this
    process's own left out if ``exclude_own``."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    own = str(os.getpid())
    return [os.path.join(os.path.normpath(directory), name) for name in names
            if (match := _SHELF_FILE.fullmatch(name)) and not (exclude_own and match.group(1) == own)]


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

    def columns(self, ks: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Of the addresses ``ks``: the file numbers (-1: None; see :meth:`path`),
        offsets and sizes, as arrays (without an address made for each)."""
        at = np.asarray(ks, dtype=np.int64)
        return (np.frombuffer(self._path, dtype=np.int32)[at], np.frombuffer(self._offset, dtype=np.int64)[at],
                np.frombuffer(self._size, dtype=np.int64)[at])

    def path(self, number: int) -> str:
        return self._paths[number]

    def __iter__(self) -> Iterator[Optional[Shelved]]:
        return map(self.__getitem__, range(len(self)))
