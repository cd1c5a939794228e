"""Repair mojibake and stray escapes with ftfy, but only where it can help.

ftfy's defaults do more than repair: they straighten curly quotes, expand
ligatures and fold full-width letters. Those change text that was never
broken, so :data:`CONFIG` turns them off and keeps only the repairs.

ftfy is thorough and therefore slow (a few hundred 6 KB documents a second).
Most text cannot contain anything it would change, and :func:`needs_repair`
proves that cheaply using ftfy's own rules:

* encoding repair (``fix_encoding``) starts only when ftfy's ``is_bad``
  heuristic matches the text; it never matches pure ASCII;
* ``unescape_html`` needs an HTML entity; ``fix_c1_controls`` needs U+0080-U+009F;
  ``fix_surrogates`` needs U+D800-U+DFFF; ``remove_terminal_escapes`` needs ESC;
  ``decode_inconsistent_utf8`` runs only inside encoding repair.

Everything else ftfy does (line breaks, control characters, NFC) is done by
this package's own whitespace step, so skipping ftfy on such text gives the
same result as calling it.
"""
from __future__ import annotations

import re
from functools import lru_cache

import ftfy
from ftfy.badness import is_bad
from ftfy.chardata import CHARMAP_ENCODINGS

CONFIG = ftfy.TextFixerConfig(
    unescape_html="auto",  # "&amp;" -> "&", unless the text holds markup
    remove_terminal_escapes=True,
    fix_encoding=True,
    restore_byte_a0=True,
    replace_lossy_sequences=True,
    decode_inconsistent_utf8=True,
    fix_c1_controls=True,
    fix_latin_ligatures=False,  # keep "ﬁ": it is not damage
    fix_character_width=False,  # keep full-width CJK punctuation and letters
    uncurl_quotes=False,  # keep typographic quotes
    fix_line_breaks=False,  # done in whitespace.py, with the rest of the layout
    fix_surrogates=True,
    remove_control_chars=False,  # done in whitespace.py, which keeps ZWJ/ZWNJ
    normalization="NFC",
    explain=False,
)

# What lets some ftfy fixer act on text that ``is_bad`` passes: an HTML
# entity (ftfy's own entity pattern), C1 controls, surrogates, ESC.
_TRIGGERS = re.compile(r"&#?[0-9A-Za-z]{1,24};|[\x1b\x80-\x9f\ud800-\udfff]")


def _decoded(byte_values, skip=()) -> str:
    """Every character these bytes become in ftfy's 1-byte codecs, as a regex class body."""
    chars = set()
    for encoding in CHARMAP_ENCODINGS:
        if encoding not in skip:
            chars.update(bytes(byte_values).decode(encoding, errors="ignore"))
    return "".join(sorted(re.escape(c) for c in chars))


# Mojibake is UTF-8 bytes >= 0x80 shown as characters of a 1-byte codec, and a
# UTF-8 sequence has at least two such bytes: so it shows as two adjacent
# characters from the codecs' upper halves. ftfy also repairs sequences whose
# 0xA0 byte became a space ("voilÃ le") or whose bytes were lost ("Ã?", "Ã\ufffd");
# the lead bytes it accepts there are those of its ALTERED_UTF8_RE, and never
# in macroman (ftfy's own rule). Text without such a pair cannot hold mojibake
# that ftfy's encoding repair could undo, so ``is_bad`` need not look at it.
_UPPER = _decoded(range(0x80, 0x100))
_LEAD = _decoded([0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9, 0xE2, 0xE3, 0xF0], skip=("macroman",))
# (_LEAD is a subset of _UPPER: starting with one class keeps the scan fast.)
_MOJIBAKE_PAIR = re.compile(f"[{_UPPER}](?:[{_UPPER}\ufffd]|(?<=[{_LEAD}])[ ?])")


def _has_trigger(text: str) -> bool:
    # C1 controls, ESC and surrogates are all non-printable: one C-speed test
    # rules them out for most texts before any regex runs.
    if "&" not in text and text.replace("\n", " ").isprintable():
        return False
    return bool(_TRIGGERS.search(text))


# One scan finds every line that may need ftfy: a trigger or a mojibake pair.
# It is _TRIGGERS | _MOJIBAKE_PAIR written to start with one character class
# (checked afterwards by lookbehinds), which lets the regex engine skip
# ahead at C speed: an alternation of the two scans three times slower.
_SUSPECT = re.compile(
    f"[&\x1b\x80-\x9f\ud800-\udfff{_UPPER}]"
    "(?:(?<=&)#?[0-9A-Za-z]{1,24};"
    "|(?<=[\x1b\x80-\x9f\ud800-\udfff])"
    f"|(?<=[{_UPPER}])(?:[{_UPPER}\ufffd]|(?<=[{_LEAD}])[ ?]))"
)


def may_need_repair(text: str) -> bool:
    """Cheap test: False proves ftfy would leave ``text`` as it is."""
    if text.isascii():
        return ("&" in text or "\x1b" in text) and bool(_TRIGGERS.search(text))
    return _has_trigger(text) or bool(_MOJIBAKE_PAIR.search(text))


def needs_repair(line: str) -> bool:
    """Whether ftfy could change this line under :data:`CONFIG`."""
    if not may_need_repair(line):
        return False
    return _has_trigger(line) or is_bad(line)


@lru_cache(maxsize=1 << 14)
def _repair_line(line: str) -> str:
    # Damaged lines recur (a site's mangled menu, a syndicated story), and
    # ftfy spends ~0.2 ms on each: the answer is kept per exact line.
    if _TRIGGERS.search(line) or is_bad(line):
        return ftfy.fix_text(line, CONFIG)
    return line


def _suspect_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line holding a trigger or a mojibake pair.

    One regex scan of the whole text, resumed at the next line after a hit,
    instead of a scan per line: most lines of a suspect text are clean.
    """
    spans = []
    pos = 0
    search = _SUSPECT.search
    while (m := search(text, pos)) is not None:
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        if end < 0:
            end = len(text)
        spans.append((start, end))
        pos = end + 1
    return spans


def repair(text: str) -> str:
    """``text`` with mojibake and stray escapes repaired; clean text unchanged.

    ftfy fixes a text line by line (each line is a separate segment), so only
    the lines that can need it are handed to ftfy. One difference from
    ``ftfy.fix_text``: whether HTML entities are unescaped is decided per line
    (not when markup ("<") is in the line), where ftfy stops unescaping for
    the rest of a text after the first "<". Deciding per line keeps cleaning
    idempotent when the stripper later removes the line with the markup.
    """
    if text.isascii() and "&" not in text and "\x1b" not in text:
        return text
    spans = _suspect_lines(text)
    if not spans:
        return text
    parts, done = [], 0
    for start, end in spans:
        line = text[start:end]
        fixed = _repair_line(line)
        if fixed is not line:
            parts.append(text[done:start])
            parts.append(fixed)
            done = end
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)
