"""Turning the bytes of a text file into text, and saying which encoding it was.

Scraped corpora arrive in every encoding: UTF-8 with and without a byte-order
mark, UTF-16, and the legacy code pages of each language (cp1251 and koi8-r for
Russian, euc-kr for Korean, shift_jis for Japanese, gb18030 for Chinese).
Strict UTF-8 is tried first because it almost never decodes non-UTF-8 text by
accident; anything else goes to charset-normalizer, whose guess must decode the
bytes strictly: undecodable bytes never silently become text.
"""
from __future__ import annotations

import codecs
from typing import Optional

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class UndecodableError(ValueError):
    """The bytes are not text in any encoding we can name with confidence."""


def looks_binary(data: bytes) -> bool:
    """NUL bytes outside UTF-16/32 mean a binary file, not text."""
    if any(data.startswith(bom) for bom, name in _BOMS if name.startswith("utf-16") or name.startswith("utf-32")):
        return False
    return b"\x00" in data[:65536] or b"\x00" in data


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``.

    Raises :class:`UndecodableError` for binary data or bytes no encoding
    explains.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as exc:
                raise UndecodableError(f"starts with a {name} byte-order mark but does not decode: {exc.reason}") from exc
    if looks_binary(data):
        raise UndecodableError("binary content (NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    guess = _guess(data)
    if guess is None:
        raise UndecodableError("not UTF-8 and no other encoding fits the bytes")
    return data.decode(guess), guess


def _guess(data: bytes) -> Optional[str]:
    best = from_bytes(data).best()
    if best is None:
        return None
    name = best.encoding
    try:
        data.decode(name)
    except (UnicodeDecodeError, LookupError):
        return None
    return name
