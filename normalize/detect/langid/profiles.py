"""langdetect's language profiles as one log-probability matrix.

Each profile (``langdetect/profiles/<code>``, JSON) holds n-gram counts and the
total number of 1-, 2- and 3-grams seen. langdetect turns a count into
``p(gram | lang) = count / n_words[len(gram) - 1]`` and, when it scores, uses
``p + alpha / 10000`` with ``alpha = 0.5`` so that an n-gram a language never
showed does not zero it out. We store ``log(p + 5e-5)`` directly, one row per
n-gram, one column per language, plus a last column of ones that counts how
many known n-grams a text had. Row 0 is all zeros: the row of "no n-gram".

Language codes are langdetect's own: ISO 639-1 (``en``, ``de``, ``uk`` ...),
except ``zh-cn`` (simplified) and ``zh-tw`` (traditional Chinese). Languages
are sorted by code, so column order does not depend on the file system.

Loading the 55 profiles takes a few tenths of a second and about 20 MB; it is
done once per process, on first use.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from normalize.detect.langid.features import gram_key
from normalize.detect.langid.gramtable import GramTable

# langdetect's smoothing: Detector.ALPHA_DEFAULT / Detector.BASE_FREQ. langdetect
# jitters alpha at random around 0.5; we use the centre, for determinism.
SMOOTHING = 0.5 / 10000


@dataclass(frozen=True)
class Profiles:
    langs: tuple[str, ...]
    index: dict[str, int]  # n-gram -> row of ``logp`` (rows start at 1)
    logp: np.ndarray  # float32, (1 + n_grams, n_langs + 1); last column: 1.0 per known n-gram
    table: GramTable  # 2- and 3-grams as integers (features.gram_key) -> row of ``logp``
    unigram_rows: np.ndarray  # int32 (0x10000,): code point -> row of its 1-gram, or 0

    @property
    def n_langs(self) -> int:
        return len(self.langs)

    def rows(self, keys: np.ndarray, wide: bool = True) -> np.ndarray:
        """Rows of ``logp`` for n-gram keys (3, n) as :func:`~.features.text_grams`
        makes them; 0 (the zero row) where there is no known n-gram. ``wide``:
        whether a code point may be beyond the BMP."""
        out = np.empty(keys.shape, dtype=np.int32)
        uni = keys[0]
        if wide:
            uni = np.where(uni < self.unigram_rows.size, uni, 0)
        np.take(self.unigram_rows, uni, out=out[0])
        out[1:] = self.table.get(keys[1:])
        return out


@lru_cache(maxsize=1)
def load_profiles() -> Profiles:
    """Read every profile shipped in the langdetect package (once per process)."""
    folder = resources.files("langdetect").joinpath("profiles")
    profiles = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.is_file():
            data = json.loads(entry.read_text("utf-8"))
            profiles.append((data["name"], data["freq"], data["n_words"]))
    profiles.sort(key=lambda p: p[0])
    langs = tuple(p[0] for p in profiles)

    index: dict[str, int] = {}
    for _, freq, _ in profiles:
        for gram in freq:
            if 1 <= len(gram) <= 3 and gram not in index:
                index[gram] = len(index) + 1
    prob = np.zeros((len(index) + 1, len(langs)), dtype=np.float64)
    for col, (_, freq, n_words) in enumerate(profiles):
        rows = np.fromiter((index[g] for g in freq if 1 <= len(g) <= 3), dtype=np.int64)
        counts = np.fromiter((c for g, c in freq.items() if 1 <= len(g) <= 3), dtype=np.float64)
        totals = np.array([n_words[len(g) - 1] for g in freq if 1 <= len(g) <= 3], dtype=np.float64)
        prob[rows, col] = counts / totals
    # Renumber the rows, commonest n-grams first: a text mostly hits the first
    # few thousand rows, which then share the CPU caches (several times faster
    # than rows scattered over the 20 MB matrix).
    order = np.argsort(-prob.sum(axis=1)[1:], kind="stable") + 1
    prob[1:] = prob[order]
    new_row = np.empty(len(index) + 1, dtype=np.int64)
    new_row[order] = np.arange(1, len(index) + 1)
    index = {g: int(new_row[row]) for g, row in index.items()}
    logp = np.empty((len(index) + 1, len(langs) + 1), dtype=np.float32)
    logp[:, :-1] = np.log(prob + SMOOTHING)
    logp[:, -1] = 1.0
    logp[0, :] = 0.0
    unigram_rows = np.zeros(0x10000, dtype=np.int32)
    multi = {g: row for g, row in index.items() if len(g) > 1}
    for g, row in index.items():
        if len(g) == 1:  # all in the BMP
            unigram_rows[ord(g)] = row
    keys = np.fromiter((gram_key(g) for g in multi), dtype=np.int64, count=len(multi))
    rows = np.fromiter(multi.values(), dtype=np.int64, count=len(multi))
    return Profiles(
        langs=langs, index=index, logp=logp, table=GramTable(keys, rows), unigram_rows=unigram_rows
    )
