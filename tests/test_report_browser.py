"""The review report in a real browser: headless Chromium driven by Playwright.

Needs Debian's chromium and the playwright package (.ci/install-browser);
skipped cleanly without them. Every test fails on any console error, uncaught
exception or Content-Security-Policy violation the page reports.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the module is skipped below
    expect = None

from normalize.report import build_report
from normalize.report.browser import available, browser, screenshot  # noqa: F401  (screenshot: dev tool)

from report_fixtures import HOSTILE, make_large, make_small, make_sparse

REPO = Path(__file__).resolve().parent.parent
# The report of the real seeds run (NEWSNORM_SEEDS_REPORT: another run's OUTDIR).
SEEDS_REPORT = Path(os.environ.get("NEWSNORM_SEEDS_REPORT", REPO / "reports" / "seeds"))

pytestmark = [pytest.mark.browser, pytest.mark.skipif(available() is not None, reason=str(available()))]


@pytest.fixture(scope="module")
def chromium():
    with browser() as instance:
        yield instance


@pytest.fixture(scope="module")
def small_report(tmp_path_factory) -> Path:
    return build_report(make_small(tmp_path_factory.mktemp("small")))


@pytest.fixture(scope="module")
def large_report(tmp_path_factory) -> Path:
    """2,000 clusters / 10,000 documents: big enough that its strings are compressed."""
    return build_report(make_large(tmp_path_factory.mktemp("large"), 10_000, 2_000, chars=(300, 1200)))


def wait_until(page, script: str, timeout: float = 5.0) -> None:
    """Poll ``script`` (a JS function) from outside the page: the page's CSP forbids
    the eval that Playwright's wait_for_function needs, which is rather the point."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"timed out waiting for {script}"
        page.wait_for_timeout(20)


