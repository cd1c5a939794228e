"""The incremental index: everything seen before, without its text.

A new batch is deduplicated against earlier ones by loading, per earlier
document, its id, exact hash, MinHash signature, band hashes and the sorted
32-bit shingle set that verification needs (about 4 bytes per shingle, a few
kilobytes per article) — never the text itself.

Layout (a directory): ``params.json`` holds the fingerprint parameters the
index was built with; each batch appends a segment ``seg-NNNNN/`` with
``ids.json``, ``exact.npy``, ``signatures.npy``, ``bands.npy``,
``shingles.u32`` (raw little-endian uint32) + ``offsets.npy``, ``shingle-lines.i32`` (the key line
each shingle first occurs on, which verification uses to tell a cut-short copy from a lifted
passage; segments written before it existed have none and are judged on words alone) and
``kept.npy`` (was the document a kept copy or singleton). Segments are never rewritten, so adding a batch costs only
the batch. Opening an index built with other parameters is refused: signatures
made with other seeds or shingle sizes cannot be compared.
"""
from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import RunError
from .shingles import ShingleSet, layout


class IndexMismatch(RunError, ValueError):
    """The index on disk was built with other fingerprint parameters, or cannot be read."""


@dataclass
class Segment:
    ids: list[str]
    exact: np.ndarray
    signatures: np.ndarray
    bands: np.ndarray
    shingles: np.ndarray
    offsets: np.ndarray
    kept: np.ndarray
    lines: np.ndarray | None = None

    def shingle_set(self, i: int) -> np.ndarray:
        lo, hi = self.offsets[i], self.offsets[i + 1]
        hashes = np.asarray(self.shingles[lo:hi])
        lines = None if self.lines is None else np.asarray(self.lines[lo:hi], dtype=np.int32)
        if lines is None or (len(lines) and lines[0] < 0):
            return hashes
        return ShingleSet(hashes, lines)


def _raw(path: Path, dtype: str) -> np.ndarray | None:
    if not path.exists():
        return None
    if path.stat().st_size == 0:
        return np.empty(0, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r")


class DedupIndex:
    def __init__(self, path: str | Path, params: dict):
        self.path = Path(path)
        self.params = params
        self.segments: list[Segment] = []
        meta = self.path / "params.json"
        if meta.exists():
            try:
                stored = json.loads(meta.read_text("utf-8"))
            except (OSError, ValueError) as exc:
                raise IndexMismatch(f"dedup index {self.path} cannot be read: {meta.name}: {exc}; "
                                    "use a new index path") from exc
            if stored != params:
                diff = {k: (stored.get(k), params.get(k)) for k in sorted(set(stored) | set(params))
                        if stored.get(k) != params.get(k)}
                raise IndexMismatch(
                    f"dedup index {self.path} was built with other parameters "
                    + ", ".join(f"{k}: index {a!r} != now {b!r}" for k, (a, b) in diff.items())
                    + "; use the same settings or a new index path"
                )
            for seg in sorted(self.path.glob("seg-*")):
                try:
                    self.segments.append(self._load(seg))
                except (OSError, ValueError, EOFError, pickle.UnpicklingError) as exc:
                    raise IndexMismatch(f"dedup index {self.path} cannot be read: {seg.name}: {exc}; "
                                        "use a new index path") from exc

    @staticmethod
    def _load(seg: Path) -> Segment:
        return Segment(
            ids=json.loads((seg / "ids.json").read_text("utf-8")),
            exact=np.load(seg / "exact.npy"),
            signatures=np.load(seg / "signatures.npy", mmap_mode="r"),
            bands=np.load(seg / "bands.npy", mmap_mode="r"),
            shingles=_raw(seg / "shingles.u32", "<u4"),
            offsets=np.load(seg / "offsets.npy"),
            kept=np.load(seg / "kept.npy"),
            lines=_raw(seg / "shingle-lines.i32", "<i4"),
        )

    def __len__(self) -> int:
        return sum(len(s.ids) for s in self.segments)

    def append(self, ids, exact, signature_blocks, band_fn, shingle_chunks, kept) -> None:
        """Write a new segment. Signatures come as blocks (their concatenation is
        the batch), bands are computed per block with ``band_fn``, shingle sets
        come in chunks: nothing of the batch is held twice."""
        if not ids:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "params.json").write_text(json.dumps(self.params, sort_keys=True), "utf-8")
        seg = self.path / f"seg-{len(self.segments):05d}"
        tmp = seg.with_name(seg.name + ".tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        n = len(ids)
        width = signature_blocks[0].shape[1]
        sigs = np.lib.format.open_memmap(tmp / "signatures.npy", mode="w+", dtype=np.uint32, shape=(n, width))
        bands = None
        at = 0
        for block in signature_blocks:
            sigs[at : at + len(block)] = block
            b = band_fn(block)
            if bands is None:
                bands = np.lib.format.open_memmap(tmp / "bands.npy", mode="w+", dtype=np.uint64, shape=(n, b.shape[1]))
            bands[at : at + len(block)] = b
            at += len(block)
        sigs.flush()
        bands.flush()
        del sigs, bands
        offsets = [0]
        with open(tmp / "shingles.u32", "wb") as f, open(tmp / "shingle-lines.i32", "wb") as g:
            for chunk in shingle_chunks:
                for arr in chunk:
                    f.write(np.asarray(arr, dtype="<u4").tobytes())
                    lines = layout(arr)
                    if lines is None:  # no layout known: -1 marks the set as words-only
                        lines = np.full(len(arr), -1, dtype="<i4")
                    g.write(np.asarray(lines, dtype="<i4").tobytes())
                    offsets.append(offsets[-1] + len(arr))
        (tmp / "ids.json").write_text(json.dumps(list(ids)), "utf-8")
        np.save(tmp / "exact.npy", np.asarray(exact, dtype=np.uint64))
        np.save(tmp / "offsets.npy", np.asarray(offsets, dtype=np.int64))
        np.save(tmp / "kept.npy", np.asarray(kept, dtype=bool))
        tmp.rename(seg)  # a half-written segment is never picked up
        self.segments.append(self._load(seg))
