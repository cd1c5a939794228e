"""What the script of a line says about its language.

The n-gram model needs a few dozen letters to be trusted, but a script is a
fact even in two words: "본문 바로가기" is Korean, "Главная" is one of the
Cyrillic languages. ``data/lang_scripts.tsv`` lists the languages written in
each script; a script with a single language decides a line on its own, and a
script with several narrows the model down to them.

Everything here works on the per-line letter counts of
:class:`~normalize.detect.langid.scorer.LineScores`, for all lines at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from normalize.detect.langid import tables
from normalize.detect.langid.profiles import load_profiles

JAPANESE = "Japanese"
UND = "und"
_KANA = ("Hiragana", "Katakana")


@dataclass(frozen=True)
class ScriptLangs:
    names: tuple[str, ...]  # tables.script_names() + ("Japanese",)
    langs: tuple[tuple[str, ...], ...]  # per script id: languages written in it
    single: tuple[str | None, ...]  # per script id: its only language, if it has one
    model_mask: np.ndarray  # bool (n_scripts, n_langs): profile languages written in it
    # every code a line can get: the profile languages first (same order), then
    # those only a script names (ka, hy, ...), then "und"
    codes: tuple[str, ...]
    single_id: np.ndarray  # int (n_scripts,): index into codes of ``single``, or -1
    first_id: np.ndarray  # int (n_scripts,): index into codes of the script's first language, or of "und"
    has_model: np.ndarray  # bool (n_scripts,): some profile language is written in it


@lru_cache(maxsize=1)
def script_langs() -> ScriptLangs:
    table: dict[str, tuple[str, ...]] = {}
    text = resources.files("normalize.detect").joinpath("data/lang_scripts.tsv").read_text("utf-8")
    for raw in text.splitlines():
        if raw.strip() and not raw.startswith("#"):
            script, langs = raw.split("\t")
            table[script.strip()] = tuple(langs.split())
    names = (*tables.script_names(), JAPANESE)
    langs = tuple(table.get(n, ()) for n in names)
    profile_langs = load_profiles().langs
    mask = np.array([[lang in ls for lang in profile_langs] for ls in langs], dtype=bool)
    single = tuple(ls[0] if len(ls) == 1 else None for ls in langs)
    extra = sorted({lang for ls in langs for lang in ls} - set(profile_langs))
    codes = (*profile_langs, *extra, UND)
    single_id = np.array([codes.index(s) if s else -1 for s in single], dtype=np.int64)
    first_id = np.array([codes.index(ls[0] if ls else UND) for ls in langs], dtype=np.int64)
    return ScriptLangs(names=names, langs=langs, single=single, model_mask=mask, codes=codes,
                       single_id=single_id, first_id=first_id, has_model=mask.any(axis=1))


@lru_cache(maxsize=1)
def _japanese_columns() -> tuple[np.ndarray, np.ndarray]:
    names = tables.script_names()
    kana = np.array([names.index(k) for k in _KANA if k in names], dtype=np.int64)
    han = np.array([names.index("Han")] if "Han" in names else [], dtype=np.int64)
    return kana, np.concatenate([kana, han])


def dominant(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dominant script id and its letter count for each row of ``counts``.

    The rule of :func:`normalize.detect.scripts.dominant_script`: kana and kanji
    count together as Japanese when there is any kana and they outnumber every
    other script, since a Japanese text is mostly kanji by character count.
    """
    best = counts.argmax(axis=1)
    best_n = counts.max(axis=1)
    kana, jp_cols = _japanese_columns()
    kana_n = counts[:, kana].sum(axis=1)
    if not kana_n.any():
        return best, best_n
    jp_n = counts[:, jp_cols].sum(axis=1)
    others = counts.copy()
    others[:, jp_cols] = 0
    is_jp = (kana_n > 0) & (jp_n >= others.max(axis=1))
    return np.where(is_jp, len(tables.script_names()), best), np.where(is_jp, jp_n, best_n)


def dominant_one(counts: np.ndarray) -> tuple[int, int]:
    """:func:`dominant` of one row of counts, as plain integers."""
    best = int(counts.argmax())
    kana, jp_cols = _japanese_columns()
    if not counts[kana].any():
        return best, int(counts[best])
    script, n = dominant(counts[None, :])
    return int(script[0]), int(n[0])
