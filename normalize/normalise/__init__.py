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

from normalize.document import Document
from normalize.normalise.repair import repair
from normalize.normalise.whitespace import normalise_whitespace, squeeze_spaces

__all__ = ["normalise_text", "match_key", "Normalise"]


def _normalise_once(text: str) -> str:
    text = repair(text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return normalise_whitespace(text)


def normalise_text(text: str) -> str:
    """Repaired, NFC, whitespace-normalised text. Idempotent.

    Tidying can expose damage ftfy recognises only now (a form feed that
    becomes the space after a stray "Â"), so the steps repeat until the text
    stops changing; clean text goes through once.
    """
    current = _normalise_once(text)
    for _ in range(3):
        if current == text:
            break
        text, current = current, _normalise_once(current)
    return current


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
        doc.text = normalise_text(doc.text)
        doc.lines = doc.text.split("\n")
        return doc
