"""Build OUTDIR/index.html (the review page) and OUTDIR/summary.md (the digest).

The page is one self-contained file: CSS, script and data inline, nothing
fetched, so it can be mailed, archived with the run, or opened from a CI
artefact. Scraped text is hostile, so the page is locked down by a
Content-Security-Policy that lets only its own script run: the script is
allowed by its SHA-256 hash, computed here, so even markup that slipped
through escaping (it cannot: Jinja autoescapes and the script builds the DOM
with textContent) could not execute.
"""
from __future__ import annotations

import base64
import hashlib
import heapq
import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Iterable

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from . import charts
from .budget import encode
from .embed import pack_data
from .figures import complete_summary
from .load import Outputs, read_outputs
from .texts import TextSpool


def load_limits() -> dict:
    with resources.files(__package__).joinpath("data/report.toml").open("rb") as fh:
        return tomllib.load(fh)


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("normalize.report", "templates"),
        autoescape=lambda name: bool(name) and name.endswith(".html.j2"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_cell
    env.filters["thousands"] = lambda n: f"{int(n):,}" if n is not None else "–"
    env.filters["percent"] = lambda x: f"{100 * float(x):.1f}%"
    return env


def md_cell(value) -> str:
    """A value made safe for one Markdown table cell (pipes, newlines, markup)."""
    text = " ".join(str(value).split())
    for char in "\\|`*_<>[]":
        text = text.replace(char, "\\" + char)
    return text[:120]


# The page's one inline script, in parts; they share one function scope.
SCRIPT_PARTS = ("report-dom.js", "report-diff.js", "report.js")


def page_script(env: Environment) -> str:
    parts = [env.loader.get_source(env, name)[0] for name in SCRIPT_PARTS]
    return '(function () {\n  "use strict";\n' + "\n".join(parts) + "})();\n"


def csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; "
        f"script-src 'sha256-{digest}'; "
        "style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def render_html(outputs: Outputs, summary: dict, limits: dict | None = None) -> str:
    limits = limits or load_limits()
    env = environment()
    script = page_script(env)
    style = env.loader.get_source(env, "report.css")[0]
    if "</script" in script.lower() or "</style" in style.lower():
        raise ValueError("inline code must not contain a closing tag")
    max_bars = int(limits["charts"]["max_bars"])
    chart_data = {
        "languages": charts.bars(summary["languages"], max_bars, "#docs?lang={}"),
        "sizes": charts.size_histogram(summary["clusters"]["sizes"]),
        "reasons": charts.bars(summary["removal_reasons"], max_bars),
        "kinds": charts.bars(summary["artefact_kinds"], max_bars, "#docs?art={}"),
        "rejected": charts.bars(summary["rejection_reasons"], max_bars),
    }
    with TextSpool(int(limits["text"]["max_chars"])) as spool:
        payload = pack_data(outputs, summary, limits, spool)
        encoded, cuts = encode(payload, limits)
    return env.get_template("report.html.j2").render(
        summary=summary,
        charts=chart_data,
        meta={**payload["meta"], "cuts": cuts},
        data=Markup(encoded),
        script=Markup(script),
        style=Markup(style),
        csp=csp(script),
    )


def render_summary_md(summary: dict, clusters: Iterable[dict]) -> str:
    """The run's figures as Markdown for terminals and CI logs."""
    clusters = clusters or []
    summary = complete_summary(Outputs(documents=[], clusters=clusters, summary=summary or {}))
    largest = heapq.nsmallest(
        10, clusters, key=lambda c: (-int(c.get("size") or len(c.get("members") or [])), str(c.get("id")))
    )
    rows = []
    for c in largest:
        sims = [m.get("similarity") for m in c.get("members") or [] if isinstance(m.get("similarity"), (int, float))]
        rows.append({
            "id": c.get("id"),
            "size": int(c.get("size") or len(c.get("members") or [])),
            "kept": c.get("kept"),
            "min_similarity": min(sims) if sims else None,
        })
    return environment().get_template("summary.md.j2").render(summary=summary, largest=rows)


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary name beside ``path`` then rename: readers never see half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", errors="replace", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def build_report(outdir: str | Path) -> Path:
    """Read OUTDIR's outputs; write OUTDIR/index.html and OUTDIR/summary.md; return the html path."""
    outdir = Path(outdir)
    outputs = read_outputs(outdir)
    summary = complete_summary(outputs)
    html_path = outdir / "index.html"
    write_atomic(html_path, render_html(outputs, summary))
    write_atomic(outdir / "summary.md", render_summary_md(summary, outputs.clusters))
    return html_path
