"""Fingerprints: what the clusterer needs to know about one document.

Computed in worker processes from the *cleaned* text (after boilerplate
stripping), so that navigation, cookie notices and footers shared by every
page of a site never make two different stories look alike.

Everything runs on whole batches of texts (see :func:`fingerprint_texts`): the
keys, shingles and signatures of a few hundred documents are a handful of
numpy operations over one concatenated array, so numpy's per-call overhead is
paid per batch, not per document. :class:`Fingerprinter` offers both the
one-document stage call and ``batch``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .key import batch_keys, exact_hashes
from .minhash import affine32_signature, oph_batch
from .settings import DedupSettings
from .shingles import ShingleSet, batch_shingles_lines, sets_with_lines, to_set


@dataclass
class Fingerprint:
    """exact: xxh3-64 of the normalised key; signature: MinHash (num_perm uint32);
    n_shingles: distinct shingles in the document (0 for an empty key);
    shingles: the shingle set verification compares (a ``ShingleSet``), made here
    in the worker so the main process need not shingle candidates again."""

    exact: int
    signature: np.ndarray
    n_shingles: int
    shingles: Optional[np.ndarray] = None

    def __reduce__(self):
        # Every fingerprint travels from a worker to the main process. numpy
        # pickles an array through a generic reduction that costs several
        # microseconds per array, more than the bytes; raw bytes and a dtype
        # are all an array of numbers needs. (Arrays read back this way are
        # read-only views of the pickle's bytes: nothing writes to them.)
        shingles = self.shingles
        if shingles is None:
            stored = None
        else:
            lines = getattr(shingles, "lines", None)
            stored = (type(shingles) is ShingleSet, _bytes_of(np.asarray(shingles)),
                      None if lines is None else _bytes_of(lines))
        return _fingerprint_from_bytes, (self.exact, _bytes_of(self.signature), self.n_shingles, stored)


def _bytes_of(array: np.ndarray) -> tuple[str, bytes]:
    return array.dtype.str, array.tobytes()


def _array_of(stored: tuple[str, bytes]) -> np.ndarray:
    return np.frombuffer(stored[1], dtype=stored[0])


def _fingerprint_from_bytes(exact: int, signature: tuple, n_shingles: int, stored: Optional[tuple]) -> Fingerprint:
    """Unpickle a :class:`Fingerprint` (see ``Fingerprint.__reduce__``)."""
    shingles = None
    if stored is not None:
        is_set, hashes, lines = stored
        shingles = _array_of(hashes)
        if is_set:
            shingles = ShingleSet(shingles, None if lines is None else _array_of(lines))
    return Fingerprint(exact, _array_of(signature), n_shingles, shingles)


def fingerprint_texts(texts: list[str], settings: DedupSettings, nfc: bool = False) -> list[Fingerprint]:
    """Fingerprints of many texts, computed together (``nfc``: see :func:`.key.batch_keys`)."""
    if not texts:
        return []
    keys = batch_keys(list(texts), nfc)
    hashes, owner, lines = batch_shingles_lines(keys, settings.word_ngram, settings.char_ngram, settings.seed)
    n = len(texts)
    sets = sets_with_lines(hashes, owner, lines, n)
    if settings.scheme == "oph":
        sigs, counts = oph_batch(hashes, owner, n, settings.num_perm, settings.seed)
    else:
        bounds = np.searchsorted(owner, np.arange(n + 1))
        sigs = np.empty((n, settings.num_perm), dtype=np.uint32)
        counts = np.empty(n, dtype=np.int64)
        for i in range(n):
            h = hashes[bounds[i] : bounds[i + 1]]
            sigs[i] = affine32_signature((h >> np.uint64(32)).astype(np.uint32), settings.num_perm, settings.seed)
            counts[i] = len(to_set(h))
    return [Fingerprint(exact=exact, signature=sigs[i].copy(), n_shingles=int(counts[i]), shingles=sets[i])
            for i, exact in enumerate(exact_hashes(keys))]


def fingerprint_text(text: str, settings: DedupSettings) -> Fingerprint:
    return fingerprint_texts([text], settings)[0]


class Fingerprinter:
    """Stage: stores ``doc.work["fingerprint"]`` computed from ``doc.text``."""

    def __init__(self, settings: DedupSettings | None = None, nfc: bool = False):
        self.settings = settings or DedupSettings()
        self.nfc = nfc  # the texts are NFC already (see .key.batch_keys): after Normalise

    def __call__(self, doc):
        doc.work["fingerprint"] = fingerprint_texts([doc.text], self.settings, self.nfc)[0]
        return doc

    def batch(self, docs: list) -> list:
        """The stage over a list of documents at once (much faster per document)."""
        for doc, fp in zip(docs, fingerprint_texts([d.text for d in docs], self.settings, self.nfc)):
            doc.work["fingerprint"] = fp
        return docs
