"""The run's figures: counts that must add up, and what was found.

``read == kept + duplicates + rejected`` is checked at the end of every run: a
record that vanished without a trace is a bug, and the run fails rather than
report figures that do not add up.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from ..document import Document
from ..errors import Rejection, RunError


def _sorted(counter: Counter) -> dict[str, int]:
    return {k: v for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))}


def facts(doc: Document) -> tuple:
    """What the tally counts of a document, bar its cluster: small enough to
    travel without the document."""
    return (doc.lang, doc.encoding, tuple(r.reason for r in doc.removed), tuple(a.kind for a in doc.artefacts),
            bool(doc.translation.get("suspected")))


class Tally:
    def __init__(self) -> None:
        self.read = 0
        self.kept = 0
        self.duplicates = 0
        self.rejected = 0
        self.renamed_ids = 0
        self.languages: Counter = Counter()
        self.removal_reasons: Counter = Counter()
        self.artefact_kinds: Counter = Counter()
        self.encodings: Counter = Counter()
        self.suspected_translations = 0
        self.cluster_sizes: Counter = Counter()
        self.oversized_clusters = 0

    def document(self, doc: Document, command: str) -> None:
        self.add(facts(doc), doc.duplicate_of is not None, command)

    def add(self, found: tuple, duplicate: bool, command: str) -> None:
        """Count a document by its :func:`facts`."""
        lang, encoding, reasons, kinds, suspected = found
        if duplicate:
            self.duplicates += 1
        else:
            self.kept += 1
        if command != "dedup":
            self.languages[lang] += 1
        if encoding:
            self.encodings[encoding] += 1
        self.removal_reasons.update(reasons)
        self.artefact_kinds.update(kinds)
        if suspected:
            self.suspected_translations += 1

    def rejection(self, rejection: Rejection) -> None:
        self.rejected += 1

    def cluster(self, cluster: dict) -> None:
        self.cluster_sizes[int(cluster["size"])] += 1

    def check(self) -> None:
        if self.read != self.kept + self.duplicates + self.rejected:
            raise RunError(
                f"records do not add up: read {self.read} != kept {self.kept} + duplicates "
                f"{self.duplicates} + rejected {self.rejected}"
            )

    def as_dict(self, *, command: str, settings: dict, inputs: list[str], version: str) -> dict[str, Any]:
        sizes = {str(k): v for k, v in sorted(self.cluster_sizes.items())}
        summary: dict[str, Any] = {
            "version": version,
            "command": command,
            "inputs": inputs,
            "counts": {
                "read": self.read,
                "kept": self.kept,
                "duplicates": self.duplicates,
                "rejected": self.rejected,
            },
            "counts_add_up": self.read == self.kept + self.duplicates + self.rejected,
            "renamed_duplicate_ids": self.renamed_ids,
            "languages": _sorted(self.languages),
            "removal_reasons": _sorted(self.removal_reasons),
            "artefact_kinds": _sorted(self.artefact_kinds),
            "suspected_translations": self.suspected_translations,
            "encodings": _sorted(self.encodings),
            "clusters": {
                "count": sum(self.cluster_sizes.values()),
                "largest": max(self.cluster_sizes, default=0),
                "documents_in_clusters": sum(k * v for k, v in self.cluster_sizes.items()),
                "sizes": sizes,
                "oversized": self.oversized_clusters,
            },
            "settings": settings,
        }
        return summary
