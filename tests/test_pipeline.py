"""The output contract, the count invariant, order and determinism, the Python API."""
from __future__ import annotations

import gzip
import io
import json
import os
from pathlib import Path

import pytest

from normalize import Pipeline, Settings, run
from normalize.errors import RunError

CONTRACT = [
    "id", "source", "lang", "lang_score", "lang_top", "removed", "artefacts", "translation",
    "cluster_id", "cluster_size", "duplicate_of", "similarity",
]

ARTICLE = (
    "Breaking news headline about the harbour\n\n"
    "The city council voted on Tuesday to rebuild the old harbour wall, which was damaged in last winter's storms. "
    "Engineers expect the work to take two years and to cost about twelve million euros.\n\n"
    "Residents welcomed the decision but asked for the fishing fleet to keep access during the works. "
    "The mayor promised a plan before the summer and said local firms would be invited to bid.\n"
)


def _lines(path: Path) -> list[dict]:
    return [json.loads(l) for l in path.read_text("utf-8").splitlines()]


def _settings(**kw) -> Settings:
    return Settings(workers=1, report=False).updated(**kw)


def test_seeds_run_writes_the_whole_contract(seeds_dir, tmp_path):
    summary = run([str(seeds_dir)], tmp_path, Settings(workers=1))
    docs = _lines(tmp_path / "documents.jsonl")
    assert [d["id"] for d in docs] == sorted(p.stem for p in seeds_dir.glob("*.txt"))
    for d in docs:
        assert set(CONTRACT) <= set(d), set(CONTRACT) - set(d)
        assert d["text"] and d["source"]["line"] == 1
        assert set(d["translation"]) == {"suspected", "source_lang", "score"}
        assert all(set(r) == {"line", "text", "reason"} for r in d["removed"])
        assert all(set(a) == {"kind", "line", "evidence"} for a in d["artefacts"])
    counts = summary["counts"]
    assert counts["read"] == 5 == counts["kept"] + counts["duplicates"] + counts["rejected"]
    assert json.loads((tmp_path / "summary.json").read_text())["counts"] == counts
    for name in ("rejected.jsonl", "clusters.jsonl", "index.html", "summary.md"):
        assert (tmp_path / name).exists(), name


def test_every_record_is_accounted_for(tmp_path):
    src = tmp_path / "in.jsonl"
    rows = [json.dumps({"id": f"d{i}", "text": ARTICLE.replace("Tuesday", f"day {i}")}) for i in range(6)]
    rows.insert(2, '{"id": "bad", "text": ')
    rows.insert(4, json.dumps({"id": "nt", "body": "x"}))
    src.write_text("\n".join(rows) + "\n")
    summary = run([str(src)], tmp_path / "out", _settings())
    c = summary["counts"]
    assert c["read"] == 8 and c["rejected"] == 2
    assert c["kept"] + c["duplicates"] == 6 == len(_lines(tmp_path / "out" / "documents.jsonl"))
    rejected = _lines(tmp_path / "out" / "rejected.jsonl")
    assert [(r["line"], r["id"]) for r in rejected] == [(3, None), (5, "nt")]
    assert all(r["file"] == str(src) and r["reason"] for r in rejected)


