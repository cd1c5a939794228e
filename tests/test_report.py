"""The review report, read back as a browser would parse it, without a browser."""
from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from normalize.report import budget, build_report, render_summary_md
from normalize.report.build import load_limits
from normalize.report.budget import encode
from normalize.report.embed import cut, pack_data, script_json
from normalize.report.figures import complete_summary
from normalize.report.load import Outputs, read_outputs
from normalize.report.texts import TextSpool

from report_fixtures import HOSTILE, generate, make_hostile, make_small, write_outputs

DATA_RE = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


class Elements(HTMLParser):
    """Every start tag and its attributes, as the browser's tokenizer sees them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def embedded(html: str) -> dict:
    """The page's data, unpacked as the page does: everything but the texts, then
    the texts' parts, their tables joined in order."""
    data = json.loads(DATA_RE.search(html).group(1))
    if "z" in data:
        rest, *texts = [json.loads(gzip.decompress(base64.b64decode(part))) for part in data.pop("z")]
        data.update(rest, T=[t for part in texts for t in part["T"]], TL=[n for part in texts for n in part["TL"]])
    return data


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    outdir = make_small(tmp_path_factory.mktemp("small"))
    build_report(outdir)
    return outdir


def test_build_report_writes_both_files_atomically(small):
    html = small / "index.html"
    assert html.exists() and (small / "summary.md").exists()
    assert not list(small.glob(".*.tmp")), "no temporary files are left behind"
    text = html.read_text("utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "http://" not in text.replace("http://www.w3.org", "") or "news.example" in text  # no external resources
    parser = Elements()
    parser.feed(text)
    for tag, attrs in parser.tags:
        for name in ("src",):
            assert name not in attrs or attrs[name].startswith("data:"), (tag, attrs)
        if tag == "link":
            assert attrs["href"].startswith("data:")


def test_embedded_data_matches_the_outputs(small):
    outputs = read_outputs(small)
    documents, clusters = list(outputs.documents), list(outputs.clusters)
    data = embedded((small / "index.html").read_text("utf-8"))
    assert data["d"]["id"] == [str(d["id"]) for d in documents]
    assert len(data["c"]["id"]) == len(clusters)
    sizes = data["c"]["size"]
    assert sizes == sorted(sizes, reverse=True), "clusters are listed largest first"
    strings, texts = data["s"], data["T"]
    for ci, members in enumerate(data["c"]["m"]):
        kept = data["c"]["kept"][ci]
        assert members[0][0] == kept, "the kept copy comes first"
        source = next(c for c in clusters if c["id"] == data["c"]["id"][ci])
        assert {data["d"]["id"][m[0]] for m in members} == {m["id"] for m in source["members"]}
    for i, doc in enumerate(documents):
        ti = data["d"]["t"][i]
        assert doc["text"].startswith(texts[ti])
        assert (data["TL"][ti] > 0) == (len(texts[ti]) < len(doc["text"]))
        assert [strings[r] for r in data["d"]["rm"][i][2::3]] == [r["reason"] for r in doc["removed"]]
        assert [strings[k] for k in data["d"]["a"][i][0::3]] == [a["kind"] for a in doc["artefacts"]]


def test_hostile_strings_never_reach_the_page_as_markup(tmp_path):
    outdir = make_hostile(tmp_path)
    html = build_report(outdir).read_text("utf-8")
    for bad in HOSTILE:
        assert bad not in html
    assert "</script><script>" not in html
    assert "\u2028" not in html and "\u2029" not in html
    parser = Elements()
    parser.feed(html)
    # Exactly the page's own two scripts, whatever the data says.
    assert [t for t, _ in parser.tags].count("script") == 2
    assert html.lower().count("</script") == 2
    for tag, attrs in parser.tags:
        assert tag not in {"img", "iframe", "object", "embed", "textarea", "svg"} or tag == "svg" and "onload" not in attrs
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert not attrs.get("href", "").strip().lower().startswith("javascript:"), (tag, attrs)
    # ... and the data still carries the hostile text intact, for the page to show as text.
    data = embedded(html)
    assert HOSTILE[4] in data["c"]["id"][0] or "cx</script>" in data["c"]["id"]
    assert any(HOSTILE[0] in s for s in data["s"]) and any(HOSTILE[0] in t for t in data["T"])
    assert "x<img src=x onerror=alert(1)>" in data["d"]["id"]


def test_csp_allows_only_the_page_script_by_hash(small):
    html = (small / "index.html").read_text("utf-8")
    policy = unescape(re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html).group(1))
    assert "default-src 'none'" in policy and "img-src data:" in policy
    assert "unsafe-eval" not in policy and "script-src 'unsafe-inline'" not in policy
    parser = Elements()
    parser.feed(html)
    script = parser.scripts[-1]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy


