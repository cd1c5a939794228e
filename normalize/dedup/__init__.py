"""Near-duplicate clustering of cleaned news text.

News is syndicated: one agency story appears on hundreds of sites, reprinted,
lightly edited, retitled, cut short, or with an update paragraph added. Those
copies should be recognised as one story, while two different stories on the
same topic — or two stories in the same site's page template — must not be.

The stage runs on the *cleaned* text (boilerplate stripped), in two halves:

* :class:`Fingerprinter` (in worker processes): normalised key, its exact hash,
  shingles (word n-grams, or character n-grams for scripts without spaces) and
  a MinHash signature — see :mod:`.key`, :mod:`.shingles`, :mod:`.minhash`.
  ``Fingerprinter.batch(docs)`` / :func:`fingerprint_texts` do a list of
  documents at once, about twice as fast per document as the one-by-one call.
* :class:`Clusterer` (main process): exact pass, LSH candidates, verification
  on the shingle sets, kept-copy clusters without chaining, optional on-disk
  index for incremental runs — see :mod:`.lsh`, :mod:`.verify`,
  :mod:`.cluster`, :mod:`.index`.
"""
from .cluster import Assignment, ClusterResult, Clusterer, cluster_id_for
from .fingerprint import Fingerprint, Fingerprinter, fingerprint_text, fingerprint_texts
from .index import IndexMismatch
from .settings import DedupSettings, optimal_banding

__all__ = [
    "Assignment",
    "ClusterResult",
    "Clusterer",
    "DedupSettings",
    "Fingerprint",
    "Fingerprinter",
    "IndexMismatch",
    "cluster_id_for",
    "fingerprint_text",
    "fingerprint_texts",
    "optimal_banding",
]
