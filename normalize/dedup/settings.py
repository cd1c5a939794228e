"""Settings of the near-duplicate stage, and the LSH banding they imply.

MinHash LSH cuts a signature of ``num_perm`` values into ``bands`` bands of
``rows`` values; two documents become *candidates* when any band agrees
exactly. The probability of that for Jaccard similarity ``s`` is
``1 - (1 - s**rows) ** bands``, an S-curve whose midpoint should sit at the
threshold. We use datasketch's own optimiser (the area under the curve on the
wrong side of the threshold, weighted) so the banding is the one a
``MinHashLSH(threshold, num_perm)`` would pick.

Candidates are only a shortlist: every pair is verified on the exact shingle
sets before it may join a cluster, so the LSH threshold sits *below* the
verification threshold (recall is bought here, precision is kept by the
verification).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import resources
from typing import Optional

KEEP_POLICIES = ("longest", "first", "fewest-artefacts")


@lru_cache(maxsize=1)
def _precomputed() -> dict[tuple[float, int, float, float], tuple[int, int]]:
    table = {}
    text = resources.files("normalize.dedup").joinpath("data/banding.tsv").read_text("utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            t, n, fpw, fnw, b, r = line.split("\t")
            table[(float(t), int(n), float(fpw), float(fnw))] = (int(b), int(r))
    return table


@lru_cache(maxsize=64)
def optimal_banding(threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) minimising the weighted false positive/negative area, as datasketch does
    (looked up in data/banding.tsv for common settings; scipy is slow to import)."""
    known = _precomputed().get((round(threshold, 4), num_perm, fp_weight, fn_weight))
    if known:
        return known
    from datasketch.lsh import _optimal_param

    return _optimal_param(threshold, num_perm, fp_weight, fn_weight)


@dataclass
class DedupSettings:
    """How documents are fingerprinted, paired and verified.

    threshold:        Jaccard similarity of the shingle sets at or above which two
                      documents are duplicates.
    containment:      |A & B| / |A| (A the smaller set) at or above which A lies
                      inside B. If B holds clearly more (A has less than
                      ``full_copy_share`` of B's shingles), A is a partial copy and
                      must show it is a cut-short copy, not an excerpt
                      (see :mod:`.verify`): at least ``min_line_share`` of B's lines
                      and ``min_word_share`` of its shingles, or
                      ``word_share_alone`` of its shingles; and it must have
                      ``min_containment_shingles`` shingles. When both open with
                      the same headline (a first line of at most
                      ``headline_max_shingles`` shingles, about 20 words), the
                      line share asked is ``headline_line_share`` instead.
    min_size_ratio:   for sets without line layout (read from an index): the share
                      of B's shingles a contained A must have.
    lsh_threshold:    the Jaccard level the banding is tuned for; lower than
                      ``threshold`` because candidates are verified anyway.
    num_perm:         signature length.
    word_ngram:       shingle size in words for space-delimited scripts.
    char_ngram:       shingle size in characters for scripts written without spaces.
    bands, rows:      LSH banding; ``None`` means the optimum for ``lsh_threshold``.
    keep:             which member of a cluster is kept ("longest" by default: the
                      most complete copy, so a truncated syndication is never the
                      kept one and an update paragraph is not lost).
    scheme:           "oph" (one-permutation hashing with optimal densification,
                      fast) or "affine32" (k permutations, bit-identical to
                      ``datasketch.MinHash(scheme="affine32")`` with our hash).
    seed:             seeds every hash and permutation; fixed for reproducibility.
    max_cluster_size: clusters larger than this are reported in ``oversized``;
                      it also caps how many neighbours one LSH bucket pairs a
                      document with.

    The defaults were chosen for cleaned news text: word 3-grams survive light
    edits (a changed word breaks 3 shingles, not 5), Jaccard 0.5 admits a
    reprint with an added update paragraph or a few percent of edited words,
    and a contained text carrying 45 % of the longer one's lines and 30 % of
    its words (or 65 % of its words) admits a truncated syndication, while
    the opening paragraphs of a long story — half its words, a third of its
    paragraphs — are not taken for a copy of it.
    """

    threshold: float = 0.5
    containment: float = 0.8
    min_containment_shingles: int = 20
    min_size_ratio: float = 0.4
    full_copy_share: float = 0.9
    min_line_share: float = 0.45
    min_word_share: float = 0.3
    word_share_alone: float = 0.65
    headline_line_share: float = 0.3
    headline_max_shingles: int = 18
    lsh_threshold: float = 0.3
    num_perm: int = 128
    word_ngram: int = 3
    char_ngram: int = 4
    bands: Optional[int] = None
    rows: Optional[int] = None
    keep: str = "longest"
    scheme: str = "oph"
    seed: int = 1
    max_cluster_size: int = 1000

    def __post_init__(self) -> None:
        if self.keep not in KEEP_POLICIES:
            raise ValueError(f"keep must be one of {', '.join(KEEP_POLICIES)}, not {self.keep!r}")
        if self.scheme not in ("oph", "affine32"):
            raise ValueError(f"scheme must be 'oph' or 'affine32', not {self.scheme!r}")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        if self.word_ngram < 1 or self.char_ngram < 1 or self.num_perm < 1:
            raise ValueError("shingle sizes and num_perm must be positive")
        if (self.bands is None) != (self.rows is None):
            raise ValueError("give both bands and rows, or neither")
        if self.bands is None:
            self.bands, self.rows = optimal_banding(self.lsh_threshold, self.num_perm)
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands * rows ({self.bands} * {self.rows}) exceeds num_perm ({self.num_perm})")

    def fingerprint_params(self) -> dict:
        """What must match for signatures and bands of two runs to be comparable."""
        return {
            "num_perm": self.num_perm,
            "word_ngram": self.word_ngram,
            "char_ngram": self.char_ngram,
            "bands": self.bands,
            "rows": self.rows,
            "scheme": self.scheme,
            "seed": self.seed,
            "format": 1,
        }

    def as_dict(self) -> dict:
        return asdict(self)
