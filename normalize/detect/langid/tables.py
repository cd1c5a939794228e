"""Per-code-point lookup tables, so that a whole text is mapped in one numpy step.

A few facts about each character are needed for every text, and computing them
character by character in Python would cost more than the scoring itself:

* langdetect's normalisation (``NGram.normalize``): ASCII punctuation and
  digits become spaces, every Hangul syllable becomes one representative
  syllable, kana collapse to one hiragana and one katakana, kanji collapse to
  the representatives of their frequency classes, Romanian comma-below letters
  become cedilla letters, and so on. We apply langdetect's own function to
  every code point of the Basic Multilingual Plane once, and keep the result as
  an array; characters beyond it are left alone, as langdetect leaves them.
* the Unicode script (``normalize.detect.scripts.char_script``), as a small
  integer id;
* whether it is upper case (for langdetect's rule on all-capital words).

A text becomes an array of code points (UTF-32) and the tables are indexed with
it. They cover the Basic Multilingual Plane; the rare characters beyond it
(emoji, historic CJK) are looked up one by one.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from langdetect.utils.ngram import NGram

from normalize import cache
from normalize.detect import scripts

BMP = 0x10000
NEWLINE = 0x0A


def codepoints(text: str) -> np.ndarray:
    """The code points of ``text`` as a uint32 array (lone surrogates kept)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def from_codepoints(cps: np.ndarray) -> str:
    return cps.astype("<u4", copy=False).tobytes().decode("utf-32-le", "surrogatepass")


@lru_cache(maxsize=1)
def norm_table() -> np.ndarray:
    """Code point -> code point after langdetect's ``NGram.normalize``.

    The line break is kept (langdetect turns it into a space) so that the
    normalised text can still be split into the lines of the original.
    """
    table = np.arange(BMP, dtype=np.uint32)
    for cp in range(BMP):
        ch = chr(cp)
        out = NGram.normalize(ch)
        if out != ch:
            table[cp] = ord(out)
    table[NEWLINE] = NEWLINE
    return table


def beyond_bmp(cps: np.ndarray) -> bool:
    """Whether any code point is past U+FFFF (emoji, rare CJK): the slow paths below."""
    return bool(cps.size) and int(cps.max()) >= BMP


def normalise(cps: np.ndarray, wide: bool | None = None) -> np.ndarray:
    """Apply :func:`norm_table` to an array of code points (``wide``: see :func:`beyond_bmp`)."""
    table = norm_table()
    if beyond_bmp(cps) if wide is None else wide:
        out = cps.copy()
        low = cps < BMP
        out[low] = table[cps[low]]
        return out
    return np.take(table, cps)


@lru_cache(maxsize=1)
def script_names() -> tuple[str, ...]:
    """All script names of ``data/scripts.tsv`` met in the BMP; id 0 is ``Common``."""
    return tuple(_bmp_scripts()["names"].tolist())


@lru_cache(maxsize=1)
def script_table() -> np.ndarray:
    """Code point (BMP) -> script id, an index into :func:`script_names`."""
    return _bmp_scripts()["table"]


def _bmp_scripts() -> dict[str, np.ndarray]:
    """The script names and the table: looking up each of 65,536 characters
    takes a twentieth of a second, at the start of every run, so they are kept
    in the disk cache (:mod:`normalize.cache`), keyed on what they are made from."""
    return cache.derived("langid-scripts", _bmp_scripts_inputs, _derive_bmp_scripts)


def _bmp_scripts_inputs() -> list[bytes]:
    data = resources.files("normalize.detect").joinpath("data/scripts.tsv").read_bytes()
    return [Path(__file__).read_bytes(), Path(scripts.__file__).read_bytes(), data]


def _derive_bmp_scripts() -> dict[str, np.ndarray]:
    bmp = [scripts.char_script.__wrapped__(chr(cp)) for cp in range(BMP)]
    names = (scripts.COMMON, *sorted(set(bmp) - {scripts.COMMON}))
    ids = {name: i for i, name in enumerate(names)}
    return {"names": np.array(names), "table": np.fromiter((ids[name] for name in bmp), dtype=np.uint8, count=BMP)}


def script_ids(cps: np.ndarray, wide: bool | None = None) -> np.ndarray:
    """Script id of each code point; characters beyond the BMP are looked up one by one."""
    table = script_table()
    if beyond_bmp(cps) if wide is None else wide:
        ids = {name: i for i, name in enumerate(script_names())}
        out = np.zeros(cps.shape, dtype=np.uint8)
        low = cps < BMP
        out[low] = table[cps[low]]
        for i in np.flatnonzero(~low):
            out[i] = ids.get(scripts.char_script(chr(int(cps[i]))), 0)
        return out
    return np.take(table, cps)


@lru_cache(maxsize=1)
def upper_table() -> np.ndarray:
    """Code point (BMP) -> ``str.isupper``, for langdetect's capital-word rule."""
    return np.fromiter((chr(cp).isupper() for cp in range(BMP)), dtype=bool, count=BMP)


def upper_mask(cps: np.ndarray, wide: bool | None = None) -> np.ndarray:
    """``isupper`` of each code point; beyond the BMP looked up one by one (rare)."""
    table = upper_table()
    if beyond_bmp(cps) if wide is None else wide:
        out = np.zeros(cps.shape, dtype=bool)
        low = cps < BMP
        out[low] = table[cps[low]]
        for i in np.flatnonzero(~low):
            out[i] = chr(int(cps[i])).isupper()
        return out
    return np.take(table, cps)
