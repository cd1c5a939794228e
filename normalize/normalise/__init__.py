"""Normalise: repair, compose and tidy the text of a document.

Scraped news text arrives damaged in a few well-known ways: UTF-8 bytes read as
Windows-1252 or Latin-1 ("mojibake": ``â€™`` for ``’``), HTML entities left in
place, stray control and zero-width characters, three newline conventions and
runs of spaces left over from markup. This stage repairs those and nothing
else: a clean text comes back exactly as it went in.

* :mod:`.repair` decides whether a text *can* hold mojibake before paying for
  ftfy, and runs ftfy with settings that never touch clean text.
* :mod:`.whitespace` unifies newlines and drops invisible characters that carry
  no meaning, while keeping the joiners that Indic and Persian spelling need.
* :func:`match_key` is a separate, lossy key for *matching* phrases and lines;
  it is never written out.
"""
from __future__ import annotations

import unicodedata
from typing import Callable

from normalize.document import Document
from normalize.memo import forget_older_half
from normalize.normalise.repair import repair
from normalize.normalise.whitespace import normalise_whitespace, squeeze_spaces, tidy_lines

__all__ = ["normalise_text", "normalise_lines", "match_key", "Normalise"]

ROUNDS = 4  # at most: tidying may expose damage, which repairing may expose again


def _normalise_once(text: str) -> str:
    text = repair(text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return normalise_whitespace(text)


def _whole_text(text: str) -> str:
    """Repair, compose and tidy ``text`` until it stops changing."""
    return _repeated(_normalise_once, text)


def _repeated(step: Callable[[str], str], text: str) -> str:
    """``step`` applied to ``text`` until it changes nothing, at most ROUNDS times."""
    current = step(text)
    for _ in range(ROUNDS - 1):
        if current == text:
            break
        text, current = current, step(current)
    return current


def normalise_text(text: str) -> str:
    """Repaired, NFC, whitespace-normalised text. Idempotent.

    Tidying can expose damage ftfy recognises only now (a form feed that
    becomes the space after a stray "Â"), so the steps repeat until the text
    stops changing; clean text goes through once.
    """
    return "\n".join(normalise_lines(text))


# Every step acts on each line by itself: ftfy repairs line by line, NFC never
# composes across a newline, and whitespace is tidied per line. So a line's
# result depends on the line alone, and news lines recur (a site's chrome on
# every page, a story's paragraphs in every reprint): in a crawl of near-
# duplicate coverage most lines have been seen before, and looking them up
# costs a fraction of normalising the text again. What a text does across its
# lines (the newlines themselves, blank lines at its ends) stays with the text.
#
# Line breaks are the exception: "\r\n" is one break, not two, and a line
# whose repair draws a new one ("&#13;", a mojibake U+2028) has it tidied
# together with the next line's. A text that holds "\r", U+2028 or U+2029, or
# one whose repair makes one, is normalised whole (both are rare).
LINE_LIMIT = 1 << 16  # lines remembered; past that, the older half is forgotten
_seen: dict[str, str] = {}  # line -> its normalised form
_BREAKS = ("\r", "\u2028", "\u2029")


class _NewLineBreak(Exception):
    """Repair made a line break: the lines of the text are not normalised apart."""


def normalise_lines(text: str) -> list[str]:
    """The lines of :func:`normalise_text` of ``text``."""
    if "\r" in text or "\u2028" in text or "\u2029" in text:
        return _whole_text(text).split("\n")
    lines = text.split("\n")
    seen = _seen
    try:
        out = [seen[line] for line in lines]  # (compiled: a loop in C)
    except KeyError:
        try:
            out = _with_new_lines(lines)
        except _NewLineBreak:
            return _whole_text(text).split("\n")
    # blank lines at the ends go, as strip("\n") of the joined text would drop them
    start, end = 0, len(out)
    while start < end and not out[start]:
        start += 1
    while end > start and not out[end - 1]:
        end -= 1
    if start == end:
        return [""]
    return out[start:end] if end - start < len(out) else out


def _with_new_lines(lines: list[str]) -> list[str]:
    """The normalised ``lines``: those not seen before are normalised now (all
    together, as one text: the steps scan a text at C speed, where a call per
    line would cost more) and remembered."""
    seen = _seen
    out: list = [seen.get(line) for line in lines]
    new = list(dict.fromkeys([line for line, done in zip(lines, out) if done is None]))
    learnt = dict(zip(new, _rounds("\n".join(new)).split("\n")))
    out = [learnt[line] if done is None else done for line, done in zip(lines, out)]
    if len(_seen) + len(learnt) > LINE_LIMIT:
        forget_older_half(_seen)
    _seen.update(learnt)
    return out


def _rounds(text: str) -> str:
    """:func:`_whole_text` of a text without line breaks but its newlines,
    except that blank lines at the ends stay. Raises :class:`_NewLineBreak`
    if repair makes a line break."""
    return _repeated(_tidied_once, text)


def _tidied_once(text: str) -> str:
    repaired = repair(text)
    if repaired is not text and (repaired.count("\n") != text.count("\n")
                                 or any(b in repaired for b in _BREAKS)):
        raise _NewLineBreak
    if not repaired.isascii():
        repaired = unicodedata.normalize("NFC", repaired)
    return tidy_lines(repaired)


def match_key(text: str) -> str:
    """A key for comparing text, not for output.

    NFKC folds full-width letters, ligatures and compatibility forms onto
    their plain letters, ``casefold`` handles ß/ss and Turkish-free case
    mapping, and whitespace is squeezed to single spaces. Two strings with the
    same key read the same to a person.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return squeeze_spaces(text.casefold()).strip()


class Normalise:
    """Stage: ``doc.text`` becomes normalised text; ``doc.lines`` its lines."""

    def __call__(self, doc: Document) -> Document:
        doc.lines = normalise_lines(doc.text)
        doc.text = "\n".join(doc.lines)
        return doc
