"""Names of inputs as the outputs can hold them.

A file name on Linux is a string of bytes, not of characters. Python reads the
bytes of a name that are not UTF-8 as lone surrogates ("surrogateescape": a
Latin-1 "café.txt" becomes "caf\\udce9.txt"), and no UTF-8 output can hold
those: a document's id made from such a name, or its source, stopped the whole
run when it was written. Such a name is shown with the bytes escaped instead
("caf\\xe9.txt"), in ids, sources and rejections alike.
"""
from __future__ import annotations


def shown(name: str) -> str:
    """``name`` (a path, or an id made of one) with any byte that is not UTF-8 escaped."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        try:  # the bytes the name had on disk, each undecodable one as \xNN
            return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate of another origin: \udNNN
            return name.encode("utf-8", "backslashreplace").decode("utf-8")
