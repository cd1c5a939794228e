"""Which stages each command runs, in order.

Per-document stages are small callables ``Document -> Document``; the engines
(local process pool, Spark ``mapPartitions``) run exactly these lists, so every
engine produces the same documents. Corpus-level steps (lines that recur across
stories, near-duplicate clusters, name variants across a cluster) sit between
the passes and live in :mod:`normalize.pipeline`.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from .document import Document
from .errors import RunError
from .settings import Settings

Stage = Callable[[Document], Document]


class SplitLines:
    """Fill ``doc.lines`` from the text as it is, for commands that do not clean."""

    name = "split-lines"

    def __call__(self, doc: Document) -> Document:
        doc.lines = doc.text.split("\n")
        return doc


class DropPageLines:
    """Let go of ``doc.lines`` (the page before stripping) once the detect stages
    have read it: clustering and writing never look at it, and a document that
    travels back to the main process and waits on disk for the clusters is
    half the size without it."""

    name = "drop-page-lines"

    def __call__(self, doc: Document) -> Document:
        doc.lines = []
        return doc


class ForgetInputText:
    """Let go of the input record's own text once the document is cleaned: a
    command that writes the cleaned text in its place never reads it again, and
    every document would carry it twice through the passes and the spools. The
    field stays, empty, so that the written record keeps its fields in order."""

    name = "forget-input-text"

    def __init__(self, text_field: str) -> None:
        self.text_field = text_field

    def __call__(self, doc: Document) -> Document:
        if doc.fields.get(self.text_field) is not None:
            doc.fields = {**doc.fields, self.text_field: None}  # a copy: the caller's record stays whole
        return doc


class SummariseLines:
    """Compute, in the worker, the small per-document summary the corpus-level
    repeat detector needs, so the main process only adds it up."""

    name = "summarise-lines"

    def __call__(self, doc: Document) -> Document:
        from .strip import CorpusRepeats

        summary, lines = CorpusRepeats.summarise_lines(doc)
        doc.work["corpus_summary"] = summary
        # the second pass's chrome stage needs the prose hashes and the candidate
        # lines' hashes again: keep them
        doc.work["corpus_prose"] = summary.prose
        doc.work["corpus_lines"] = lines
        return doc


def dedup_settings(settings: Settings) -> Any:
    from .dedup import DedupSettings

    overrides = {}
    if settings.keep is not None:
        overrides["keep"] = settings.keep
    if settings.threshold is not None:
        overrides["threshold"] = settings.threshold
    try:
        return DedupSettings(**overrides)
    except ValueError as exc:  # (a setting from a config file: the command line checks its own)
        raise RunError(str(exc)) from exc


def clean_stages() -> list[Stage]:
    """Normalise and strip one document."""
    from .normalise import Normalise
    from .strip import StripBoilerplate

    return [Normalise(), StripBoilerplate()]


def detect_stages() -> list[Stage]:
    from .detect.artefacts import FindArtefacts
    from .detect.language import DetectLanguage

    return [DetectLanguage(), FindArtefacts()]


def run_first_pass(settings: Settings) -> list[Stage]:
    """``run``'s first pass: clean, and summarise lines for the corpus-level pass."""
    return (clean_stages() + ([SummariseLines()] if settings.corpus_repeats else [])
            + [ForgetInputText(settings.text_field)])


def stages_for(command: str, settings: Settings, corpus_stage: Optional[Stage] = None) -> list[list[Stage]]:
    """The per-document passes of ``command``: a list of stage lists."""
    from .dedup import Fingerprinter

    if command == "clean":
        return [clean_stages() + detect_stages()]
    if command == "lang":
        from .detect.language import DetectLanguage

        return [[SplitLines(), DetectLanguage()]]
    if command == "dedup":
        return [[SplitLines(), Fingerprinter(dedup_settings(settings)), DropPageLines()]]
    if command == "run":
        second = ([corpus_stage] if corpus_stage is not None else []) + detect_stages()
        # (the texts are Normalise's by then, NFC: the fingerprints need not check)
        return [run_first_pass(settings), second + [Fingerprinter(dedup_settings(settings), nfc=True), DropPageLines()]]
    raise ValueError(f"unknown command {command!r}")
