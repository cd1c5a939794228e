"""Nothing lost, nothing half-written, reruns identical, order-independent clusters."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from normalize import Pipeline, Settings, run

REPO = Path(__file__).resolve().parent.parent

STORY = [
    "The regional parliament approved a budget on {day} that raises spending on schools and hospitals.",
    "Opposition members criticised the plan, saying it relies on optimistic forecasts of tax revenue.",
    "The finance minister replied that the figures were checked by independent economists last month.",
    "A final vote on the details is expected before the end of the year, officials said on {day}.",
]
TOPICS = ["harbour", "railway", "airport", "museum", "stadium", "library", "bridge", "tunnel"]


def corpus(n: int, seed: int = 7) -> list[dict]:
    """Stories on different topics, each with a few near-copies."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        story = i // 3
        lines = [f"Story {story}: a report on the {topic} number {story}."]
        lines += [s.format(day=f"day {story}") + f" ({topic} {story} {w})" for w, s in enumerate(STORY)]
        if i % 3 == 2:
            lines = lines[:-1]  # a truncated copy
        rows.append({"id": f"d{i}", "text": "\n\n".join(lines)})
    return rows


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def partition(path: Path) -> set[frozenset]:
    groups: dict = {}
    for line in path.read_text().splitlines():
        d = json.loads(line)
        groups.setdefault(d["cluster_id"] or d["id"], set()).add(d["id"])
    return {frozenset(g) for g in groups.values()}


def test_cluster_membership_does_not_depend_on_input_order(tmp_path):
    rows = corpus(60)
    shuffled = rows[:]
    random.Random(1).shuffle(shuffled)
    settings = Settings(workers=1, report=False)
    run([str(write_jsonl(tmp_path / "a.jsonl", rows))], tmp_path / "a", settings)
    run([str(write_jsonl(tmp_path / "b.jsonl", shuffled))], tmp_path / "b", settings)
    pa, pb = partition(tmp_path / "a" / "documents.jsonl"), partition(tmp_path / "b" / "documents.jsonl")
    assert pa == pb
    assert any(len(g) > 1 for g in pa)  # the corpus does have clusters


def test_rerun_into_the_same_directory_is_identical(tmp_path, seeds_dir):
    out = tmp_path / "out"
    run([str(seeds_dir)], out, Settings(workers=1))
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    run([str(seeds_dir)], out, Settings(workers=2))
    second = {p.name: p.read_bytes() for p in out.iterdir()}
    assert first.keys() == second.keys()
    for name in ("documents.jsonl", "clusters.jsonl", "summary.json", "rejected.jsonl"):
        assert first[name] == second[name], name


def test_ids_never_become_paths(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "../../escape", "text": "Some text that is long enough to keep."}])
    out = tmp_path / "deep" / "out"
    run([str(src)], out, Settings(workers=1))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "in.jsonl"]
    assert not (tmp_path / "escape").exists()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_leaves_no_partial_file_and_says_so(tmp_path, signum):
    src = write_jsonl(tmp_path / "big.jsonl", corpus(20000))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "normalize", "run", str(src), "-o", str(out), "--workers", "2"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.time() + 60
    while not out.exists() and time.time() < deadline:  # wait until the run has started writing
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal arrived")
    assert proc.returncode == 130, err.decode()
    assert b"interrupted" in err and b"Traceback" not in err
    assert [p.name for p in out.iterdir()] == []  # no final name, no temp left


def test_a_50_mb_single_line_document_is_rejected_not_truncated(tmp_path):
    src = tmp_path / "huge.jsonl"
    with src.open("w") as fh:
        fh.write(json.dumps({"id": "small", "text": "A normal short article sentence."}) + "\n")
        fh.write('{"id": "huge", "text": "' + "x" * (50 * 1024 * 1024) + '"}\n')
        fh.write(json.dumps({"id": "after", "text": "Another normal sentence follows."}) + "\n")
    summary = run([str(src)], tmp_path / "out", Settings(workers=1, report=False))
    assert summary["counts"] == {"read": 3, "kept": 2, "duplicates": 0, "rejected": 1}
    (rej,) = [json.loads(l) for l in (tmp_path / "out" / "rejected.jsonl").read_text().splitlines()]
    assert rej["line"] == 2 and "over the limit" in rej["reason"]


