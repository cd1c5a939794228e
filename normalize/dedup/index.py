"""The incremental index: everything seen before, without its text.

A new batch is deduplicated against earlier ones by loading, per earlier
document, its id, exact hash, MinHash signature, band hashes and the sorted
32-bit shingle set that verification needs (about 4 bytes per shingle, a few
kilobytes per article) — never the text itself.

Layout (a directory): ``params.json`` holds the fingerprint parameters the
index was built with; each batch appends a segment ``seg-NNNNN/`` with
``ids.json``, ``exact.npy``, ``signatures.npy``, ``bands.npy``,
``shingles.npy`` + ``offsets.npy`` and ``kept.npy`` (was the document a kept
copy or singleton). Segments are never rewritten, so adding a batch costs only
the batch. Opening an index built with other parameters is refused: signatures
made with other seeds or shingle sizes cannot be compared.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class IndexMismatch(ValueError):
    """The index on disk was built with other fingerprint parameters."""


@dataclass
class Segment:
    ids: list[str]
    exact: np.ndarray
    signatures: np.ndarray
    bands: np.ndarray
    shingles: np.ndarray
    offsets: np.ndarray
    kept: np.ndarray

    def shingle_set(self, i: int) -> np.ndarray:
        return np.asarray(self.shingles[self.offsets[i] : self.offsets[i + 1]])


class DedupIndex:
    def __init__(self, path: str | Path, params: dict):
        self.path = Path(path)
        self.params = params
        self.segments: list[Segment] = []
        meta = self.path / "params.json"
        if meta.exists():
            stored = json.loads(meta.read_text("utf-8"))
            if stored != params:
                diff = {k: (stored.get(k), params.get(k)) for k in sorted(set(stored) | set(params))
                        if stored.get(k) != params.get(k)}
                raise IndexMismatch(
                    f"dedup index {self.path} was built with other parameters "
                    + ", ".join(f"{k}: index {a!r} != now {b!r}" for k, (a, b) in diff.items())
                    + "; use the same settings or a new index path"
                )
            for seg in sorted(self.path.glob("seg-*")):
                self.segments.append(self._load(seg))

    @staticmethod
    def _load(seg: Path) -> Segment:
        return Segment(
            ids=json.loads((seg / "ids.json").read_text("utf-8")),
            exact=np.load(seg / "exact.npy"),
            signatures=np.load(seg / "signatures.npy", mmap_mode="r"),
            bands=np.load(seg / "bands.npy", mmap_mode="r"),
            shingles=np.load(seg / "shingles.npy", mmap_mode="r"),
            offsets=np.load(seg / "offsets.npy"),
            kept=np.load(seg / "kept.npy"),
        )

    def __len__(self) -> int:
        return sum(len(s.ids) for s in self.segments)

    def append(self, ids, exact, signatures, bands, shingle_sets, kept) -> None:
        if not ids:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "params.json").write_text(json.dumps(self.params, sort_keys=True), "utf-8")
        seg = self.path / f"seg-{len(self.segments):05d}"
        tmp = seg.with_name(seg.name + ".tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        sizes = np.fromiter((len(s) for s in shingle_sets), dtype=np.int64, count=len(shingle_sets))
        offsets = np.concatenate(([0], np.cumsum(sizes)))
        flat = np.concatenate(shingle_sets) if len(shingle_sets) else np.empty(0, np.uint32)
        (tmp / "ids.json").write_text(json.dumps(list(ids)), "utf-8")
        np.save(tmp / "exact.npy", np.asarray(exact, dtype=np.uint64))
        np.save(tmp / "signatures.npy", np.asarray(signatures, dtype=np.uint32))
        np.save(tmp / "bands.npy", np.asarray(bands, dtype=np.uint64))
        np.save(tmp / "shingles.npy", flat.astype(np.uint32))
        np.save(tmp / "offsets.npy", offsets)
        np.save(tmp / "kept.npy", np.asarray(kept, dtype=bool))
        tmp.rename(seg)  # a half-written segment is never picked up
        self.segments.append(self._load(seg))
