"""Was this text translated, and from which language?

No single clue settles it. A Hangul menu line left above an English article, a
"(local time)" after a date, "Volodymyr Putin" where the original said
"Володимир Путін": each is a small piece of evidence with a weight and, often,
a language it points at. This module holds that evidence record
(:class:`Finding`) and turns a list of them into the document's verdict::

    {"suspected": bool, "source_lang": str | None, "score": float}

The score treats findings as independent witnesses (a noisy-OR: the chance that
none of them means anything is the product of ``1 - weight``), but the same
rule firing again counts less each time, so twenty "(local time)" markers do
not outweigh one Hangul line and one bracketed reporter byline. The source
language is the one the weighted findings point at most.

Evidence strings end with ``(source: xx)`` when a finding points at a language,
so a verdict can be rebuilt from the written-out artefacts alone
(:func:`revise`, used after cluster-level name variants are added).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable, Optional

from normalize.document import Artefact

_SOURCE_TAG = re.compile(r" \(source: ([a-z]{2,3}(?:\|[a-z]{2,3})*)\)$")


def data_rows(name: str) -> list[list[str]]:
    """Rows of a tab-separated data file in ``normalize/detect/data`` (comments skipped)."""
    text = resources.files("normalize.detect").joinpath("data", name).read_text("utf-8")
    rows = []
    for raw in text.splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        rows.append([cell.strip() for cell in raw.split("\t")])
    return rows


@lru_cache(maxsize=None)
def settings() -> dict[str, float]:
    """Thresholds and weights from ``data/artefact_settings.tsv``."""
    return {row[0]: float(row[1]) for row in data_rows("artefact_settings.tsv")}


@dataclass(frozen=True)
class Finding:
    """One piece of evidence: an artefact plus how much it weighs and where it points.

    ``rule`` names the rule that fired (repeats of one rule count less);
    ``source`` is a language code, ``"uk|ru"`` when the clue fits either, or None.
    """

    kind: str
    line: int
    evidence: str
    rule: str
    weight: float
    source: Optional[str] = None

    def artefact(self) -> Artefact:
        tag = f" (source: {self.source})" if self.source else ""
        return Artefact(self.kind, self.line, self.evidence + tag)


def source_of(artefact: Artefact) -> Optional[str]:
    """The ``(source: xx)`` tag at the end of an artefact's evidence, if any."""
    m = _SOURCE_TAG.search(artefact.evidence)
    return m.group(1) if m else None


def verdict(findings: Iterable[Finding]) -> dict:
    """Combine findings into ``{"suspected", "source_lang", "score"}``."""
    conf = settings()
    repeat = conf["verdict.repeat_factor"]
    seen: dict[str, int] = defaultdict(int)
    keep_none = 1.0
    votes: dict[str, float] = defaultdict(float)
    # Strongest first, so the repeat discount falls on the weaker duplicates.
    for f in sorted(findings, key=lambda f: (-f.weight, f.rule, f.line)):
        w = f.weight * repeat ** seen[f.rule]
        seen[f.rule] += 1
        keep_none *= 1.0 - w
        if f.source:
            langs = f.source.split("|")
            for lang in langs:
                votes[lang] += w / len(langs)
    score = round(1.0 - keep_none, 4)
    source = min(votes, key=lambda lang: (-round(votes[lang], 9), lang)) if votes else None
    return {"suspected": score >= conf["verdict.threshold"], "source_lang": source, "score": score}


def revise(translation: dict, extra: Iterable[Artefact], weight: Optional[float] = None) -> dict:
    """A verdict updated with artefacts found later (cluster-level name variants).

    The earlier score stands for everything already known; each extra artefact
    adds its weight (``names.cluster.weight`` unless given) and its source tag.
    """
    extra = list(extra)
    if not extra:
        return dict(translation)
    conf = settings()
    w = conf["names.cluster.weight"] if weight is None else weight
    prior = float(translation.get("score") or 0.0)
    findings = [Finding(a.kind, a.line, a.evidence, f"extra:{a.kind}", w, source_of(a)) for a in extra]
    added = verdict(findings)
    score = round(1.0 - (1.0 - prior) * (1.0 - added["score"]), 4)
    source = translation.get("source_lang") or added["source_lang"]
    return {"suspected": score >= conf["verdict.threshold"], "source_lang": source, "score": score}
