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

Before ``is_bad`` (a large regex, tens of microseconds a line) a cheaper
test runs: encoding repair needs two adjacent characters that are a UTF-8
lead and continuation byte in one and the same codec, which natural text
rarely holds ("öß" and "çã" are no such pair in any codec). And ftfy gets
only the stretch of a line between its first and last non-ASCII character
(see :func:`_repair_line`), which is all it can change.
"""
from __future__ import annotations

import re
import unicodedata
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


def _decoded(byte_values, encodings=CHARMAP_ENCODINGS) -> str:
    """Every character these bytes become in some of ftfy's 1-byte codecs."""
    chars = set()
    for encoding in encodings:
        chars.update(bytes(byte_values).decode(encoding, errors="ignore"))
    return "".join(sorted(chars))


# Mojibake is UTF-8 shown as characters of a 1-byte codec. ftfy's encoding
# repair re-encodes a line with one codec and decodes the bytes as UTF-8, so
# it can change a line only if, in that one codec, some character is a UTF-8
# lead byte (0xC0-0xF4) and the next one a continuation byte (0x80-0xBF):
# "Ã©" (C3 A9) can be repaired, "öß" (F6 DF) or "ää" (E4 E4) cannot, in any
# codec. ftfy also repairs sequences whose 0xA0 byte became a space
# ("voilÃ le", its ALTERED_UTF8_RE, never in macroman) or whose bytes were
# lost ("Ã?", "Ã\ufffd", its LOSSY_UTF8_RE). _valid_pairs lists every such
# pair of characters; a pair that counts only before a continuation byte
# ("â " in "â €") maps to the characters that may follow it.
_LEAD_BYTES = range(0xC0, 0xF5)
_CONT_BYTES = range(0x80, 0xC0)
_SPACED_LEADS = [0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9]  # lead, then 0xA0 read as a space
_SPACED_LEADS_3 = [0xE2, 0xE3, 0xF0]  # ... lead, space, continuation
_LOSSY_LEADS = [0xC2, 0xC3]  # lead, then "?" for a lost byte
_LOSSY_LEADS_3 = range(0xE0, 0xF5)  # ... lead, "?", continuation or U+FFFD


def _valid_pairs() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    pairs: set[str] = set()
    needs_third: dict[str, set[str]] = {}
    for encoding in CHARMAP_ENCODINGS:
        leads, conts = _decoded(_LEAD_BYTES, [encoding]), _decoded(_CONT_BYTES, [encoding])
        pairs.update(a + b for a in leads for b in conts + "\ufffd")
        third = set(conts)
        if encoding != "macroman":
            pairs.update(a + " " for a in _decoded(_SPACED_LEADS, [encoding]))
            for a in _decoded(_SPACED_LEADS_3, [encoding]):
                needs_third.setdefault(a + " ", set()).update(third)
        pairs.update(a + "?" for a in _decoded(_LOSSY_LEADS, [encoding]))
        for a in _decoded(_LOSSY_LEADS_3, [encoding]):
            needs_third.setdefault(a + "?", set()).update(third | {"\ufffd"})
    return frozenset(pairs), {k: frozenset(v) for k, v in needs_third.items()}


_PAIRS, _PAIRS_BEFORE = _valid_pairs()
_LEADS = re.escape(_decoded(_LEAD_BYTES))
_CONTS = re.escape(_decoded(_CONT_BYTES))
_SPACED = re.escape(_decoded(_SPACED_LEADS + _SPACED_LEADS_3, [e for e in CHARMAP_ENCODINGS if e != "macroman"]))
_LOSSY = re.escape(_decoded(_LOSSY_LEADS + list(_LOSSY_LEADS_3)))

# One scan finds the candidates: a trigger, or a lead character of any codec
# followed by a continuation character of any codec (or a space or "?" that
# may stand for a lost byte). It is written to start with one character
# class (the rest is checked by lookbehinds), which lets the regex engine
# skip ahead at C speed. Whether a candidate pair is a UTF-8 sequence in one
# and the same codec is then looked up in _PAIRS.
_SUSPECT = re.compile(
    f"[&\x1b\x80-\x9f\ud800-\udfff{_LEADS}]"
    "(?:(?<=&)#?[0-9A-Za-z]{1,24};"
    "|(?<=[\x1b\x80-\x9f\ud800-\udfff])"
    f"|(?<=[{_LEADS}])[{_CONTS}\ufffd]"
    f"|(?<=[{_SPACED}])[ ]"
    f"|(?<=[{_LOSSY}])[?])"
)