def test_records_nested_to_the_limit_go_through_and_past_it_are_rejected(tmp_path):
    """A record MAX_DEPTH levels deep is pickled between the passes by two
    workers and written back whole; one level more is rejected, and the run goes
    on. (Some 500 levels, which orjson reads, once stopped the run with a
    RecursionError.) The records given to the Python API meet the same limit."""
    from normalize.read.records import MAX_DEPTH

    def nested(levels):  # the record itself is the first level
        value = []
        for _ in range(levels - 2):
            value = [value]
        return value

    rows = [{"id": "limit", "text": "A short article sentence here.", "n": nested(MAX_DEPTH)},
            {"id": "past", "text": "Another short sentence of an article.", "n": nested(MAX_DEPTH + 1)},
            {"id": "flat", "text": "A third sentence, of a third article."}]
    src = write_jsonl(tmp_path / "deep.jsonl", rows)
    summary = run([str(src)], tmp_path / "out", Settings(workers=2, report=False))
    assert summary["counts"] == {"read": 3, "kept": 2, "duplicates": 0, "rejected": 1}
    docs = {d["id"]: d for d in map(json.loads, (tmp_path / "out" / "documents.jsonl").read_text().splitlines())}
    assert set(docs) == {"limit", "flat"} and docs["limit"]["n"] == rows[0]["n"]
    (rej,) = map(json.loads, (tmp_path / "out" / "rejected.jsonl").read_text().splitlines())
    assert (rej["line"], rej["id"]) == (2, "past") and "nested too deeply" in rej["reason"]

    pipeline = Pipeline(Settings(workers=1, report=False), command="run")
    assert [d["id"] for d in pipeline.run(rows)] == ["limit", "flat"]
    assert [(r.line, r.id) for r in pipeline.rejected] == [(2, "past")]


def test_a_record_json_cannot_write_back_is_rejected_and_the_run_goes_on(tmp_path):
    src = tmp_path / "nan.jsonl"
    src.write_text('{"id": "nan", "text": "A sentence about the weather today.", "score": NaN}\n'
                   '{"id": "ok", "text": "Another sentence about the markets.", "score": 1.5}\n', "utf-8")
    summary = run([str(src)], tmp_path / "out", Settings(workers=2, report=False))
    assert summary["counts"] == {"read": 2, "kept": 1, "duplicates": 0, "rejected": 1}
    (doc,) = map(json.loads, (tmp_path / "out" / "documents.jsonl").read_text().splitlines())
    (rej,) = map(json.loads, (tmp_path / "out" / "rejected.jsonl").read_text().splitlines())
    assert (doc["id"], doc["score"]) == ("ok", 1.5) and (rej["id"], rej["line"]) == ("nan", 1)


def test_a_file_name_that_is_not_utf8_is_shown_escaped(tmp_path):
    """A Linux file name is bytes; one that is not UTF-8 (a Latin-1 "café")
    reached the outputs as lone surrogates and stopped the run as they were
    written. Its bytes are shown escaped, in the id, the source and the summary."""
    folder = tmp_path / "in"
    folder.mkdir()
    try:
        name = os.fsdecode(b"caf\xe9.txt")
        (folder / name).write_text("A normal sentence about the weather in the city today.", "utf-8")
    except (OSError, UnicodeError):  # pragma: no cover - a file system that refuses such names
        pytest.skip("this file system refuses file names that are not UTF-8")
    for n, args in enumerate(([str(folder)], [str(folder / name)])):
        out = tmp_path / f"out{n}"
        summary = run(args, out, Settings(workers=1))
        (doc,) = map(json.loads, (out / "documents.jsonl").read_text("utf-8").splitlines())
        assert doc["id"] == "caf\\xe9" and doc["source"]["file"].endswith("caf\\xe9.txt")
        assert summary["counts"]["kept"] == 1 and all("\udce9" not in i for i in summary["inputs"])
        assert (out / "index.html").exists()


def test_nul_and_control_characters_do_not_reach_the_output(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "n", "text": "Zero\u0000 bytes\u0007 inside a sentence that is otherwise fine."}])
    run([str(src)], tmp_path / "out", Settings(workers=1, report=False))
    (doc,) = [json.loads(l) for l in (tmp_path / "out" / "documents.jsonl").read_text().splitlines()]
    assert "\u0000" not in doc["text"] and "\u0007" not in doc["text"] and "bytes" in doc["text"]


def test_an_unreadable_file_is_a_run_error(tmp_path, monkeypatch):
    from pathlib import Path as P

    from normalize.errors import RunError

    src = tmp_path / "locked.txt"
    src.write_text("text")
    real = P.read_bytes

    def denied(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(P, "read_bytes", denied)
    with pytest.raises(RunError, match="cannot read .*locked.txt: Permission denied"):
        run([str(src)], tmp_path / "out", Settings(workers=1, report=False))
    assert list((tmp_path / "out").iterdir()) == []


def test_a_killed_worker_fails_the_run_cleanly(tmp_path):
    src = write_jsonl(tmp_path / "big.jsonl", corpus(20000))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "normalize", "run", str(src), "-o", str(out), "--workers", "2"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    children: list[int] = []
    deadline = time.time() + 60
    while not children and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
        path = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        if path.exists():
            children = [int(p) for p in path.read_text().split()]
    if not children:
        proc.kill()
        pytest.skip("no worker process seen")
    os.kill(children[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, err.decode()
    assert b"worker process died" in err and b"Traceback" not in err, err.decode()
    assert [p.name for p in out.iterdir()] == []
