"""Why was a line kept or dropped? One row per normalised line, for humans.

A reviewer who meets a wrongly stripped line in a run's output wants to see the
stripper's reasoning on that one document: :func:`explain` gives it for a text,
:func:`records_to_explain` finds the records of a JSON Lines or Parquet file
(all of them, or the one with an id or at a line) and reads them exactly as a
run does (the same text and id fields, the same size limit and rejections).

Only the per-document rules are shown: lines a run drops as corpus-wide repeats
(``corpus-repeat``) need the whole corpus and are judged in the run itself.
"""
from __future__ import annotations

from typing import Iterator, Optional, Union

from normalize.document import Document
from normalize.errors import Rejection, RunError
from normalize.normalise import normalise_text
from normalize.read import ReadOptions, read_inputs
from normalize.strip import judge_lines


def explain(text: str) -> list[dict]:
    """Each line of the normalised text with its decision, reason and signals."""
    rows = []
    for line in judge_lines(normalise_text(text).split("\n")):
        if line.blank:
            decision = "blank"
        else:
            decision = "drop" if line.reason else "keep"
        signals = {
            "words": round(line.words, 1),
            "terminal": line.terminal,
            "stop_ratio": round(line.stop_ratio, 2),
            "prose": line.prose,
        }
        if line.keep_why:
            signals["kept_as"] = line.keep_why
        signals.update(line.signals)
        rows.append(
            {"line": line.index + 1, "text": line.text, "decision": decision,
             "reason": line.reason, "signals": signals}
        )
    return rows


def records_to_explain(
    path: str, options: ReadOptions = ReadOptions(), record_id: Optional[str] = None, line: Optional[int] = None
) -> Iterator[Union[Document, Rejection]]:
    """The records of a JSON Lines or Parquet file to explain, in file order:
    every one, or only the first whose id is ``record_id`` and/or that stands at
    ``line`` (1-based; a Parquet row). A record the reader rejects comes as its
    :class:`~normalize.errors.Rejection`; asking for one that is not in the
    file is a :class:`~normalize.errors.RunError` naming the file."""
    picking = record_id is not None or line is not None
    for item in read_inputs([path], options):
        assert isinstance(item, (Document, Rejection))  # (not asked for raw lines)
        at = item.source.line if isinstance(item, Document) else item.line
        if (record_id is not None and item.id != record_id) or (line is not None and at != line):
            continue
        yield item
        if picking:
            return
    if picking:
        wanted = " ".join(part for part in (f"with id {record_id!r}" if record_id is not None else "",
                                            f"at line {line}" if line is not None else "") if part)
        raise RunError(f"{path}: no record {wanted}")