def test_script_json_cannot_close_its_tag():
    value = {"x": "</script><!-- \u2028\u2029 & <b>", "y": ["</SCRIPT >"]}
    text = script_json(value)
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == value


def test_build_is_deterministic(tmp_path):
    outdir = make_hostile(tmp_path)
    first = build_report(outdir).read_bytes()
    assert build_report(outdir).read_bytes() == first


def test_tolerates_a_bare_outdir(tmp_path):
    """Only documents.jsonl, no summary or clusters: figures and clusters are rebuilt."""
    docs, clusters, _ = generate(30, 4, seed=2)
    for d in docs:
        del d["translation"], d["lang_top"]
    write_outputs(tmp_path, docs, [], [], summary=False)
    (tmp_path / "clusters.jsonl").unlink()
    (tmp_path / "rejected.jsonl").unlink()
    data = embedded(build_report(tmp_path).read_text("utf-8"))
    assert len(data["c"]["id"]) == len(clusters)
    assert data["meta"]["counts"]["read"] == 30
    assert data["meta"]["counts"]["duplicates"] == sum(1 for d in docs if d["duplicate_of"])


def test_reads_parquet_when_jsonl_is_absent(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    docs, clusters, rejected = generate(20, 3, seed=4)
    write_outputs(tmp_path, docs, clusters, rejected)
    for d in docs:  # parquet lists hold one type: [lang, p] pairs become structs
        d["lang_top"] = [{"lang": lang, "p": p} for lang, p in d["lang_top"]]
    (tmp_path / "documents.jsonl").unlink()
    pq.write_table(pa.Table.from_pylist(docs), tmp_path / "documents.parquet")
    data = embedded(build_report(tmp_path).read_text("utf-8"))
    assert data["d"]["id"] == [d["id"] for d in docs]
    top = data["d"]["top"][0]
    assert [[data["s"][lang], p] for lang, p in zip(top[::2], top[1::2])] == [[t["lang"], round(t["p"], 2)] for t in docs[0]["lang_top"]]


@pytest.fixture
def spool():
    with TextSpool(load_limits()["text"]["max_chars"]) as texts:
        yield texts


def _payload(n_docs, n_clusters, chars, spool):
    docs, clusters, rejected = generate(n_docs, n_clusters, seed=12, chars=chars)
    outputs = Outputs(documents=docs, clusters=clusters, rejected=rejected)
    return docs, pack_data(outputs, complete_summary(outputs), load_limits(), spool)


def test_small_runs_are_embedded_whole_and_plain(spool):
    docs, payload = _payload(40, 5, (2500, 3000), spool)
    limits = load_limits()
    limits["text"]["max_chars"] = 2000
    text, cuts = encode(payload, limits)
    assert '"z":' not in text and cuts["member"] == cuts["single"] == 2000
    assert cuts["truncated"] == len({d["text"] for d in docs})  # all longer than the cap


def test_large_runs_are_compressed_and_cut_to_the_size_target(spool):
    docs, payload = _payload(900, 90, (2500, 4000), spool)
    limits = load_limits()
    limits["size"] = {"target_bytes": 600_000, "compress_above_bytes": 100_000}
    text, cuts = encode(payload, limits)
    assert len(text.encode()) <= 600_000
    assert '"z":' in text and '"T":' not in text
    # singletons give way first: members keep more of their text
    assert limits["text"]["min_chars"] <= cuts["single"] < cuts["member"] <= limits["text"]["max_chars"]
    data = embedded('<script type="application/json" id="report-data">' + text + "</script>")
    members = set(range(payload["Tm"]))
    for ti, short in enumerate(data["T"]):
        assert payload["T"].text(ti).startswith(short)
        assert len(short) <= (cuts["member"] if ti in members else cuts["single"])
    # a generous target leaves the texts whole
    limits["size"]["target_bytes"] = 50_000_000
    assert encode(payload, limits)[1]["member"] == limits["text"]["max_chars"]


def test_texts_that_compress_poorly_are_cut_after_all(spool):
    """Packed whole first (they would fit at 3:1), random letters pack at under
    2:1 and do not: the caps are then chosen as for any large run."""
    import random

    rng = random.Random(8)
    docs = [{"id": f"r{i}", "text": "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(3000))}
            for i in range(200)]
    outputs = Outputs(documents=docs)
    payload = pack_data(outputs, complete_summary(outputs), load_limits(), spool)
    limits = load_limits()
    stored = payload["T"].stored_bytes
    limits["size"] = {"target_bytes": stored // 2, "compress_above_bytes": 10_000}
    text, cuts = encode(payload, limits)
    assert len(text.encode()) <= stored // 2
    assert cuts["single"] < limits["text"]["max_chars"] and cuts["truncated"] > 0
    data = embedded('<script type="application/json" id="report-data">' + text + "</script>")
    assert all(d["text"].startswith(t) for d, t in zip(docs, data["T"]))


def test_cut_prefers_a_word_boundary():
    text = "alpha beta gamma delta " * 10
    short = cut(text, 50)
    assert len(short) <= 50 and text.startswith(short) and text[len(short)] == " "
    assert cut("short", 50) == "short"


def test_summary_md_digest(small):
    md = (small / "summary.md").read_text("utf-8")
    summary = json.loads((small / "summary.json").read_text("utf-8"))
    counts = summary["counts"]
    assert f"| {counts['read']:,} | {counts['kept']:,} | {counts['duplicates']:,} | {counts['rejected']:,} |" in md
    for lang in summary["languages"]:
        assert f"| {lang} |" in md
    # Hostile values are escaped for Markdown and kept on one table row.
    assert "<script>" not in md
    tables = re.findall(r"(?:^\|.*\n)+", md, re.M)
    assert len(tables) >= 5
    for table in tables:  # every row of a table has its header's columns
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in table.splitlines()}
        assert len(widths) == 1, table


def test_render_summary_md_tolerates_missing_keys():
    md = render_summary_md({}, [])
    assert "| 0 | 0 | 0 | 0 |" in md
    md = render_summary_md({"counts": {"read": 5}}, [{"id": "a|b", "size": 3, "kept": "k", "members": []}])
    assert "a\\|b" in md and "| 3 |" in md


def test_spool_stores_each_text_once_and_cuts_as_the_whole_text_would(tmp_path):
    with TextSpool(cap=50, directory=str(tmp_path)) as spool:
        words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi " * 3
        texts = [words, "short", words, words[:51], "Ünïcödé 🙂 and a lone \ud800 surrogate"]
        numbers = [spool.add(t) for t in texts]
        assert numbers == [0, 1, 0, 2, 3], "identical texts share one number"
        assert list(spool.lengths) == [len(words), 5, 51, len(texts[4])]
        assert spool[1] == "short" and spool[3] == texts[4]
        for text, number in zip(texts, numbers):
            assert text.startswith(spool[number]) and len(spool[number]) <= 51
            for cap in range(1, 51):
                assert cut(spool[number], cap) == cut(text, cap), (number, cap)
    assert not list(tmp_path.iterdir()), "the spool leaves no file behind"


class CountedRecords:
    """Documents that count how often they are read."""

    def __init__(self, records):
        self.records, self.passes = records, 0

    def __iter__(self):
        self.passes += 1
        return iter(self.records)


def test_documents_are_read_in_one_pass_when_the_summary_is_complete(tmp_path, spool):
    docs, clusters, rejected = generate(200, 20, seed=5)
    write_outputs(tmp_path, docs, clusters, rejected)
    outputs = read_outputs(tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    summary["suspected_translations"] = sum(1 for d in docs if (d.get("translation") or {}).get("suspected"))
    counted = CountedRecords(list(outputs.documents))
    complete = complete_summary(Outputs(counted, outputs.clusters, outputs.rejected, summary))
    assert counted.passes == 0, "a run's own summary.json has every figure"
    assert complete["translations"] == summary["suspected_translations"]
    payload = pack_data(Outputs(counted, outputs.clusters, outputs.rejected, summary), complete, load_limits(), spool)
    assert counted.passes == 1
    assert payload["d"]["id"] == [d["id"] for d in docs]
    # without the summary the figures are recounted, in one more pass
    del summary["languages"]
    recounted = complete_summary(Outputs(counted, outputs.clusters, outputs.rejected, summary))
    assert counted.passes == 2
    assert recounted["languages"] == complete["languages"] and recounted["counts"] == complete["counts"]


def test_a_lone_surrogate_does_not_lose_its_record(tmp_path):
    docs, clusters, rejected = generate(20, 2, seed=6)
    docs[0]["text"] = "Broken \ud83d text from a scraper"
    write_outputs(tmp_path, docs[1:], clusters, rejected)
    with open(tmp_path / "documents.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(d) + "\n" for d in docs)  # ASCII JSON escapes it as \ud83d
    data = embedded(build_report(tmp_path).read_text("utf-8"))
    assert data["d"]["id"][0] == docs[0]["id"]
    assert "Broken ? text from a scraper" in data["T"]


def _strict(text: str):
    """JSON as a browser's JSON.parse reads it: no NaN or Infinity."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_numbers_that_are_no_finite_figure_leave_the_page_valid_json(tmp_path):
    """1e999 in an output file reads as infinity, which JSON cannot carry:
    the page shows no figure there, and its data stays valid, plain or packed."""
    docs, clusters, rejected = generate(30, 3, seed=4)
    docs[0]["lang_score"], docs[1]["similarity"] = float("inf"), float("nan")
    docs[2]["translation"] = {"suspected": True, "source_lang": "ko", "score": float("-inf")}
    write_outputs(tmp_path, docs, clusters, rejected)  # (json writes Infinity, NaN; read back as such)
    for compress_above in (10**9, 0):  # plain, then packed
        limits = load_limits()
        limits["size"]["compress_above_bytes"] = compress_above
        outputs = read_outputs(tmp_path)
        with TextSpool(limits["text"]["max_chars"]) as texts:
            text, _ = encode(pack_data(outputs, complete_summary(outputs), limits, texts), limits)
            data = _strict(text)
            for part in data.pop("z", []):
                _strict(gzip.decompress(base64.b64decode(part)).decode("utf-8"))
        assert ('"z":' in text) == (compress_above == 0)


@pytest.mark.parametrize("value, quick", [
    ({"d": {"ls": [0.98, None, 0.5], "sim": {3: 0.9981, 10: 1.0}, "top": [[1, 0.25], [2, 0.001]]}}, True),
    ([[1, 2], 0, [3, 0.5], {"k": [0.0, -0.0]}], True),
    ([(1, 2)], True), (123456.789, True), ("text", True), (None, True),
    ([2 ** 70], True), (["\ud800"], True),  # (orjson refuses them: json writes them)
    ([1e16], False), ([[1e-5]], False), ([[1, [2, [3, [1e-7]]]]], False), ({"a": {"b": [1e300]}}, False),
    ([float("nan")], False), ([[float("inf")]], False), ({1.5: 2}, False), ({True: 1}, False), ({None: 1}, False),
])
def test_page_data_is_written_as_json_writes_it(value, quick):
    """orjson writes the page's data where it writes the same bytes as json (three
    times faster at 100,000 documents, the look that decides included); exponents
    (1e+16 against 1e16), keys that are neither text nor integers, NaN and values
    orjson refuses go the long way."""
    assert budget._written_alike(value) == quick
    assert budget._json_data(value) == budget._json(value)


def test_texts_are_packed_in_parts_that_join_into_the_table(spool):
    docs, payload = _payload(400, 40, (800, 1600), spool)
    limits = load_limits()
    limits["size"] = {"target_bytes": 50_000_000, "compress_above_bytes": 10_000}
    text, cuts = encode(payload, limits)
    raw = json.loads(text)
    assert len(raw["z"]) == 1 + budget.TEXT_PARTS
    parts = [json.loads(gzip.decompress(base64.b64decode(part))) for part in raw["z"][1:]]
    assert all(part["T"] for part in parts)  # (each part holds texts)
    assert [t for part in parts for t in part["T"]] == [payload["T"].text(i) for i in range(len(payload["T"]))]
