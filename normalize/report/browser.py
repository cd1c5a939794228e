"""Open a report in headless Chromium: screenshots for review, and the tests' browser.

A development tool, not a runtime dependency: it needs Playwright's Python
package (``pip install playwright``) and Debian's ``chromium``
(``.ci/install-browser`` installs both). Playwright is only the driver here;
its own browser downloads are never used (``executable_path`` points at the
system browser), so nothing is fetched at run time.
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def chromium_path() -> str | None:
    """The system Chromium, or None (NEWSNORM_CHROMIUM overrides the search)."""
    for candidate in (os.environ.get("NEWSNORM_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def available() -> str | None:
    """Why a browser session cannot start, or None when it can."""
    if chromium_path() is None:
        return "chromium is not installed (run .ci/install-browser)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (run .ci/install-browser)"
    return None


@contextmanager
def browser() -> Iterator[object]:
    """A headless Chromium (a Playwright Browser) that is closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def screenshot(html_path: str | Path, out_png: str | Path, view: str = "overview",
               width: int = 1400, height: int = 1000, full_page: bool = True) -> Path:
    """Save a PNG of a report view.

    ``view`` is "overview", "clusters", "docs", "rejected", "cluster" (the
    largest cluster, first member against the kept copy), "doc" (the first
    document with artefacts) or any hash route such as "#cluster/ID".
    """
    html_path, out_png = Path(html_path).resolve(), Path(out_png)
    with browser() as instance:
        page = instance.new_page(viewport={"width": width, "height": height})
        page.goto(html_path.as_uri())
        page.wait_for_selector("#overview")
        if view == "cluster":
            page.goto(html_path.as_uri() + "#clusters")
            page.click(".cluster-row")
            page.wait_for_selector(".panes")
        elif view == "doc":
            page.goto(html_path.as_uri() + "#docs?art=1")
            page.click(".doc-row")
            page.wait_for_selector(".doc .text")
        elif view != "overview":
            page.goto(html_path.as_uri() + (view if view.startswith("#") else "#" + view))
            page.wait_for_timeout(100)
        out_png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out_png), full_page=full_page)
    return out_png


def main() -> None:
    """``python -m normalize.report.browser OUTDIR/index.html shot.png --view cluster``"""
    import argparse

    parser = argparse.ArgumentParser(description="Save a screenshot of a report view.")
    parser.add_argument("html", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--view", default="overview", help="overview, clusters, docs, rejected, cluster, doc or a #route")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--viewport-only", action="store_true", help="not the full page")
    args = parser.parse_args()
    reason = available()
    if reason:
        raise SystemExit(reason)
    print(screenshot(args.html, args.png, args.view, args.width, args.height, not args.viewport_only))


if __name__ == "__main__":
    main()
