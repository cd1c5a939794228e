"""Which writing system a character, a line or a text is in.

Language detectors guess badly on short strings, but the script of a string is
a fact: "본문 바로가기" is Hangul whatever a detector says about it. Script is
the cheap, certain signal for short lines and for residue of a source language
left in a translation. The block table lives in ``data/scripts.tsv``.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from functools import lru_cache
from importlib import resources

COMMON = "Common"

# Scripts that write Japanese: a text mixing them is one language, not residue.
JAPANESE = frozenset({"Hiragana", "Katakana", "Han"})


def _load_table() -> tuple[list[int], list[int], list[str]]:
    rows = []
    text = resources.files("normalize.detect").joinpath("data/scripts.tsv").read_text("utf-8")
    for raw in text.splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        first, last, script = raw.split("\t")
        rows.append((int(first, 16), int(last, 16), script.strip()))
    rows.sort()
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


_STARTS, _ENDS, _NAMES = _load_table()


@lru_cache(maxsize=65536)
def char_script(ch: str) -> str:
    """The script of one character; ``Common`` for digits, punctuation, symbols."""
    cp = ord(ch)
    if cp < 0x80:  # fast path: ASCII
        return "Latin" if ch.isalpha() else COMMON
    i = bisect_right(_STARTS, cp) - 1
    if i >= 0 and cp <= _ENDS[i] and ch.isalpha():
        return _NAMES[i]
    # combining marks of Indic and other scripts are not isalpha() but belong to them
    if i >= 0 and cp <= _ENDS[i] and _NAMES[i] not in ("Latin", "Greek", "Cyrillic"):
        return _NAMES[i] if not ch.isspace() and not ch.isdigit() else COMMON
    return COMMON


def script_counts(text: str) -> Counter:
    """Letters per script in ``text`` (Common characters are not counted)."""
    counts: Counter = Counter()
    for ch in text:
        s = char_script(ch)
        if s != COMMON:
            counts[s] += 1
    return counts


def dominant_script(text: str) -> str:
    """The script most letters of ``text`` are in, or ``Common`` if it has none.

    Japanese kana and kanji count together as ``Japanese`` when any kana is
    present, since a Japanese text is mostly kanji by character count.
    """
    counts = script_counts(text)
    if not counts:
        return COMMON
    if counts.get("Hiragana", 0) + counts.get("Katakana", 0) > 0:
        jp = sum(counts.get(s, 0) for s in JAPANESE)
        others = {s: n for s, n in counts.items() if s not in JAPANESE}
        if not others or jp >= max(others.values()):
            return "Japanese"
    return counts.most_common(1)[0][0]