def test_near_duplicates_are_clustered_and_point_at_the_kept_copy(tmp_path):
    src = tmp_path / "in.jsonl"
    other = ("A completely different report on the national football league, where the champions lost "
             "their opening match at home in front of a record crowd of forty thousand supporters. "
             "The coach blamed the heat and promised changes before the next round.")
    rows = [
        {"id": "a", "text": ARTICLE},
        {"id": "b", "text": ARTICLE + "\nThis story was updated with comments from residents.\n"},
        {"id": "c", "text": other},
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run([str(src)], tmp_path / "out", _settings())
    docs = {d["id"]: d for d in _lines(tmp_path / "out" / "documents.jsonl")}
    assert docs["a"]["cluster_id"] is not None and docs["a"]["cluster_id"] == docs["b"]["cluster_id"]
    kept = [d for d in (docs["a"], docs["b"]) if d["duplicate_of"] is None]
    dup = [d for d in (docs["a"], docs["b"]) if d["duplicate_of"] is not None]
    assert len(kept) == 1 and len(dup) == 1 and dup[0]["duplicate_of"] == kept[0]["id"]
    assert docs["a"]["cluster_size"] == 2 and 0 < dup[0]["similarity"] <= 1
    assert docs["c"]["cluster_id"] is None and docs["c"]["duplicate_of"] is None
    (cluster,) = _lines(tmp_path / "out" / "clusters.jsonl")
    assert cluster["kept"] == kept[0]["id"] and {m["id"] for m in cluster["members"]} == {"a", "b"}


def test_output_order_and_bytes_do_not_depend_on_workers(tmp_path, monkeypatch):
    from normalize.dedup import cluster

    monkeypatch.setattr(cluster, "_ASIDE_MIN_MEMBERS", 1)  # with workers, the reports are made aside
    src = tmp_path / "in.jsonl"
    with src.open("w") as fh:
        for i in range(150):
            text = ARTICLE.replace("twelve", str(i)) if i % 3 else f"Short note number {i} about item {i * 7}."
            fh.write(json.dumps({"id": f"r{i}", "text": text}) + "\n")
    from normalize.engine import shelf

    unlinked: list[list[tuple[str, bool]]] = []  # each batch of files unlinked aside, and whether each was there
    start = shelf.Unlinking.start
    monkeypatch.setattr(shelf.Unlinking, "start", lambda self, paths: (
        unlinked.append([(os.path.basename(p), os.path.exists(p)) for p in paths]), start(self, paths)))
    run([str(src)], tmp_path / "w1", _settings(workers=1))
    # one process: its own files, at the end (documents, texts and lines; shingle sets)
    assert [sorted(name.split("-")[0] for name, _ in batch) for batch in unlinked] == [[], ["sets", "shelf"]]
    unlinked.clear()
    from normalize.engine import local

    # two workers, which keep for the second pass the documents they made in the
    # first (in memory, or with no room for them, on their shelves); and two
    # workers for each pass, which read the first pass's shelves
    local_engine = local.LocalEngine
    for out, room, fresh_workers in (("w2", local.HOLD_BYTES, False), ("w2-shelved", 0, False), ("w2-fresh", 0, True)):
        unlinked.clear()
        monkeypatch.setattr(local, "HOLD_BYTES", room)
        if fresh_workers:  # (an engine that cannot hold documents)
            monkeypatch.setattr(local, "LocalEngine", type("Plain", (local_engine,), {"holding": None}))
        run([str(src)], tmp_path / out, _settings(workers=2))
        first, last = unlinked
        if fresh_workers:  # the first pass's workers' shelves once the second pass has read them, the rest at the end
            assert len(first) == 2 and all(there for _, there in first)
            assert {name for name, _ in first}.isdisjoint(name for name, _ in last) and len(last) >= 2
        else:  # the workers of both passes keep their files to the end
            assert first == [] and len(last) >= 2
        assert not shelf._writers and not shelf._readers and not shelf._maps  # a run closes the files it wrote and read
        for name in ("documents.jsonl", "clusters.jsonl", "summary.json", "rejected.jsonl"):
            assert (tmp_path / "w1" / name).read_bytes() == (tmp_path / out / name).read_bytes(), (out, name)
    assert [d["id"] for d in _lines(tmp_path / "w1" / "documents.jsonl")] == [f"r{i}" for i in range(150)]


def test_the_second_pass_is_prepared_beside_the_first_and_its_failure_is_the_runs(tmp_path, monkeypatch):
    import threading

    from normalize import pipeline

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"r{i}", "text": ARTICLE.replace("twelve", str(i))}) + "\n"
                           for i in range(80)))
    prepare = pipeline.Pipeline._prepare_second_pass
    threads = []

    def noted(self):
        threads.append(threading.current_thread())
        prepare(self)

    monkeypatch.setattr(pipeline.Pipeline, "_prepare_second_pass", noted)
    run([str(src)], tmp_path / "ok", _settings(workers=2))
    assert len(threads) == 1 and threads[0] is not threading.main_thread() and not threads[0].is_alive()

    def fails(self):
        raise OSError("no room for the tables")

    monkeypatch.setattr(pipeline.Pipeline, "_prepare_second_pass", fails)
    with pytest.raises(OSError, match="no room for the tables"):
        run([str(src)], tmp_path / "failed", _settings(workers=2))
    assert not (tmp_path / "failed" / "documents.jsonl").exists()
    assert [t.name for t in threading.enumerate() if t.name.startswith("normalize-prepare")] == []