def _next_suspect(text: str, pos: int = 0) -> int:
    """Position of the first trigger or repairable pair at or after ``pos``, or -1."""
    search = _SUSPECT.search
    while (m := search(text, pos)) is not None:
        found = m.group()
        if len(found) != 2 or found[0] == "&" or found in _PAIRS:
            return m.start()
        follows = _PAIRS_BEFORE.get(found)
        if follows is not None and text[m.end() : m.end() + 1] in follows:
            return m.start()
        pos = m.start() + 1
    return -1


def may_need_repair(text: str) -> bool:
    """Cheap test: False proves ftfy would leave ``text`` as it is."""
    if text.isascii():
        return ("&" in text or "\x1b" in text) and bool(_TRIGGERS.search(text))
    return _next_suspect(text) >= 0


def needs_repair(line: str) -> bool:
    """Whether ftfy could change this line under :data:`CONFIG`."""
    if not may_need_repair(line):
        return False
    return bool(_TRIGGERS.search(line)) or is_bad(line)


# ftfy repairs a line as a whole (one codec for all of it), but the ASCII
# around its non-ASCII characters takes no part: ASCII bytes are the same in
# every codec and in UTF-8, and ftfy's heuristics look at most a few
# characters beyond a non-ASCII one. So ftfy is handed the stretch from the
# first to the last non-ASCII character with _CONTEXT characters either side,
# which gives the same result at a fraction of the cost on long lines. Not
# when the ASCII holds what ftfy acts on by itself: an entity ("&"), a
# terminal escape (ESC), or 0x1A (ftfy's stand-in for a lost byte).
_CONTEXT = 8
_FIRST_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_LAST_NON_ASCII = re.compile(r".*[^\x00-\x7f]", re.S)
_C1_OR_SURROGATE = re.compile(r"[\x80-\x9f\ud800-\udfff]")


@lru_cache(maxsize=1 << 14)
def _repair_line(line: str) -> str:
    # Damaged lines recur (a site's mangled menu, a syndicated story), and
    # ftfy spends ~0.2 ms on each: the answer is kept per exact line.
    if "&" in line or "\x1b" in line or "\x1a" in line or line.isascii():
        if _TRIGGERS.search(line) or is_bad(line):
            return ftfy.fix_text(line, CONFIG)
        return line
    start = max(0, _FIRST_NON_ASCII.search(line).start() - _CONTEXT)
    end = _LAST_NON_ASCII.match(line).end() + _CONTEXT
    damaged = line[start:end]
    if not (_C1_OR_SURROGATE.search(damaged) or is_bad(damaged)):
        return line
    fixed = _fixed(damaged)
    if fixed == damaged:
        return line
    return line[:start] + fixed + line[end:]


# ftfy.fix_text repeats all its steps until a round changes nothing, so a line
# it repairs goes through every step a second time, and is_bad's large regex
# (ftfy's costliest test) scans the repaired line twice: once as
# fix_encoding's own last round, which finds nothing more to repair, and again
# in fix_text's second round, which asks fix_encoding the same question of
# the same text. In a round, only the unescaping of HTML entities comes before
# fix_encoding; the other steps act on what it returns. When that has nothing
# for them (no HTML entity, ESC, C1 control or surrogate; NFC already) and the
# line had no entity before, the first round ends with fix_encoding's text, and
# the second can change nothing: fix_encoding returns only a text its last
# round left as it was. The repair is then fix_encoding's, called as fix_text
# calls it, and the second round is skipped; any other line goes to fix_text.
# (The tests check that lines repaired either way come out as ftfy.fix_text
# makes them.)
_OTHER_STEPS = re.compile(r"[&\x1b\x80-\x9f\ud800-\udfff]")


def _fixed(damaged: str) -> str:
    """``ftfy.fix_text(damaged, CONFIG)`` of a stretch of one line."""
    if len(damaged) <= CONFIG.max_decode_length and "&" not in damaged:
        fixed = ftfy.fix_encoding(damaged)
        if not _OTHER_STEPS.search(fixed) and unicodedata.is_normalized("NFC", fixed):
            return fixed
    return ftfy.fix_text(damaged, CONFIG)


def _suspect_lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line holding a trigger or a repairable pair.

    One regex scan of the whole text, resumed at the next line after a hit,
    instead of a scan per line: most lines of a suspect text are clean.
    """
    spans = []
    pos = 0
    while (hit := _next_suspect(text, pos)) >= 0:
        start = text.rfind("\n", 0, hit) + 1
        end = text.find("\n", hit)
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
