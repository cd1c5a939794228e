"""Layout: newlines, invisible characters and runs of spaces.

The rules, and why:

* ``\\r\\n``, ``\\r``, U+2028 and U+2029 become ``\\n`` (one convention).
* Zero-width space, word joiner, the invisible math operators (U+2061-U+2064,
  e.g. the "invisible separator" some blog editors put after each line), BOM
  and C0/C1 controls other than tab and newline are invisible leftovers of
  markup or editors: dropped. The soft
  hyphen stays: it is the author's (or CMS's) hyphenation hint.
* ZWJ (U+200D) and ZWNJ (U+200C) *spell* words in Persian, Urdu, Hindi,
  Malayalam and other scripts, and join emoji sequences. They are kept when
  they sit between two non-space, non-ASCII characters (where they can
  matter) and dropped elsewhere (e.g. at a line end, or inside ASCII text).
* Directional marks (LRM, RLM, ALM) carry meaning in mixed-direction text and
  are kept.
* Tabs and runs of two or more spaces collapse to one space; a single exotic
  space (NBSP, narrow NBSP in French, ideographic space) is kept as written.
* Each line is stripped at both ends; blank lines stay, so paragraph breaks
  and line numbers survive; the text is stripped of blank lines at its ends.

Most text needs none of this: when ``str.isprintable`` (C speed) shows no
control, format or exotic space character, only plain spaces are looked at.
"""
from __future__ import annotations

import re

_NEWLINES = re.compile("\r\n?|[\u2028\u2029]")
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u200b\u2060-\u2064\ufeff\ufff9-\ufffb]")
_ORPHAN_JOINER = re.compile(
    r"(?:(?<=[\x00-\x7f])|(?<=^)|(?<=\s))[\u200c\u200d]+|[\u200c\u200d]+(?=[\x00-\x7f]|\s|$)",
    re.M,
)
# Horizontal whitespace: every Unicode space except the newline.
_HSPACE = "\t\x0b\x0c \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
_SPACE_RUN = re.compile(f"[{_HSPACE}]{{2,}}|[\t\x0b\x0c]")
# The spaces that may stand alone (see above); any other horizontal space is
# plain " " or a tab, and plain string methods tidy those.
_EXOTIC_SPACE = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")


def squeeze_spaces(text: str) -> str:
    """Runs of whitespace (newlines included) become one space."""
    return " ".join(text.split())


# A regex over every space of a 6 KB text costs more than the rest of this
# module together (it tries a match at each of a thousand spaces); the
# string methods below scan at C speed and loop only as often as a run of
# spaces is long, which is rarely more than twice.
def _collapse_spaces(text: str) -> str:
    while "  " in text:
        text = text.replace("  ", " ")
    return text


def _strip_plain_lines(text: str) -> str:
    """Each line stripped of the spaces at its ends (the text's first and last
    line too)."""
    while " \n" in text:
        text = text.replace(" \n", "\n")
    while "\n " in text:
        text = text.replace("\n ", "\n")
    return text.strip(" ")


def normalise_whitespace(text: str) -> str:
    """Unify newlines, drop meaningless invisibles, tidy spaces; the text is
    stripped of blank lines at its ends. Idempotent."""
    return tidy_lines(text).strip("\n")


def tidy_lines(text: str) -> str:
    """:func:`normalise_whitespace`, but blank lines at the ends stay: each
    line is tidied as it would be in any text (the lines of a text may be
    tidied apart, and joined)."""
    if text.replace("\n", " ").isprintable():
        # Fast path: no controls, format characters or exotic spaces.
        return _strip_plain_lines(_collapse_spaces(text))
    if "\r" in text or "\u2028" in text or "\u2029" in text:
        text = _NEWLINES.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    if "\u200c" in text or "\u200d" in text:
        text = _ORPHAN_JOINER.sub("", text)
    if _EXOTIC_SPACE.search(text):
        text = _SPACE_RUN.sub(" ", text)
        text = "\n".join(line.strip(_HSPACE) for line in text.split("\n"))
    else:  # plain spaces and tabs: a tab is a space, and runs collapse
        for tab in "\t\x0b\x0c":  # (str.translate looks up every character: slower)
            if tab in text:
                text = text.replace(tab, " ")
        text = _strip_plain_lines(_collapse_spaces(text))
    return text
