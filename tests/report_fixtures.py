"""Synthetic output directories for the report tests: small, large and hostile.

Each ``make_*`` function writes the files of the output contract
(documents.jsonl, clusters.jsonl, rejected.jsonl, summary.json) into a
directory, the way a run would, so the report is tested end to end from disk.
The texts are made-up words from a fixed seed: deterministic, and no
third-party text in the repo.

Run as a script to measure a full-scale report (100,000 documents in 10,000
clusters by default)::

    python tests/report_fixtures.py --docs 100000 --clusters 10000
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

# Strings that must never reach the page as markup.
HOSTILE = [
    "<script>window.__pwned = 1; document.title = 'PWNED'</script>",
    "<img src=x onerror=\"window.__pwned=1;document.title='PWNED'\">",
    "<a href=\"javascript:window.__pwned=1\">click me</a>",
    "</textarea><svg onload=\"window.__pwned=1\">",
    "</script><script>window.__pwned=1</script>",
    "<!-- <script> \u2028 \u2029 &amp; &lt;b&gt;",
]

SYLLABLES = {
    "en": "ka ro mi te sa lo ne vi da pe ru to la ni ge bo fa".split(),
    "de": "sch ei au ber gen ung lich tz ch wer den keit haus".split(),
    "ru": "ка ро ми те са ло не ви да пе ру то ла ни же бо".split(),
    "uk": "ка ро мі те са ло не ві да пе ру то ла ні же бо ї".split(),
    "ko": "가 나 다 라 마 바 사 아 자 차 카 타 파 하 북 한".split(),
    "fr": "que ai eau ton mai re lu son chez pé ré ça".split(),
}
BOILERPLATE = [
    ("Share on Facebook", "share"), ("Read more", "navigation"), ("Subscribe to our newsletter", "subscribe"),
    ("© 2024 Daily Herald. All rights reserved.", "copyright"), ("Home | World | Politics | Sport", "navigation"),
    ("Related articles", "related"), ("Advertisement", "advert"), ("ua en ru", "language-switcher"),
]


_VOCAB: dict[str, list[str]] = {}


def _word(rng: random.Random, lang: str) -> str:
    """A made-up word from a fixed per-language vocabulary (so words repeat, like real text)."""
    if lang not in _VOCAB:
        vrng = random.Random("vocab-" + lang)
        syllables = SYLLABLES[lang]
        _VOCAB[lang] = ["".join(vrng.choice(syllables) for _ in range(vrng.randint(1, 4))) for _ in range(20000)]
    return rng.choice(_VOCAB[lang])


def _sentence(rng: random.Random, lang: str) -> str:
    _word(rng, lang)  # builds the vocabulary
    words = rng.choices(_VOCAB[lang], k=rng.randint(6, 18))
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice([".", ".", ".", "?", "!"])


def _paragraphs(rng: random.Random, lang: str, chars: int) -> list[str]:
    paras, total = [], 0
    while total < chars:
        para = " ".join(_sentence(rng, lang) for _ in range(rng.randint(2, 5)))
        paras.append(para)
        total += len(para) + 2
    return paras


def _variant(rng: random.Random, paras: list[str], lang: str, edits: float) -> list[str]:
    """A near-duplicate: a few words swapped, a paragraph maybe dropped or added."""
    out = []
    for para in paras:
        words = para.split(" ")
        for _ in range(int(len(words) * edits) + (rng.random() < 0.5)):
            words[rng.randrange(len(words))] = _word(rng, lang)
        out.append(" ".join(words))
    if len(out) > 3 and rng.random() < 0.4:
        out.pop(rng.randrange(1, len(out)))
    if rng.random() < 0.3:
        out.insert(rng.randrange(len(out) + 1), _sentence(rng, lang))
    return out


def _document(rng, doc_id, lang, paras, file, line, *, artefacts=(), translation=None, title=None):
    """One documents.jsonl record whose removed-line numbers index the original lines."""
    lines = []
    for para in paras:
        lines += [para, ""]
    originals, removed = list(lines), []
    for text, reason in rng.sample(BOILERPLATE, rng.randint(0, 4)):
        at = rng.randint(0, len(originals))
        originals.insert(at, text)
    kept_lines = []
    for n, text in enumerate(originals, 1):
        if any(text == b for b, _ in BOILERPLATE):
            removed.append({"line": n, "text": text, "reason": dict(BOILERPLATE)[text]})
        else:
            kept_lines.append(text)
    record = {
        "title": title if title is not None else paras[0][:70],
        "url": f"https://news.example/{doc_id}",
        "text": "\n".join(kept_lines).strip("\n"),
        "id": doc_id,
        "source": {"file": file, "line": line},
        "lang": lang,
        "lang_score": round(rng.uniform(0.7, 1.0), 4),
        "lang_top": [[lang, 0.93], ["en" if lang != "en" else "de", 0.05]],
        "removed": removed,
        "artefacts": list(artefacts),
        "translation": translation or {"suspected": False, "source_lang": None, "score": 0.0},
        "cluster_id": None, "cluster_size": 1, "duplicate_of": None, "similarity": None,
    }
    return record


def _add_artefacts(rng, record, lang):
    """Put evidence into the text the way the detector would find it."""
    paras = record["text"].split("\n")
    kinds = []
    if rng.random() < 0.5:
        paras[0] = paras[0] + " (Reuters)"
        kinds.append({"kind": "wire-marker", "line": 1, "evidence": "(Reuters)"})
    if rng.random() < 0.5 and lang != "ru":
        residue = "Москва сообщила"
        paras[-1] = paras[-1] + " " + residue
        kinds.append({"kind": "foreign-script-residue", "line": len(paras), "evidence": residue})
    if rng.random() < 0.3:
        paras[0] = "Kim Jong UN " + paras[0]
        kinds.append({"kind": "name-variant", "line": 1, "evidence": "Kim Jong UN"})
    if any(r["reason"] == "language-switcher" for r in record["removed"]):
        line = next(r["line"] for r in record["removed"] if r["reason"] == "language-switcher")
        kinds.append({"kind": "language-switcher", "line": line, "evidence": "ua en ru"})
    record["text"] = "\n".join(paras)
    record["artefacts"] = kinds


def generate(n_docs: int, n_clusters: int, *, seed: int = 7, chars=(900, 3200), hostile: bool = False):
    """Documents, clusters and rejected records for a synthetic run.

    ``n_clusters`` clusters of sizes 2..~40 (mostly small, a long tail) take
    their members from the ``n_docs`` documents; the rest are singletons.
    """
    rng = random.Random(seed)
    langs = list(SYLLABLES)
    weights = [40, 15, 15, 12, 10, 8]
    sizes = []
    budget = n_docs
    for _ in range(n_clusters):
        size = min(2 + int(rng.paretovariate(1.6)) - 1 + (rng.random() < 0.5), 40)
        sizes.append(max(2, size))
    while sum(sizes) > budget * 0.8 and max(sizes) > 2:
        sizes[sizes.index(max(sizes))] -= 1
    docs, clusters = [], []
    line = 0

    def next_id():
        return f"d{len(docs):06d}"

    for ci, size in enumerate(sizes):
        lang = rng.choices(langs, weights)[0]
        base = _paragraphs(rng, lang, rng.randint(*chars))
        cid = f"c{ci:05d}"
        members = []
        translated = rng.random() < 0.1
        for k in range(size):
            line += 1
            paras = base if k == 0 else _variant(rng, base, lang, rng.choice([0.0, 0.01, 0.03, 0.08]))
            doc_id = next_id()
            record = _document(rng, doc_id, lang, paras, f"crawl-{line % 7}.jsonl", line,
                               translation={"suspected": True, "source_lang": "ru", "score": 0.81} if translated and k else None)
            if rng.random() < 0.35:
                _add_artefacts(rng, record, lang)
            sim = 1.0 if k == 0 else round(rng.uniform(0.72, 0.99), 3)
            record.update(cluster_id=cid, cluster_size=size, similarity=sim,
                          duplicate_of=None if k == 0 else members[0]["id"])
            docs.append(record)
            members.append({"id": doc_id, "similarity": sim, "shared_lines": list(range(1, rng.randint(2, 9))),
                            "shared_fraction": 1.0 if k == 0 else round(rng.uniform(0.5, 0.99), 3)})
        clusters.append({"id": cid, "size": size, "kept": members[0]["id"], "members": members})
    while len(docs) < n_docs:
        line += 1
        lang = rng.choices(langs, weights)[0]
        record = _document(rng, next_id(), lang, _paragraphs(rng, lang, rng.randint(*chars)), f"crawl-{line % 7}.jsonl", line)
        if rng.random() < 0.2:
            _add_artefacts(rng, record, lang)
        docs.append(record)
    rng.shuffle(docs)  # input order is not cluster order
    rejected = [{"file": f"crawl-{i % 7}.jsonl", "line": 10_000_000 + i, "id": None if i % 3 == 0 else f"r{i:05d}",
                 "reason": rng.choice(["empty-text", "too-short", "bad-encoding", "missing-text"])}
                for i in range(max(3, n_docs // 200))]
    if hostile:
        _add_hostile(docs, clusters, rejected)
    return docs, clusters, rejected


def _add_hostile(docs, clusters, rejected):
    """A hostile cluster: every field a page might show carries markup."""
    kept_text = "\n".join(["Hostile text " + s for s in HOSTILE])
    member_text = kept_text.replace("Hostile text", "Hostile copy")
    base = {
        "lang": "en", "lang_score": 0.99, "lang_top": [["en", 0.99]], "cluster_size": 2,
        "translation": {"suspected": True, "source_lang": HOSTILE[1], "score": 0.5},
    }
    docs.append({**base, "id": "x<script>1", "title": HOSTILE[0], "url": "javascript:window.__pwned=1",
                 "text": kept_text, "source": {"file": HOSTILE[3], "line": 1},
                 "removed": [{"line": 1, "text": HOSTILE[4], "reason": HOSTILE[1]}],
                 "artefacts": [{"kind": HOSTILE[0], "line": 2, "evidence": HOSTILE[1]}],
                 "cluster_id": "cx</script>", "duplicate_of": None, "similarity": 1.0})
    docs.append({**base, "id": "x<img src=x onerror=alert(1)>", "title": HOSTILE[2], "text": member_text,
                 "source": {"file": "hostile.jsonl", "line": 2}, "removed": [],
                 "artefacts": [{"kind": "wire-marker", "line": 1, "evidence": HOSTILE[4]}],
                 "cluster_id": "cx</script>", "duplicate_of": "x<script>1", "similarity": 0.9})
    clusters.insert(0, {"id": "cx</script>", "size": 2, "kept": "x<script>1", "members": [
        {"id": "x<script>1", "similarity": 1.0, "shared_lines": [HOSTILE[0]], "shared_fraction": 1.0},
        {"id": "x<img src=x onerror=alert(1)>", "similarity": 0.9, "shared_lines": [HOSTILE[4]], "shared_fraction": 0.5},
    ]})
    rejected.append({"file": HOSTILE[3], "line": 3, "id": HOSTILE[2], "reason": HOSTILE[0]})


def write_outputs(outdir: Path, docs, clusters, rejected, *, summary: bool = True) -> Path:
    """Write the output-contract files the way a run does."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    with open(outdir / "documents.jsonl", "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    with open(outdir / "clusters.jsonl", "w", encoding="utf-8") as fh:
        for c in clusters:
            fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    with open(outdir / "rejected.jsonl", "w", encoding="utf-8") as fh:
        for r in rejected:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    if summary:
        from collections import Counter

        sizes = Counter(c["size"] for c in clusters)
        dups = sum(1 for d in docs if d["duplicate_of"] is not None)
        data = {
            "version": "0.1.0",
            "counts": {"read": len(docs) + len(rejected), "kept": len(docs) - dups, "duplicates": dups, "rejected": len(rejected)},
            "languages": dict(Counter(d["lang"] for d in docs)),
            "removal_reasons": dict(Counter(r["reason"] for d in docs for r in d["removed"])),
            "artefact_kinds": dict(Counter(a["kind"] for d in docs for a in d["artefacts"])),
            "clusters": {"count": len(clusters), "largest": max(sizes, default=0), "sizes": {str(k): v for k, v in sorted(sizes.items())}},
            "settings": {"threshold": 0.8, "shingle": 5},
            "inputs": ["crawl-*.jsonl"],
        }
        (outdir / "summary.json").write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
    return outdir


