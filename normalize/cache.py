"""A disk cache for tables derived from installed packages.

Some tables take far longer to derive than to read back: langdetect's 55 JSON
profiles become a log-probability matrix and a hash table in about 0.7 s, and
every process that detects language (each worker of every pass) pays that,
while reading the result back from a ``.npz`` file takes milliseconds.

A table is stored under a name and a *key*: a digest of everything it was
derived from (the input files' bytes, the source of the code that derives it,
the Python, Unicode and numpy versions). A table whose key differs is simply
not found, and derived afresh; so an upgrade of langdetect, numpy or this
package can never read a stale table. A table read back equals, array for
array, the one derived: ``.npz`` stores the arrays' bytes.

The cache is an optimisation and nothing more: a directory that cannot be
written, a file that is corrupt or half written, are ignored (the table is
derived as if there were no cache). Files are written to a temporary name and
renamed, so that concurrent processes never read a partial file.

Where: ``$NORMALIZE_CACHE_DIR``, else ``$XDG_CACHE_HOME/normalize``, else
``~/.cache/normalize``. ``NORMALIZE_CACHE_DIR=off`` turns it off.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path
from typing import Callable, Iterable, Optional

import numpy as np

CACHE_ENV = "NORMALIZE_CACHE_DIR"
# Bumped when the file layout changes.
FORMAT = 1
# Tables kept per name: each upgrade writes a new file, and a few environments
# (virtualenvs of different versions) may share one cache; older files go.
KEEP_PER_NAME = 4


def cache_dir() -> Optional[Path]:
    """The cache directory, or None when the cache is turned off."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no", "false") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = Path.home() / ".cache"
        except (RuntimeError, KeyError):  # no home directory to be found: no cache
            return None
    return Path(base) / "normalize"


def digest(parts: Iterable[bytes]) -> str:
    """A key for a table derived from ``parts``, plus the versions that could
    change the derivation without changing its inputs."""
    h = hashlib.sha256()
    versions = f"{FORMAT}|{sys.version_info[:2]}|{unicodedata.unidata_version}|{np.__version__}"
    h.update(versions.encode())
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()[:24]


def _path(name: str, key: str) -> Optional[Path]:
    folder = cache_dir()
    return None if folder is None else folder / f"{name}-{key}.npz"


def load(name: str, key: str) -> Optional[dict[str, np.ndarray]]:
    """The arrays stored under ``name`` and ``key``; None if there are none (or
    the file cannot be read)."""
    path = _path(name, key)
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {k: stored[k] for k in stored.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None


def save(name: str, key: str, arrays: dict[str, np.ndarray]) -> bool:
    """Store ``arrays`` under ``name`` and ``key``; False if that was not possible."""
    path = _path(name, key)
    if path is None:
        return False
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}-", suffix=".npz")
        with os.fdopen(fd, "wb") as out:
            np.savez(out, **arrays)
        os.chmod(tmp, 0o644)  # mkstemp's 0o600 would hide it from a shared cache's other users
        os.replace(tmp, path)
        _prune(path.parent, name)
        return True
    except OSError:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


def derived(name: str, inputs: Callable[[], list[bytes]],
            derive: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The arrays ``derive()`` makes, read back from the cache when it holds
    them for the same ``inputs()`` (the bytes of everything they are derived
    from: data files, the source of the code that derives them), else derived
    and stored."""
    try:
        key = digest(inputs())
    except (OSError, TypeError):  # a source not on disk (a frozen install): no cache
        return derive()
    stored = load(name, key)
    if stored is not None:
        return stored
    arrays = derive()
    save(name, key, arrays)
    return arrays


def _prune(folder: Path, name: str) -> None:
    """Remove all but the :data:`KEEP_PER_NAME` newest tables stored under ``name``."""
    try:
        stored = sorted(folder.glob(f"{name}-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in stored[KEEP_PER_NAME:]:
            old.unlink()
    except OSError:  # another process pruned first, or the folder is read-only
        pass
