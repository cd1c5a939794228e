"""Language identification: accuracy and speed, ours against plain seeded langdetect.

    python benchmarks/bench_langid.py [--bench ../shared/bench] [--langdetect-sample N]

Reads ``langid-dev.jsonl`` (sentences and word pairs, 75 languages) from the
benchmark folder. When that set has no paragraphs, paragraphs are built from
it: every ``--paragraph-size`` consecutive sentences of one language joined by
spaces. Article bodies of ``base-articles-dev.jsonl`` (about 6 KB each) are
added as kind ``article``, for the speed on whole documents.

Both detectors label every item; the labels go to ``PRED.jsonl`` files in a
temporary folder, scored by the benchmark's own ``score_langid.py`` (accuracy
per kind over langdetect's 55 languages). Speed is CPU time per item in this
process (docs/s per core), per kind; our one-off start-up (loading the
profiles and building the tables) is reported separately.

langdetect is slow (~10 ms an item); ``--langdetect-sample N`` runs it on
every N-th item only (accuracy then on that sample, marked as such).

``--stage-docs N`` also times the ``DetectLanguage`` stage as the pipeline
runs it: on the first N documents of the near-duplicate corpus that
``bench_pipeline.py`` builds (``benchmarks/out/neardup-x1.jsonl``), after
``Normalise`` and ``StripBoilerplate``, start-up excluded, CPU time per
document; langdetect on the same cleaned texts, in the same process, for the
ratio (the machine may be shared: compare the two, not runs on different days).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_BENCH = REPO.parent / "shared" / "bench"
KINDS = ("word-pair", "sentence", "paragraph", "article")


def load_items(bench: Path, paragraph_size: int) -> list[dict]:
    """The dev items plus built paragraphs and articles: dicts with id, text, lang, kind."""
    items = [json.loads(line) for line in open(bench / "langid-dev.jsonl", encoding="utf-8")]
    if not any(it["kind"] == "paragraph" for it in items):
        by_lang: dict[str, list[str]] = defaultdict(list)
        for it in items:
            if it["kind"] == "sentence":
                by_lang[it["lang"]].append(it["text"])
        for lang, sentences in by_lang.items():
            for k in range(0, len(sentences) - paragraph_size + 1, paragraph_size):
                text = " ".join(sentences[k : k + paragraph_size])
                items.append({"id": f"{lang}-p{k // paragraph_size}", "text": text,
                              "lang": lang, "kind": "paragraph"})
    articles = bench / "base-articles-dev.jsonl"
    if articles.exists():
        for line in open(articles, encoding="utf-8"):
            art = json.loads(line)
            items.append({"id": art["id"], "text": art["body"], "lang": art["lang"],
                          "kind": "article"})
    return items


def ours():
    from normalize.detect.language import detect_language

    return lambda text: detect_language(text).lang


def plain_langdetect():
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def label(text: str) -> str:
        try:
            return detect(text)
        except LangDetectException:
            return "und"

    return label


def run(name: str, label, items: list[dict], out: Path) -> dict[str, float]:
    """Label ``items``; write PRED.jsonl; return docs/s (CPU) per kind."""
    cpu: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    with open(out, "w", encoding="utf-8") as f:
        for it in items:
            t = time.process_time()
            lang = label(it["text"])
            cpu[it["kind"]] += time.process_time() - t
            count[it["kind"]] += 1
            f.write(json.dumps({"id": it["id"], "lang": lang}) + "\n")
    return {k: count[k] / cpu[k] if cpu[k] else float("inf") for k in count}


def time_stage(corpus: Path, limit: int, langdetect_every: int) -> dict[str, float]:
    """docs/s (CPU) of DetectLanguage (one by one, and in the engine's batches of
    32) and of langdetect, on cleaned pipeline documents."""
    from normalize.detect.language import DetectLanguage
    from normalize.document import Document, Source
    from normalize.engine.local import BATCH
    from normalize.stages import clean_stages

    texts = [json.loads(line)["text"] for line, _ in zip(open(corpus, encoding="utf-8"), range(limit))]
    docs = [Document(id=str(i), text=t, source=Source("bench", i)) for i, t in enumerate(texts)]
    for stage in clean_stages():
        docs = [stage(d) for d in docs]
    stage = DetectLanguage()
    stage(Document(id="warm", text="warm up", source=Source("bench", 0), lines=["warm up"]))
    rates = {"docs": len(docs)}
    t = time.process_time()
    for d in docs:
        stage(d)
    rates["one by one"] = len(docs) / (time.process_time() - t)
    t = time.process_time()
    for k in range(0, len(docs), BATCH):
        stage.batch(docs[k : k + BATCH])
    rates[f"batches of {BATCH}"] = len(docs) / (time.process_time() - t)
    label, sample = plain_langdetect(), docs[::langdetect_every]
    t = time.process_time()
    for d in sample:
        label(d.text)
    rates["langdetect"] = len(sample) / (time.process_time() - t)
    return rates


def score(bench_file: Path, pred: Path, scorer: Path) -> dict[str, float]:
    res = subprocess.run([sys.executable, str(scorer), str(bench_file), str(pred)],
                         capture_output=True, text=True, check=True)
    return json.loads(res.stdout.splitlines()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", type=Path, default=DEFAULT_BENCH)
    ap.add_argument("--paragraph-size", type=int, default=5)
    ap.add_argument("--langdetect-sample", type=int, default=1,
                    help="run langdetect on every N-th item only (default: all)")
    ap.add_argument("--stage-docs", type=int, default=0,
                    help="also time the DetectLanguage stage on this many pipeline documents")
    ap.add_argument("--corpus", type=Path, default=REPO / "benchmarks" / "out" / "neardup-x1.jsonl")
    args = ap.parse_args()

    items = load_items(args.bench, args.paragraph_size)
    scorer = args.bench / "score_langid.py"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bench_file = tmp / "bench.jsonl"
        with open(bench_file, "w", encoding="utf-8") as f:
            for it in items:
                f.write(json.dumps({"id": it["id"], "lang": it["lang"], "kind": it["kind"]}) + "\n")
        sample = items[:: args.langdetect_sample]
        sample_file = tmp / "bench-sample.jsonl"
        with open(sample_file, "w", encoding="utf-8") as f:
            for it in sample:
                f.write(json.dumps({"id": it["id"], "lang": it["lang"], "kind": it["kind"]}) + "\n")

        t = time.process_time()
        label = ours()
        label("warm up: load the profiles and tables")
        startup = time.process_time() - t
        speed_ours = run("ours", label, items, tmp / "ours.jsonl")
        acc_ours = score(bench_file, tmp / "ours.jsonl", scorer)

        speed_ld = run("langdetect", plain_langdetect(), sample, tmp / "langdetect.jsonl")
        acc_ld = score(sample_file, tmp / "langdetect.jsonl", scorer)
        acc_ours_sample = score(sample_file, tmp / "ours.jsonl", scorer)

    counts = defaultdict(int)
    for it in items:
        counts[it["kind"]] += 1
    note = "" if args.langdetect_sample == 1 else f" (langdetect on every {args.langdetect_sample}th item)"
    print(f"items: {dict(counts)}{note}; our start-up {startup:.2f} s CPU")
    print(f"{'kind':10s} {'ours acc':>9s} {'langdetect':>10s} {'ours docs/s':>12s} {'langdetect':>10s}")
    for kind in KINDS:
        if kind not in counts:
            continue
        ld = acc_ld.get(kind, float("nan"))
        mine = acc_ours.get(kind, float("nan"))
        if args.langdetect_sample != 1:
            mine_s = acc_ours_sample.get(kind, float("nan"))
            ld_txt = f"{ld:.4f}/{mine_s:.4f}"  # langdetect / ours, on the same sample
        else:
            ld_txt = f"{ld:.4f}"
        print(f"{kind:10s} {mine:9.4f} {ld_txt:>10s} {speed_ours.get(kind, 0):12.0f} "
              f"{speed_ld.get(kind, 0):10.0f}")


    if args.stage_docs:
        if not args.corpus.exists():
            raise SystemExit(f"{args.corpus} is missing: run benchmarks/bench_pipeline.py first")
        rates = time_stage(args.corpus, args.stage_docs, args.langdetect_sample)
        n, ld = rates.pop("docs"), rates.pop("langdetect")
        figures = ", ".join(f"{how} {rate:.0f} docs/s ({rate / ld:.1f}x langdetect)" for how, rate in rates.items())
        print(f"DetectLanguage stage on {n:.0f} cleaned pipeline documents, CPU: {figures}; "
              f"langdetect on their text {ld:.0f} docs/s")


if __name__ == "__main__":
    main()
