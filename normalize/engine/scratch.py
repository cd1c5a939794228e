"""Temporary folders of a run, and the ones killed runs left behind.

A run keeps its documents, texts and shingle sets on disk between the
passes: about five times its input, 25 GB for a million news articles. The
folder goes when the run ends, fails or is interrupted (Ctrl-C, SIGTERM),
but a process killed outright cannot clean up after itself: SIGKILL, the
kernel's out-of-memory killer, a batch scheduler's hard time limit. Its
folder would stay in the temporary directory until someone finds it, and
the next run on a large corpus may then find the disk full.

So every folder a run makes holds an ``owner.json`` naming the process that
made it, and a run starting removes the folders whose owner is certainly
gone (:func:`sweep`). "Certainly" matters: the temporary directory may be
shared by containers (each with its own process numbers) or mounted on
several machines, which may even share a host name. A folder is removed
only when its owner ran on this machine since it last started (the same
host name and boot id) and in this PID namespace, and its process number
now belongs to no process, to one that has ended but not been waited for,
or to one started at another time (the number was reused). Anything else
is left alone: a folder without an owner file (made by something else, or
by an older version), another machine's or container's, and one left from
before a restart (most systems empty the temporary directory then).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from typing import Optional

log = logging.getLogger(__name__)

PREFIX = "normalize-"
OWNER = "owner.json"


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except (OSError, ValueError):
        return None


def _stat(pid: int) -> Optional[list[str]]:
    """The fields of ``/proc/PID/stat`` after the command name (Linux), or None."""
    stat = _read(f"/proc/{pid}/stat")
    # the command name (field 2) is in parentheses and may hold spaces
    return None if stat is None else stat.rpartition(")")[2].split()


def _started(fields: Optional[list[str]]) -> Optional[int]:
    """When a process started (clock ticks after boot), from its :func:`_stat`; or None."""
    return int(fields[19]) if fields and len(fields) > 19 else None  # field 22 of the line


def _pid_namespace() -> Optional[str]:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def owner() -> dict:
    """This process, as an owner file names it."""
    return {"host": socket.gethostname(), "boot": _read("/proc/sys/kernel/random/boot_id"),
            "pid_namespace": _pid_namespace(), "pid": os.getpid(), "started": _started(_stat(os.getpid()))}


def make_folder(prefix: str = PREFIX, parent: Optional[str] = None) -> str:
    """A new temporary folder (as :func:`tempfile.mkdtemp`), owned by this process."""
    path = tempfile.mkdtemp(prefix=prefix, dir=parent)
    with open(os.path.join(path, OWNER), "w", encoding="utf-8") as fh:
        json.dump(owner(), fh)
    return path


class RunFolder:
    """``with RunFolder() as path:`` a temporary folder for one run, removed at
    the end; folders that killed runs left beside it are removed first."""

    def __init__(self, prefix: str = PREFIX, parent: Optional[str] = None) -> None:
        self.prefix, self.parent = prefix, parent
        self.path: Optional[str] = None

    def __enter__(self) -> str:
        sweep(self.parent)
        self.path = make_folder(self.prefix, self.parent)
        return self.path

    def __exit__(self, *exc) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None


def _gone(them: dict, us: dict) -> bool:
    """Whether the process an owner file names has certainly ended."""
    if not isinstance(them, dict) or any(them.get(key) != us[key] for key in ("host", "boot", "pid_namespace")):
        return False  # another machine's, boot's or container's (or unreadable): nothing can be told from here
    pid = them.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # a process of another user's
    except OSError:
        return False
    fields = _stat(pid)
    if fields and fields[0] in ("Z", "X"):
        return True  # ended, and not yet waited for by its parent
    started = _started(fields)
    return started is not None and them.get("started") is not None and started != them["started"]


@dataclass(frozen=True)
class Leftover:
    """A folder a killed run left: where, its size, the process that made it."""

    path: str
    bytes: int
    pid: int


def leftovers(parent: Optional[str] = None) -> list[Leftover]:
    """This user's folders in ``parent`` (the temporary directory) whose owner
    has certainly ended (see the module's docstring), oldest name first."""
    parent = parent or tempfile.gettempdir()
    us = owner()
    found = []
    try:
        entries = sorted(os.scandir(parent), key=lambda e: e.name)
    except OSError:
        return []
    for entry in entries:
        if not entry.name.startswith(PREFIX):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
            with open(os.path.join(entry.path, OWNER), encoding="utf-8") as fh:
                them = json.loads(fh.read(4096))
        except (OSError, ValueError):
            continue
        if _gone(them, us):
            found.append(Leftover(entry.path, _size(entry.path), them["pid"]))
    return found


def _size(path: str) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def sweep(parent: Optional[str] = None) -> list[Leftover]:
    """Remove the :func:`leftovers` in ``parent``, logging each; returns them.

    The owner file goes last: if this run is killed while removing a folder,
    the next one still knows the rest is a leftover."""
    removed = []
    for left in leftovers(parent):
        try:
            for entry in os.scandir(left.path):
                if entry.name == OWNER:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
            os.unlink(os.path.join(left.path, OWNER))
            os.rmdir(left.path)
        except FileNotFoundError:
            continue  # another run starting at the same time removed it
        except OSError as exc:
            log.warning("could not remove %s, left by a run that was killed (process %d): %s", left.path, left.pid, exc)
            continue
        log.warning("removed %s (%s), left by a run that was killed (process %d)", left.path, _gb(left.bytes), left.pid)
        removed.append(left)
    return removed


def _gb(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / 2**20:.1f} MB"
