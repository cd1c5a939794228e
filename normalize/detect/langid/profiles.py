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

Every character of the profiles gets a small id (:mod:`.features`), and
:attr:`Profiles.codes` maps any code point of the Basic Multilingual Plane to
what the scorer needs of it in one look-up: the id of its normalised form,
whether that is upper case, and its script (:mod:`.tables`).

Deriving the tables from the 55 profiles takes a few tenths of a second and
about 20 MB; it is done once per process, on first use, and the result is kept
in the disk cache (:mod:`normalize.cache`), from which later processes read it
back in milliseconds.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from normalize import cache
from normalize.detect import scripts
from normalize.detect.langid import features, gramtable, tables
from normalize.detect.langid.features import BITS, SPACE_ID, UNKNOWN_ID, gram_key
from normalize.detect.langid.gramtable import GramTable

# langdetect's smoothing: Detector.ALPHA_DEFAULT / Detector.BASE_FREQ. langdetect
# jitters alpha at random around 0.5; we use the centre, for determinism.
SMOOTHING = 0.5 / 10000

# Profiles.codes: bits 0-11 the character id of the normalised code point, bit
# 12 whether that is upper case, bits 16-23 the code point's script id.
ID_MASK = (1 << BITS) - 1
UPPER_BIT = 1 << BITS
SCRIPT_SHIFT = 16


@dataclass(frozen=True)
class Profiles:
    langs: tuple[str, ...]
    grams: np.ndarray  # str: the n-gram of each row of ``logp`` from row 1 on
    logp: np.ndarray  # float32, (1 + n_grams, n_langs + 1); last column: 1.0 per known n-gram
    table: GramTable  # 2- and 3-grams as integers (features.gram_key) -> row of ``logp``
    unigram_rows: np.ndarray  # int32 (2**BITS,): character id -> row of its 1-gram, or 0
    char_ids: dict[str, int]  # character -> id (features.SPACE_ID for the space)
    codes: np.ndarray  # uint32 (0x10000,): code point -> id | upper | script (see ID_MASK ...)

    @property
    def n_langs(self) -> int:
        return len(self.langs)

    @cached_property
    def index(self) -> dict[str, int]:
        """N-gram -> its row of ``logp`` (rows start at 1). Made when first asked
        for: the scorer looks n-grams up by their keys (``table``,
        ``unigram_rows``), and a dict of the 87,598 n-grams took a worker
        some 0.04 s to make from the stored tables, each time it loaded them."""
        grams = self.grams.tolist()
        return dict(zip(grams, range(1, len(grams) + 1)))

    def rows(self, keys: np.ndarray) -> np.ndarray:
        """Rows of ``logp`` for n-gram keys (3, n) as :func:`~.features.text_grams`
        makes them; 0 (the zero row) where there is no known n-gram."""
        out = np.empty(keys.shape, dtype=np.int32)
        np.take(self.unigram_rows, keys[0], out=out[0])
        out[1:] = self.table.get(keys[1:])
        return out


@lru_cache(maxsize=1)
def load_profiles() -> Profiles:
    """The profiles shipped in the langdetect package (once per process): from
    the disk cache when it holds them, else derived and stored there."""
    files = _profile_files()
    try:
        key = _cache_key(files)
    except (OSError, TypeError):  # a source file not on disk (a frozen install): no cache
        return derive_profiles(files)
    stored = cache.load(CACHE_NAME, key)
    if stored is not None:
        try:
            return _from_arrays(stored)
        except (KeyError, ValueError):  # an older or damaged file: derive afresh
            pass
    profiles = derive_profiles(files)
    cache.save(CACHE_NAME, key, _to_arrays(profiles))
    return profiles


CACHE_NAME = "langid-profiles"


def _profile_files() -> list[bytes]:
    folder = resources.files("langdetect").joinpath("profiles")
    return [entry.read_bytes() for entry in sorted(folder.iterdir(), key=lambda p: p.name) if entry.is_file()]