def make_small(outdir: Path) -> Path:
    """~60 documents in 8 clusters plus a hostile cluster: the everyday review case."""
    return write_outputs(outdir, *generate(60, 8, seed=3, hostile=True))


def make_hostile(outdir: Path) -> Path:
    """Only the hostile cluster and a handful of ordinary documents."""
    return write_outputs(outdir, *generate(6, 1, seed=5, hostile=True))


def make_sparse(outdir: Path) -> Path:
    """Only the keys a record must have, odd values, clusters pointing at missing documents."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    docs = [
        {"id": "a", "text": "Only an id and a text."},
        {"id": 7, "text": "", "lang": None, "cluster_id": "k1", "duplicate_of": None, "similarity": None},
        {"id": "b", "text": "Second member\nwith two lines.", "cluster_id": "k1", "duplicate_of": 7, "similarity": None,
         "removed": [{"line": None, "text": "no line number", "reason": "x"}, {"text": "no line either"}],
         "artefacts": [{"kind": "wire-marker"}, {"evidence": "Second"}], "lang_top": [["en"], "junk"]},
        {"id": "c", "text": "Kept copy is missing from the documents.", "cluster_id": "k2", "duplicate_of": "gone",
         "similarity": 0.5, "source": "not-a-dict", "translation": {"suspected": True}},
        # Evidence as a description quoting the span; the same span on two lines.
        {"id": "lines", "text": "On the 6th the minister spoke.\nOn the 6th again, nothing happened.",
         "removed": [{"line": 1, "text": "Menu", "reason": "nav"}, {"line": 3, "text": "Share", "reason": "share"}],
         "artefacts": [{"kind": "wire-marker", "line": 4, "evidence": 'day-of-month-date "On the 6th" (source: ko)'},
                       {"kind": "language-switcher", "line": 1, "evidence": 'switcher line \u201cMenu\u201d'}]},
    ]
    with open(outdir / "documents.jsonl", "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d) + "\n")
        fh.write('{"id": "torn"')  # a run killed mid-write
    clusters = [
        {"id": "k1", "kept": 7, "members": [{"id": 7}, {"id": "b", "similarity": 0.8}]},
        {"id": "k2", "size": 2, "kept": "gone", "members": [{"id": "gone", "similarity": 1.0}, {"id": "c", "similarity": 0.5}]},
        {"id": "k3", "size": 3, "kept": "nowhere"},
    ]
    (outdir / "clusters.jsonl").write_text("".join(json.dumps(c) + "\n" for c in clusters), "utf-8")
    (outdir / "rejected.jsonl").write_text('{"reason": "empty-text"}\n{"file": "f", "line": 2, "id": "a"}\n', "utf-8")
    return outdir


def make_large(outdir: Path, n_docs: int = 10_000, n_clusters: int = 2_000, chars=(600, 2400)) -> Path:
    return write_outputs(outdir, *generate(n_docs, n_clusters, seed=11, chars=chars, hostile=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=None, help="keep the output directory here")
    parser.add_argument("--browser", action="store_true", help="also time the page in headless Chromium")
    args = parser.parse_args()
    from normalize.report import build_report

    with tempfile.TemporaryDirectory() as tmp:
        outdir = args.out or Path(tmp)
        t0 = time.perf_counter()
        make_large(outdir, args.docs, args.clusters)
        t1 = time.perf_counter()
        html = build_report(outdir)
        t2 = time.perf_counter()
        docs_mb = (outdir / "documents.jsonl").stat().st_size / 1e6
        print(f"documents: {args.docs:,}  clusters: {args.clusters:,}  documents.jsonl: {docs_mb:.1f} MB")
        print(f"generate: {t1 - t0:.1f} s  build_report: {t2 - t1:.1f} s")
        print(f"index.html: {html.stat().st_size / 1e6:.1f} MB  summary.md: {(outdir / 'summary.md').stat().st_size / 1e3:.1f} kB")
        if args.browser:
            time_in_browser(html)


def time_in_browser(html: Path) -> None:
    """Seconds to open the page, list clusters, search all texts, open the largest cluster."""
    from normalize.report.browser import browser

    with browser() as instance:
        page = instance.new_page(viewport={"width": 1400, "height": 1000})
        t0 = time.perf_counter()
        page.goto(html.resolve().as_uri() + "#clusters")
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        t1 = time.perf_counter()
        page.fill("input.search", "no-such-words-anywhere")
        page.wait_for_selector("text=No clusters match", timeout=60_000)
        t2 = time.perf_counter()
        page.fill("input.search", "")
        page.wait_for_selector(".cluster-row")
        page.locator(".cluster-row").first.click()
        page.wait_for_selector(".panes")
        t3 = time.perf_counter()
        heap = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize : 0")
        print(f"browser: open + first list {t1 - t0:.2f} s, full-text search {t2 - t1:.2f} s, "
              f"open largest cluster {t3 - t2:.2f} s, JS heap {heap / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
