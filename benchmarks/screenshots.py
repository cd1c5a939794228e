"""Render the review-page screenshots shown in README.md.

The five seeds are all different stories, so their report has no cluster to
show. For the cluster view this script also builds a small corpus of copies of
the seeds, the kinds a news corpus holds (a reprint in other site chrome, a
truncated syndication, a lightly edited copy), runs it, and screenshots the
largest cluster. Needs Chromium and Playwright (.ci/install-browser).

    python benchmarks/screenshots.py          # writes reports/seeds/*.png
"""
from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path
from urllib.parse import quote

from normalize import Settings, run
from normalize.report.browser import screenshot

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
OUT = REPO / "reports" / "seeds"

CHROME_HEAD = ["Home | World | Politics | Business", "Subscribe", "Sign in"]
CHROME_TAIL = ["Share on Facebook", "Share on X", "© 2024 Example Media. All rights reserved."]


def copies(text: str, rng: random.Random) -> dict[str, str]:
    paras = [p for p in text.split("\n") if p.strip()]
    edited = []
    for p in paras:
        words = p.split(" ")
        if len(words) > 12:
            i = rng.randrange(len(words))
            words[i] = words[i].upper() if rng.random() < 0.5 else ""
        edited.append(" ".join(w for w in words if w))
    return {
        "reprint": "\n\n".join(CHROME_HEAD + paras + CHROME_TAIL),
        "truncated": "\n\n".join(paras[: max(3, int(len(paras) * 0.7))]),
        "edited": "\n\n".join(edited + ["This story has been updated."]),
    }


def main() -> None:
    os.chdir(REPO)  # the committed seeds run names its inputs relative to the repo
    rng = random.Random(5)
    run(["seeds"], OUT, Settings(workers=1))
    screenshot(OUT / "index.html", OUT / "overview.png", view="overview")
    screenshot(OUT / "index.html", OUT / "document-view.png", view="#doc/002_5727dd8942b972c4")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "seed-copies.jsonl"
        with corpus.open("w", encoding="utf-8") as fh:
            for path in sorted(SEEDS.glob("*.txt")):
                text = path.read_text("utf-8")
                fh.write(json.dumps({"id": path.stem, "text": text}, ensure_ascii=False) + "\n")
                for kind, copy in copies(text, rng).items():
                    fh.write(json.dumps({"id": f"{path.stem}/{kind}", "text": copy}, ensure_ascii=False) + "\n")
        demo = Path(tmp) / "out"
        run([str(corpus)], demo, Settings(workers=1))
        clusters = [json.loads(line) for line in (demo / "clusters.jsonl").read_text("utf-8").splitlines()]
        biggest = max(clusters, key=lambda c: (c["size"], any(m["id"].endswith("/edited") for m in c["members"]), c["id"]))
        # Show the lightly edited copy beside the kept one: its word-level diff.
        edited = next(m["id"] for m in biggest["members"] if m["id"].endswith("/edited"))
        screenshot(demo / "index.html", OUT / "cluster-view.png", view=f"#cluster/{quote(biggest['id'], safe='')}/{quote(edited, safe='')}")
    print("wrote", *(p.name for p in sorted(OUT.glob("*.png"))))


if __name__ == "__main__":
    main()