def test_all_input_formats_give_the_same_documents(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"id": "x", "text": ARTICLE}, {"id": "y", "text": "Kurze Meldung: Der Zug fährt heute später ab."}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    with gzip.open(tmp_path / "in.jsonl.gz", "wt") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in rows))
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "in.parquet")
    (tmp_path / "txt").mkdir()
    for r in rows:
        (tmp_path / "txt" / f"{r['id']}.txt").write_text(r["text"], "utf-8")
    texts = {}
    for name in ("in.jsonl", "in.jsonl.gz", "in.parquet", "txt"):
        run([str(tmp_path / name)], tmp_path / f"out-{name}", _settings())
        texts[name] = [(d["id"], d["text"], d["lang"]) for d in _lines(tmp_path / f"out-{name}" / "documents.jsonl")]
    assert len({json.dumps(v) for v in texts.values()}) == 1, texts


def test_stdin_jsonl(tmp_path):
    data = json.dumps({"id": "s", "text": ARTICLE}).encode() + b"\n"
    run(["-"], tmp_path / "out", _settings(), stdin=io.BytesIO(data))
    (doc,) = _lines(tmp_path / "out" / "documents.jsonl")
    assert doc["id"] == "s" and doc["source"] == {"file": "<stdin>", "line": 1}


def test_input_fields_are_kept_and_collisions_preserved(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "k", "url": "https://x.example/a", "lang": "xx", "text": ARTICLE, "meta": {"a": [1, 2]}}) + "\n")
    run([str(src)], tmp_path / "out", _settings())
    (doc,) = _lines(tmp_path / "out" / "documents.jsonl")
    assert doc["url"] == "https://x.example/a" and doc["meta"] == {"a": [1, 2]}
    assert doc["input_lang"] == "xx" and doc["lang"] == "en"
    assert list(doc)[:4] == ["id", "url", "input_lang", "text"]


def test_duplicate_ids_are_made_unique_and_counted(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": "same", "text": f"Text number {i}."}) + "\n" for i in range(3)))
    summary = run([str(src)], tmp_path / "out", _settings())
    assert [d["id"] for d in _lines(tmp_path / "out" / "documents.jsonl")] == ["same", "same#2", "same#3"]
    assert summary["renamed_duplicate_ids"] == 2


def test_parquet_output_has_the_same_columns(tmp_path, seeds_dir):
    import pyarrow.parquet as pq

    run([str(seeds_dir)], tmp_path / "j", _settings())
    run([str(seeds_dir)], tmp_path / "p", _settings(output_format="parquet"))
    table = pq.read_table(tmp_path / "p" / "documents.parquet")
    jsonl = _lines(tmp_path / "j" / "documents.jsonl")
    assert table.column_names == list(jsonl[0])
    assert table.to_pylist()[2]["text"] == jsonl[2]["text"]


def test_parquet_output_keeps_every_field_of_records_that_differ(tmp_path):
    """Records with different fields, and a field with values of two types: every
    value of documents.jsonl is in documents.parquet (a field of two types as
    JSON text)."""
    import pyarrow.parquet as pq

    rows = [{"id": "a", "text": ARTICLE}, {"id": "b", "text": ARTICLE.replace("the", "a"), "url": "http://b.example/"},
            {"id": "c", "text": "Short note on another subject entirely.", "score": 3, "meta": {"tags": ["x"]}},
            {"id": "d", "text": "Yet another unrelated short note.", "score": "n/a"}]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run([str(src)], tmp_path / "j", _settings())
    run([str(src)], tmp_path / "p", _settings(output_format="parquet"))
    jsonl = _lines(tmp_path / "j" / "documents.jsonl")
    parquet = pq.read_table(tmp_path / "p" / "documents.parquet").to_pylist()
    assert [r["id"] for r in parquet] == [r["id"] for r in jsonl]
    for want, got in zip(jsonl, parquet):
        for key in ("url", "meta", "text", "cluster_id", "removed"):
            assert got[key] == want.get(key)
        assert got["score"] == (None if "score" not in want else json.dumps(want["score"]))


def test_a_failed_run_leaves_no_file_under_a_final_name(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"id": "g", "text": ARTICLE}) + "\n")
    data = gzip.compress(b"".join(json.dumps({"id": i, "text": "t" * 300}).encode() + b"\n" for i in range(300)))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out"
    with pytest.raises(RunError):
        run([str(good), str(cut)], out, _settings())
    assert sorted(p.name for p in out.iterdir()) == []
    from normalize.engine import shelf

    assert not shelf._writers and not shelf._readers  # nor a file open


def test_strict_stops_at_the_first_rejection(tmp_path):
    from normalize.errors import StrictModeStop

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "ok"}) + "\n[1]\n")
    with pytest.raises(StrictModeStop, match="line 2"):
        run([str(src)], tmp_path / "out", _settings(strict=True))