def _cache_key(files: list[bytes]) -> str:
    """What the tables are derived from: the profiles, langdetect's normalisation
    (``NGram``), the script table, and the code of this package that derives them."""
    from langdetect.utils import ngram

    code = [ngram, scripts, tables, features, gramtable]
    sources = [Path(m.__file__).read_bytes() for m in code] + [Path(__file__).read_bytes()]
    data = resources.files("normalize.detect").joinpath("data/scripts.tsv").read_bytes()
    return cache.digest([*files, *sources, data])


def _to_arrays(p: Profiles) -> dict[str, np.ndarray]:
    chars = sorted(p.char_ids, key=p.char_ids.__getitem__)
    return {
        "langs": np.array(p.langs), "grams": p.grams, "logp": p.logp,
        "unigram_rows": p.unigram_rows, "codes": p.codes,
        "chars": np.array(chars), "char_ids": np.array([p.char_ids[c] for c in chars], dtype=np.int64),
        **{f"table_{k}": v for k, v in p.table.state().items()},
    }


def _from_arrays(a: dict[str, np.ndarray]) -> Profiles:
    if len(a["grams"]) + 1 != a["logp"].shape[0]:
        raise ValueError("stored n-grams do not match the stored matrix")
    return Profiles(
        langs=tuple(a["langs"].tolist()), grams=a["grams"], logp=a["logp"],
        table=gramtable.GramTable.from_state({k[6:]: v for k, v in a.items() if k.startswith("table_")}),
        unigram_rows=a["unigram_rows"], char_ids=dict(zip(a["chars"].tolist(), a["char_ids"].tolist())),
        codes=a["codes"],
    )


def derive_profiles(files: list[bytes] | None = None) -> Profiles:
    """Build the tables from langdetect's profile files (JSON)."""
    profiles = []
    for raw in _profile_files() if files is None else files:
        data = json.loads(raw.decode("utf-8"))
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
    # character ids: the space first, then by code point (the same ids every time)
    chars = sorted(set("".join(index)) - {" "})
    if len(chars) + 2 > UNKNOWN_ID:
        raise ValueError(f"{len(chars)} characters in the profiles: more than {BITS}-bit ids hold")
    char_ids = {" ": SPACE_ID, **{ch: i for i, ch in enumerate(chars, SPACE_ID + 1)}}
    unigram_rows = np.zeros(1 << BITS, dtype=np.int32)
    multi = {g: row for g, row in index.items() if len(g) > 1}
    for g, row in index.items():
        if len(g) == 1:
            unigram_rows[char_ids[g]] = row
    assert unigram_rows[SPACE_ID] == 0, "the scorer reads a lone space as no n-gram"
    keys = np.fromiter((gram_key([char_ids[ch] for ch in g]) for g in multi), dtype=np.int64, count=len(multi))
    rows = np.fromiter(multi.values(), dtype=np.int64, count=len(multi))
    return Profiles(
        langs=langs, grams=np.array(sorted(index, key=index.__getitem__)), logp=logp,
        table=GramTable(keys, rows), unigram_rows=unigram_rows,
        char_ids=char_ids, codes=_code_table(char_ids),
    )


def _code_table(char_ids: dict[str, int]) -> np.ndarray:
    """Code point (BMP) -> id of its normalised form | that form's case | its script.

    The line break reads as a space (langdetect's); a code point whose normal
    form no profile holds gets :data:`~.features.UNKNOWN_ID`.
    """
    norm = tables.norm_table()
    id_of = np.full(tables.BMP, UNKNOWN_ID, dtype=np.uint32)
    for ch, i in char_ids.items():
        id_of[ord(ch)] = i
    codes = id_of[norm]
    codes[tables.NEWLINE] = SPACE_ID
    codes |= tables.upper_table()[norm].astype(np.uint32) * np.uint32(UPPER_BIT)
    codes |= tables.script_table().astype(np.uint32) << np.uint32(SCRIPT_SHIFT)
    return codes
