"""Why was a line kept or dropped? One row per normalised line, for humans."""
from __future__ import annotations

from normalize.normalise import normalise_text
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