class Page:
    """A page that records every console error, page error and CSP violation."""

    def __init__(self, chromium, html: Path):
        self.page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        self.page.set_default_timeout(8_000)
        self.errors: list[str] = []
        self.page.on("console", lambda m: m.type in ("error", "warning") and self.errors.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.url = html.resolve().as_uri()

    def open(self, route: str = "") -> "Page":
        self.page.goto(self.url + route)
        self.page.wait_for_selector("body[data-ready='1']", timeout=20_000)
        return self

    def go(self, route: str) -> None:
        self.page.evaluate("r => { location.hash = r; }", route)
        self.page.wait_for_timeout(30)

    def close(self) -> None:
        pwned = self.page.evaluate("() => window.__pwned === undefined && !document.title.includes('PWNED')")
        self.page.close()
        assert pwned, "a hostile document executed code"
        assert not self.errors, self.errors


@pytest.fixture
def open_page(chromium):
    pages = []

    def opener(html: Path, route: str = "") -> Page:
        page = Page(chromium, html).open(route)
        pages.append(page)
        return page

    yield opener
    for page in pages:
        page.close()


def test_overview_shows_counts_and_charts(open_page, small_report):
    p = open_page(small_report).page
    assert p.is_visible("#overview")
    assert p.locator("svg.chart").count() >= 4
    counts = json.loads((small_report.parent / "summary.json").read_text("utf-8"))["counts"]
    shown = [int(v.replace(",", "")) for v in p.locator(".stat-value").all_inner_texts()[:4]]
    assert shown == [counts["read"], counts["kept"], counts["duplicates"], counts["rejected"]]
    # a language bar links to the document list filtered by that language
    p.locator("svg.chart a").first.click()
    p.wait_for_selector(".doc-row")
    lang = p.locator("select[data-control='lang']").input_value()
    assert lang and all(t.strip() == lang for t in p.locator(".doc-row .chip.lang").all_inner_texts())


def test_cluster_list_search_and_filters(open_page, small_report):
    p = open_page(small_report, "#clusters").page
    rows = p.locator(".cluster-row")
    total = rows.count()
    assert total == 9
    sizes = [int(s) for s in p.locator(".cluster-row .size").all_inner_texts()]
    assert sizes == sorted(sizes, reverse=True)
    # search by cluster id
    p.fill("input.search", "c00004")
    expect(rows).to_have_count(1)
    assert "c00004" in rows.first.inner_text()
    # search by language code, then by a word of a member's text
    lang = p.locator(".cluster-row .chip.lang").last.inner_text().strip()
    p.fill("input.search", lang)
    wait_until(p, f"() => document.querySelectorAll('.cluster-row').length < {total}")
    # (a language code also matches words of the texts, so: at least the clusters in that language)
    assert any(lang in r.split() for r in rows.all_inner_texts())
    word = p.locator(".cluster-row .row-title").first.inner_text().split()[1]
    p.fill("input.search", word)
    wait_until(p, "() => document.querySelectorAll('.cluster-row').length >= 1")
    p.fill("input.search", "")
    expect(rows).to_have_count(total)
    # filters: language, has artefacts, suspected translation
    p.select_option("select[data-control='lang']", "ru")
    wait_until(p, f"() => document.querySelectorAll('.cluster-row').length < {total}")
    assert all("ru" in r for r in rows.all_inner_texts())
    p.select_option("select[data-control='lang']", "")
    p.check("input[data-control='tr']")
    wait_until(p, f"() => document.querySelectorAll('.cluster-row').length < {total}")
    assert rows.count() >= 1 and all("translation" in r for r in rows.all_inner_texts())
    p.uncheck("input[data-control='tr']")
    p.check("input[data-control='art']")
    p.wait_for_timeout(50)
    assert 0 < rows.count() < total and all("artefact" in r for r in rows.all_inner_texts())
    # the filters live in the address, so reload keeps them
    assert "art=1" in p.url
    p.reload()
    p.wait_for_selector("body[data-ready='1']")
    assert p.locator("input[data-control='art']").is_checked()


def test_cluster_view_diff_artefacts_and_removed_lines(open_page, small_report):
    p = open_page(small_report, "#clusters").page
    p.locator(".cluster-row").first.click()
    p.wait_for_selector(".panes")
    panes = p.locator(".panes .pane")
    assert panes.count() == 2
    assert "kept copy" in panes.nth(0).inner_text().lower()
    # word-level diff: deletions on the kept side, insertions on the member side
    assert panes.nth(0).locator(".del").count() > 0
    assert panes.nth(1).locator(".ins").count() > 0
    # step through members until one has artefact highlights in its text
    found = False
    for _ in range(30):
        if p.locator(".panes .text mark.art").count():
            found = True
            break
        nxt = p.locator(".stepper button").nth(1)
        if nxt.is_disabled():
            break
        nxt.click()
    assert found, "no artefact highlighted in the largest cluster"
    mark = p.locator(".panes .text mark.art").first
    assert mark.get_attribute("title").split(" (line")[0] in {"wire-marker", "foreign-script-residue", "name-variant", "language-switcher"}
    # the removed-lines toggle puts the stripper's lines back with their reasons
    before = p.locator(".ln.removed").count()
    p.check("#toggle-removed")
    assert p.locator(".ln.removed").count() > before
    assert p.locator(".ln.removed .reason").first.inner_text()
    # the selected member is in the address: it can be shared
    assert "#cluster/" in p.url and p.url.count("/") >= 2


def test_document_views_for_singletons_duplicates_and_rejected(open_page, small_report):
    page = open_page(small_report, "#docs?role=singleton")
    p = page.page
    p.locator(".doc-row").first.click()
    p.wait_for_selector(".doc-grid")
    assert "Not a near-duplicate" in p.inner_text(".role-line")
    page.go("#docs?role=duplicate")
    p.locator(".doc-row").first.click()
    p.wait_for_selector(".doc-grid")
    p.click("text=Compare with the kept copy")
    p.wait_for_selector(".panes")
    # rejected records: by id and in the list with their reasons
    page.go("#doc/r00001")
    p.wait_for_selector("h1:has-text('Rejected record')")
    assert p.locator(".chip.reject").count() == 1
    page.go("#rejected")
    p.wait_for_selector("table.grid")
    assert p.locator("table.grid tbody tr").count() == 4
    # the jump box finds any id
    p.fill("#jump-input", "c00002")
    p.press("#jump-input", "Enter")
    p.wait_for_selector(".panes")


def test_hostile_documents_execute_nothing(open_page, small_report):
    page = open_page(small_report, "#cluster/" + "cx%3C%2Fscript%3E")
    p = page.page
    p.wait_for_selector(".panes")
    text = p.inner_text("#app")
    assert "<script>window.__pwned = 1; document.title = 'PWNED'</script>" in text
    assert "</textarea><svg onload" in text
    assert p.locator("#app img, #app script, #app svg, #app textarea, #app iframe").count() == 0
    # the word diff marks exactly the one word that differs on each line
    assert p.locator(".panes .pane").nth(0).locator(".del").all_inner_texts() == ["text"] * len(HOSTILE)
    assert p.locator(".panes .pane").nth(1).locator(".ins").all_inner_texts() == ["copy"] * len(HOSTILE)
    p.check("#toggle-removed")
    page.go("#doc/" + "x%3Cscript%3E1")
    p.wait_for_selector(".doc-grid")
    # a javascript: URL field is shown as text, never as a link
    assert p.locator("#app a[href^='javascript' i]").count() == 0
    assert "javascript:window.__pwned=1" in p.inner_text(".fields")
    page.go("#rejected")
    p.wait_for_selector("table.grid")
    page.go("#docs?q=%3Cimg")
    p.wait_for_selector(".doc-row")
    p.wait_for_timeout(100)  # give any handler that slipped through time to fire


def test_large_report_stays_responsive(open_page, large_report):
    size_mb = large_report.stat().st_size / 1e6
    t0 = time.perf_counter()
    page = open_page(large_report, "#clusters")
    p = page.page
    opened = time.perf_counter() - t0
    assert p.locator(".cluster-row").count() == 50  # one page only
    assert "2,001 clusters" in p.inner_text(".list-status")
    t0 = time.perf_counter()
    p.fill("input.search", "zzzz-no-such-text")
    p.wait_for_selector("text=No clusters match")
    searched = time.perf_counter() - t0
    p.fill("input.search", "")
    p.select_option("select[data-control='size']", "6-10")
    p.wait_for_timeout(50)
    assert all(6 <= int(s) <= 10 for s in p.locator(".cluster-row .size").all_inner_texts())
    p.click(".pager button:has-text('Next')")
    assert "Page 2 of" in p.inner_text(".pager")
    p.locator(".cluster-row").first.click()
    p.wait_for_selector(".panes .del, .panes .ins")
    page.go("#docs?q=d009999")
    p.wait_for_selector(".doc-row")
    print(f"\nlarge report: {size_mb:.1f} MB, opened in {opened:.2f} s, full-text search {searched:.2f} s")
    assert size_mb < 30


SWEEP = """async () => {
    // Every view of the report, in one go: each cluster, document and rejected record.
    const data = JSON.parse(document.getElementById('report-data').textContent);
    const routes = ['#overview', '#clusters', '#docs', '#rejected', '#clusters?sort=sim', '#nowhere'];
    data.c.id.forEach(id => routes.push('#cluster/' + encodeURIComponent(id)));
    data.d.id.forEach(id => routes.push('#doc/' + encodeURIComponent(id)));
    data.r.forEach((r, i) => routes.push('#rejected/' + i));
    const blank = [];
    for (const route of routes) {
        location.hash = route;
        await new Promise(resolve => setTimeout(resolve, 5));
        const box = document.getElementById('toggle-removed');
        if (box && !box.checked) { box.click(); await new Promise(resolve => setTimeout(resolve, 1)); }
        const shown = route === '#overview' ? !document.getElementById('overview').hidden : !!document.querySelector('#app h1');
        if (!shown) blank.push(route);
    }
    return {views: routes.length, blank: blank};
}"""


def visit_everything(page: "Page") -> int:
    """Open every view of a (small, uncompressed) report; return how many."""
    result = page.page.evaluate(SWEEP)
    assert not result["blank"], result["blank"]
    return result["views"]


def test_every_view_of_the_small_report_renders_without_errors(open_page, small_report):
    assert visit_everything(open_page(small_report)) > 70


def test_sparse_outputs_render_without_errors(open_page, tmp_path):
    page = open_page(build_report(make_sparse(tmp_path)))
    visit_everything(page)
    page.go("#cluster/k1")
    page.page.wait_for_selector(".panes")
    page.page.check("#toggle-removed")
    assert page.page.locator(".ln.removed").count() == 2
    # artefacts are marked on their own line, found through the span their evidence quotes
    page.go("#doc/lines")
    p = page.page
    p.wait_for_selector(".doc-grid")
    if p.locator("#toggle-removed").is_checked():
        p.uncheck("#toggle-removed")
    lines = p.locator(".doc .text .ln")
    assert lines.nth(0).locator("mark.art").count() == 0
    assert lines.nth(1).locator("mark.art").all_inner_texts() == ["On the 6th"]
    assert "on a removed line" in p.inner_text(".artefacts")
    p.check("#toggle-removed")
    assert p.locator(".ln.removed mark.art").all_inner_texts() == ["Menu"]
    shown = p.locator(".doc .text .ln").all_inner_texts()
    assert [t[:5] for t in shown] == ["navMe", "On th", "share", "On th"], shown  # reason tag, then the line
    page.go("#cluster/k2")  # its kept copy is missing: the first member present stands in
    page.page.wait_for_selector(".panes.one")
    page.go("#cluster/k3")  # no member present at all
    page.page.wait_for_selector("text=not in the run's documents file")


@pytest.mark.skipif(not (SEEDS_REPORT / "index.html").exists(), reason="reports/seeds/index.html not built")
def test_seeds_report_opens_cleanly(open_page):
    page = open_page(SEEDS_REPORT / "index.html")
    p = page.page
    page.go("#clusters")
    p.wait_for_selector(".list-status")
    if p.locator(".cluster-row").count():
        p.locator(".cluster-row").first.click()
        p.wait_for_selector(".panes")
    page.go("#docs")
    p.locator(".doc-row").first.click()
    p.wait_for_selector(".doc-grid")
