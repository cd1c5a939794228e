"""Fingerprints: what the clusterer needs to know about one document.

Computed in worker processes from the *cleaned* text (after boilerplate
stripping), so that navigation, cookie notices and footers shared by every
page of a site never make two different stories look alike.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .key import exact_hash, flat_key, lined_key
from .minhash import signature
from .settings import DedupSettings
from .shingles import shingle_hashes


@dataclass
class Fingerprint:
    """exact: xxh3-64 of the normalised key; signature: MinHash (num_perm uint32);
    n_shingles: distinct shingles in the document (0 for an empty key)."""

    exact: int
    signature: np.ndarray
    n_shingles: int


def fingerprint_text(text: str, settings: DedupSettings) -> Fingerprint:
    key = lined_key(text)
    hashes = shingle_hashes(key, settings.word_ngram, settings.char_ngram, settings.seed)
    sig = signature(hashes, settings.num_perm, settings.seed, settings.scheme)
    return Fingerprint(exact=exact_hash(flat_key(key)), signature=sig, n_shingles=int(len(np.unique(hashes))))


class Fingerprinter:
    """Stage: stores ``doc.work["fingerprint"]`` computed from ``doc.text``."""

    def __init__(self, settings: DedupSettings | None = None):
        self.settings = settings or DedupSettings()

    def __call__(self, doc):
        doc.work["fingerprint"] = fingerprint_text(doc.text, self.settings)
        return doc
