"""The modules compiled with mypyc (normalize/compiled.py) behave as their sources do."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

import normalize.strip.features as features
from normalize import compiled
from normalize.strip import clean_text

BOILERPLATE_DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "boilerplate-dev.jsonl"
NEARDUP_DEV = BOILERPLATE_DEV.with_name("neardup-dev.jsonl")

# Cleans every text given as a JSON list on stdin, with the modules imported
# from their sources, and prints what came out (and where features came from).
_CLEAN_FROM_SOURCES = """
import json, sys
import normalize.strip.features as features
from normalize.strip import clean_text
texts = json.load(sys.stdin)
out = [[c.text, [[r.line, r.text, r.reason] for r in c.removed]] for c in map(clean_text, texts)]
print(json.dumps({"features": features.__file__, "cleaned": out}))
"""


def _cleaned(texts: list[str]) -> list:
    return [[c.text, [[r.line, r.text, r.reason] for r in c.removed]] for c in map(clean_text, texts)]


def _variants(texts: list[str], seed: int = 7) -> list[str]:
    """The texts, and each with its lines shuffled, doubled and partly mojibaked:
    pages the seeds alone do not show, so that more of the rules' paths run."""
    rng = random.Random(seed)
    out = list(texts)
    for text in texts:
        lines = text.split("\n")
        shuffled = lines[:]
        rng.shuffle(shuffled)
        out.append("\n".join(shuffled))
        out.append("\n".join(lines + lines[: len(lines) // 3]))
        out.append("\n".join(ln.encode("utf-8").decode("cp1252", errors="replace") if rng.random() < 0.2 else ln
                             for ln in lines))
    return out


def _texts(seed_texts: dict[str, str]) -> list[str]:
    """The seeds' variants, and the 234 pages of the boilerplate benchmark when it is beside the repo."""
    texts = _variants(list(seed_texts.values()))
    if BOILERPLATE_DEV.is_file():
        texts += [json.loads(line)["text"] for line in BOILERPLATE_DEV.open(encoding="utf-8") if line.strip()]
    return texts


@pytest.mark.skipif(not compiled.compiled() or compiled.pure_requested(),
                    reason="the modules run from source here (nothing compiled, or pure Python asked for)")
def test_compiled_modules_clean_exactly_as_their_sources_do(seed_texts):
    texts = _texts(seed_texts)
    env = dict(os.environ, **{compiled.PURE_ENV: "1"})
    child = subprocess.run([sys.executable, "-c", _CLEAN_FROM_SOURCES], input=json.dumps(texts),
                           capture_output=True, text=True, check=True, env=env)
    from_sources = json.loads(child.stdout)
    assert from_sources["features"].endswith(".py")
    assert not features.__file__.endswith(".py")
    mine = _cleaned(texts)
    assert sum(len(removed) for _, removed in mine) > 100  # the rules ran, and removed lines
    assert mine == from_sources["cleaned"]


@pytest.mark.skipif(not compiled.compiled() or compiled.pure_requested(),
                    reason="the modules run from source here (nothing compiled, or pure Python asked for)")
def test_a_run_with_the_compiled_modules_writes_what_one_from_sources_writes(seed_texts, tmp_path):
    """The whole pipeline (language, artefacts and name checks, corpus repeats,
    clusters), once with the compiled modules and once from source, in two
    worker processes (so that stages and documents cross between processes)."""
    texts = _texts(seed_texts)
    if NEARDUP_DEV.is_file():  # near-duplicates in many languages, for the clusters and names
        texts += [json.loads(line)["text"] for line in NEARDUP_DEV.open(encoding="utf-8") if line.strip()]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"t{k}", "text": t}, ensure_ascii=False) + "\n"
                              for k, t in enumerate(texts)), encoding="utf-8")
    outputs = {}
    for mode, pure in (("compiled", "0"), ("sources", "1")):
        out = tmp_path / mode
        env = dict(os.environ, **{compiled.PURE_ENV: pure})
        subprocess.run([sys.executable, "-m", "normalize", "run", str(corpus), "-o", str(out), "--workers", "2",
                        "-q", "--no-report"], check=True, env=env, cwd=tmp_path)
        outputs[mode] = {name: (out / name).read_bytes()
                         for name in ("documents.jsonl", "clusters.jsonl", "summary.json", "rejected.jsonl")}
    documents = [json.loads(line) for line in outputs["compiled"]["documents.jsonl"].splitlines()]
    assert len(documents) == len(texts)
    assert sum(len(d["removed"]) for d in documents) > 100 and sum(len(d["artefacts"]) for d in documents) > 0
    assert len({d["lang"] for d in documents}) > 3
    assert outputs["compiled"] == outputs["sources"]


def test_a_build_compiles_every_listed_module_or_none():
    assert compiled.compiled() in ([], list(compiled.MODULES))


def test_no_compiled_module_is_older_than_its_source():
    assert compiled.stale() == [], "reinstall (pip install -e .) so that the compiled modules match their source"


def test_asking_for_pure_python_imports_every_module_from_source():
    """...and leaves the C kernels out: their callers fall back to numpy."""
    env = dict(os.environ, **{compiled.PURE_ENV: "1"})
    code = ("import sys, normalize.pipeline, normalize.strip, normalize.normalise\n"
            "from normalize.dedup import key, shingles, verify\n"
            "from normalize.detect.langid import scorer\n"
            "from normalize.strip import corpus\n"
            "print([m for m, mod in sys.modules.items() if m.startswith('normalize')"
            " and not (getattr(mod, '__file__', '') or '').endswith('.py')])\n"
            "print(key.kernels, shingles.kernels, verify.kernels, scorer.kernels, corpus.kernels,"
            " key.lined_key('Ein Straße, 2024!'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    modules, kernels = out.stdout.strip().split("\n")
    assert modules == "[]"
    assert kernels.split() == ["None"] * 5 + ["ein", "strasse", "0"]


def test_the_objects_of_the_compiled_modules_survive_pickling(seed_texts):
    """Compiled classes pickle differently (no instance __dict__); what a
    caller or the Spark engine may ship between processes must still go."""
    import pickle

    from normalize.document import Document, Source
    from normalize.normalise import Normalise
    from normalize.strip import StripBoilerplate, judge_lines
    from normalize.strip.lexicon import lexicon, patterns

    text = next(iter(seed_texts.values()))
    cleaned = clean_text(text)
    assert pickle.loads(pickle.dumps(cleaned)) == cleaned
    lines = judge_lines(text.split("\n"))
    again = pickle.loads(pickle.dumps(lines))
    assert [(ln.index, ln.text, ln.reason, ln.keep_why, ln.signals) for ln in again] == \
        [(ln.index, ln.text, ln.reason, ln.keep_why, ln.signals) for ln in lines]

    def spans(rows):
        return [(p.reason, p.regex.pattern, [m and m.span() for m in map(p.find, ["© 2024 Example", "12:45"])])
                for p in rows]

    assert spans(pickle.loads(pickle.dumps(patterns()))) == spans(patterns())
    copy = pickle.loads(pickle.dumps(lexicon()))
    assert copy.short_needles.found("© 2024 all rights reserved") == {"all rights reserved"}
    assert (copy.line, copy.prefix) == (lexicon().line, lexicon().prefix)
    stages = pickle.loads(pickle.dumps([Normalise(), StripBoilerplate()]))
    doc = Document(id="x", text=text, source=Source("x", 1))
    stages[1](stages[0](doc))
    assert doc.text == cleaned.text