def test_python_api_pipeline_clean_and_lang():
    records = [{"id": "1", "text": "ua en ru\n\nDer Bundestag hat am Donnerstag ein neues Gesetz beschlossen, das die Mieten begrenzen soll."}]
    (cleaned,) = Pipeline(_settings(), command="clean").run(records)
    assert cleaned["lang"] == "de" and "ua en ru" not in cleaned["text"]
    assert "cluster_id" not in cleaned
    (tagged,) = Pipeline(_settings(), command="lang").run(records)
    assert tagged["text"] == records[0]["text"] and tagged["lang"] == "de" and "removed" not in tagged


def test_dedup_command_leaves_text_alone(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": "ua en ru\n" + ARTICLE}) + "\n" for i in ("a", "b")))
    run([str(src)], tmp_path / "out", _settings(), command="dedup")
    docs = _lines(tmp_path / "out" / "documents.jsonl")
    assert docs[0]["text"].startswith("ua en ru") and "lang" not in docs[0]
    assert docs[1]["duplicate_of"] == "a"


def _visit_story(i: int, spelling: str) -> str:
    places = ["Pyongyang", "Wonsan", "Sinuiju", "Kaesong", "Hamhung", "Nampo"]
    return (f"Visit number {i} to {places[i]}\n\n"
            f"{spelling} inspected a new factory in {places[i]} on day {i * 11}, state media reported, "
            f"and spoke with {i + 3} engineers about output targets for the coming season.\n\n"
            f"The report from {places[i]} gave no figures, and analysts said visit {i} followed a familiar pattern.")


def test_lines_written_in_the_workers_are_the_records_written_whole(tmp_path, seed_texts):
    """The workers write each line up to its cluster fields (json_lines); the
    main process completes it, or writes the whole record again when the
    corpus-level name check adds a finding. Either way the bytes are those of
    the record written whole."""
    from normalize.read import read_inputs

    records = [{"id": name, "text": text} for name, text in sorted(seed_texts.items())]
    records += [{"id": f"k{i}", "text": _visit_story(i, "Oleksandr Musienko")} for i in range(5)]
    # (the late one with fields that must survive being read back from its line)
    records += [{"id": "k5", "text": _visit_story(5, "Aleksandr Musienko"), "score": 1e-05, "big": 2 ** 70,
                 "nested": {"x": [1.5e20, -0.0, None, True, "\u2028"]}, "artefacts": ["input's own"]}]
    # input fields each encoder writes its own way, or not at all (left to json)
    records += [{"id": "f1", "text": ARTICLE, "score": 1e-05, "big": 2 ** 70, "nested": {"x": [1.5e20, None, True]}},
                {"id": "f2", "text": ARTICLE.replace("two", "three"), "ratio": 0.25, "tags": ["a", "é"]}]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")

    summary = run([str(src)], tmp_path / "out", _settings(workers=2))
    written = (tmp_path / "out" / "documents.jsonl").read_text("utf-8").split("\n")[:-1]  # (not at U+2028)

    pipeline = Pipeline(_settings(), command="run")
    assert not pipeline.json_lines
    whole = [payload for kind, payload in pipeline.events(read_inputs([str(src)], _settings().read_options))
             if kind == "document"]
    assert written == [json.dumps(r, ensure_ascii=False, separators=(",", ":"), allow_nan=False) for r in whole]
    late = [r["id"] for r in whole for a in r["artefacts"] if "in this cluster" in a["evidence"]]
    assert late == ["k5"]  # a finding made after the clusters, in a line written whole
    assert {r["id"]: r["big"] for r in whole if "big" in r} == {"f1": 2 ** 70, "k5": 2 ** 70}
    # and counted alike: the late finding's kind, and the verdict it revised
    mine, theirs = summary, pipeline.summary()
    assert mine["counts"] == theirs["counts"]
    for key in ("artefact_kinds", "suspected_translations", "languages", "removal_reasons"):
        assert mine[key] == theirs[key], key


def test_run_leaves_the_callers_records_whole():
    """The input text is let go of after cleaning (ForgetInputText), in a copy of
    the record's fields, not in the caller's record."""
    records = [{"id": "1", "title": "T", "text": "ua en ru\n\n" + ARTICLE}, {"id": "2", "text": ARTICLE}]
    before = json.loads(json.dumps(records))
    out = list(Pipeline(_settings(), command="run").run(records))
    assert records == before
    assert [list(r)[:3] for r in out] == [["id", "title", "text"], ["id", "text", "source"]]
    assert out[0]["text"].startswith("Breaking news") and out[1]["duplicate_of"] == "1"
