"""The command line: exit codes, streaming, config, the seeds report."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from normalize.cli import cli

REPO = Path(__file__).resolve().parent.parent


def invoke(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def test_run_exits_0_even_with_rejections(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "Hello there, this is a fine sentence."}\nnot json\n')
    result = invoke("run", src, "-o", tmp_path / "out", "--workers", 1, "--no-report")
    assert result.exit_code == 0, result.output
    assert "1 rejected" in result.output


def test_missing_input_exits_1_with_one_line(tmp_path):
    result = invoke("run", tmp_path / "nope.jsonl", "-o", tmp_path / "out")
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "no such file" in result.output
    assert "Traceback" not in result.output


def test_unwritable_output_exits_1(tmp_path, seeds_dir):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = invoke("run", seeds_dir, "-o", blocker / "sub", "--workers", 1)
    assert result.exit_code == 1 and "cannot write to output directory" in result.output


def test_usage_error_exits_2(tmp_path):
    assert invoke("run", "seeds").exit_code == 2  # no -o
    assert invoke("run", "seeds", "-o", tmp_path, "--workers", 0).exit_code == 2


def test_strict_exits_3(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "fine"}\n{"id": "b"}\n')
    result = invoke("run", src, "-o", tmp_path / "out", "--strict", "--workers", 1)
    assert result.exit_code == 3 and "line 2" in result.output and "(id b)" in result.output


def test_clean_streams_stdin_to_stdout():
    data = "".join(json.dumps({"id": i, "text": f"ua en ru\n\nStory {i} is a complete sentence about the weather today."}) + "\n" for i in range(3))
    proc = subprocess.run(
        [sys.executable, "-m", "normalize", "clean", "-", "--workers", "1", "-q"],
        input=data.encode(), capture_output=True, cwd=REPO, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    out = [json.loads(l) for l in proc.stdout.decode().splitlines()]
    assert [r["id"] for r in out] == [0, 1, 2] or [r["id"] for r in out] == ["0", "1", "2"]
    assert all("ua en ru" not in r["text"] and r["lang"] == "en" for r in out)


def test_lang_command_adds_only_language_fields(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "Это короткая новость о погоде в Москве на сегодня."}, ensure_ascii=False) + "\n")
    result = invoke("lang", src, "-o", tmp_path / "out.jsonl", "--workers", 1)
    assert result.exit_code == 0
    (rec,) = [json.loads(l) for l in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()]
    assert rec["lang"] == "ru" and set(rec) == {"id", "text", "source", "lang", "lang_score", "lang_top"}


def test_config_file_settings_are_echoed(tmp_path, seeds_dir):
    cfg = tmp_path / "n.toml"
    cfg.write_text('[normalize]\nkeep = "first"\ncorpus-repeats = false\n')
    result = invoke("run", seeds_dir, "-o", tmp_path / "out", "--config", cfg, "--workers", 1, "--no-report")
    assert result.exit_code == 0, result.output
    settings = json.loads((tmp_path / "out" / "summary.json").read_text())["settings"]
    assert settings["keep"] == "first" and settings["corpus_repeats"] is False
    bad = tmp_path / "bad.toml"
    bad.write_text("nonsense = 1\n")
    result = invoke("run", seeds_dir, "-o", tmp_path / "out2", "--config", bad)
    assert result.exit_code == 1 and "unknown setting" in result.output


@pytest.mark.parametrize("line, message", [
    ('threshold = "high"', "setting 'threshold' must be a number, not 'high'"),
    ('strict = "yes"', "setting 'strict' must be true or false, not 'yes'"),
    ("max-doc-bytes = 1.5", "setting 'max_doc_bytes' must be a whole number, not 1.5"),
    ("max-doc-bytes = 0", "setting 'max_doc_bytes' must be at least 1, not 0"),
    ('keep = "best"', "keep must be one of longest, first, fewest-artefacts, not 'best'"),
    ("threshold = 1.5", "threshold must be in (0, 1]"),
])
def test_a_bad_value_in_a_config_file_is_one_line_naming_it(tmp_path, seeds_dir, line, message):
    """The command line checks its own options; a config file's values are
    checked as they are read (they once reached the stages and ended in a traceback)."""
    cfg = tmp_path / "n.toml"
    cfg.write_text(f"[normalize]\n{line}\n")
    result = invoke("run", seeds_dir, "-o", tmp_path / "out", "--config", cfg, "--workers", 1, "--no-report")
    assert result.exit_code == 1 and result.output == f"normalize: error: {message}\n"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_report_of_a_folder_without_outputs_says_so(tmp_path):
    result = invoke("report", tmp_path)
    assert result.exit_code == 1 and "holds no run's outputs" in result.output
    assert list(tmp_path.iterdir()) == []  # no empty page written there


def test_python_dash_m_and_version():
    proc = subprocess.run([sys.executable, "-m", "normalize", "--version"], capture_output=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0 and b"normalize" in proc.stdout


def test_committed_seeds_report_is_fresh(tmp_path, monkeypatch):
    """reports/seeds must be what `normalize run seeds -o reports/seeds` writes now."""
    monkeypatch.chdir(REPO)
    out = tmp_path / "seeds"
    result = invoke("run", "seeds", "-o", out, "--workers", 1, "-q")
    assert result.exit_code == 0, result.output
    committed = REPO / "reports" / "seeds"
    stale = [
        name for name in ("documents.jsonl", "clusters.jsonl", "rejected.jsonl", "summary.json",
                          "index.html", "summary.md")  # (the page too: its script is in it)
        if (committed / name).read_bytes() != (out / name).read_bytes()
    ]
    if stale:
        pytest.fail(f"reports/seeds is stale ({', '.join(stale)}): rerun `normalize run seeds -o reports/seeds`")


def test_verbose_prints_the_figures(tmp_path, seeds_dir):
    result = invoke("run", seeds_dir, "-o", tmp_path / "out", "--workers", 1, "--no-report", "-v")
    assert result.exit_code == 0
    assert "languages: en 5" in result.output and "removed lines:" in result.output


def test_no_input_makes_the_tool_touch_the_network(tmp_path, monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    src = tmp_path / "in.jsonl"
    hostile = "See http://example.com/x.png and <img src='http://evil.example/t.gif'> [Image source=http://a.example]"
    src.write_text(json.dumps({"id": "u", "url": "http://example.com/", "text": hostile}) + "\n")
    result = invoke("run", src, "-o", tmp_path / "out", "--workers", 1)
    assert result.exit_code == 0, result.output


def test_a_full_disk_exits_1_with_one_line_saying_where_room_is_needed(tmp_path, monkeypatch):
    """A full temporary folder (the workers' shelves, the spools) stops the run
    with one line naming the folder and how to move it, not a traceback."""
    import errno

    from normalize.engine import shelf

    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shelf.Shelf, "put", full)
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "Hello there, this is a fine sentence."}\n')
    result = invoke("run", src, "-o", tmp_path / "out", "--workers", 1, "--no-report")
    assert result.exit_code == 1
    assert "no space left" in result.output and "TMPDIR" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out" / "documents.jsonl").exists()


@pytest.mark.parametrize("command", ["run", "dedup"])
def test_index_is_reused_by_the_next_run(tmp_path, seeds_dir, command):
    """The index is a directory; the second run loads it and finds every seed there."""
    index = tmp_path / "seen.idx"
    for n in (1, 2):
        result = invoke(command, seeds_dir, "-o", tmp_path / f"out{n}", "--index", index, "--workers", 1,
                        *(["--no-report"] if command == "run" else []))
        assert result.exit_code == 0, result.output
    assert index.is_dir()
    first = [json.loads(line) for line in open(tmp_path / "out1" / "documents.jsonl")]
    second = [json.loads(line) for line in open(tmp_path / "out2" / "documents.jsonl")]
    assert len(second) == len(first) == 5
    assert all(d["duplicate_of"] is None for d in first)
    assert all(d["duplicate_of"] == f["id"] for d, f in zip(second, first))
    (tmp_path / "a-file").write_text("")
    refused = invoke(command, seeds_dir, "-o", tmp_path / "out3", "--index", tmp_path / "a-file")
    assert refused.exit_code == 2 and "is a file" in refused.output
    # an index made with other settings, or damaged, is one line naming it, not a traceback
    params = json.loads((index / "params.json").read_text())
    (index / "params.json").write_text(json.dumps(dict(params, num_perm=64)))
    refused = invoke(command, seeds_dir, "-o", tmp_path / "out4", "--index", index)
    assert refused.exit_code == 1 and refused.output.startswith(f"normalize: error: dedup index {index} was built with")
    (index / "params.json").write_text("not json")
    refused = invoke(command, seeds_dir, "-o", tmp_path / "out5", "--index", index)
    assert refused.exit_code == 1 and refused.output.startswith(f"normalize: error: dedup index {index} cannot be read")


class _HardExit(Exception):
    pass


def _main_exit(monkeypatch, argv) -> tuple[str, int]:
    """How ``normalize.cli.main`` ends with ``argv``: ("hard", code) when it
    skips the interpreter's teardown, ("raised", code) otherwise."""
    from normalize import cli as cli_module

    def hard_exit(code):
        raise _HardExit(code)

    monkeypatch.setattr(cli_module, "_exit_now", hard_exit)
    monkeypatch.setattr(sys, "argv", ["normalize", *argv])
    try:
        cli_module.main()
    except _HardExit as exc:
        return "hard", exc.args[0]
    except SystemExit as exc:
        return "raised", exc.code
    raise AssertionError("main() returned")


def test_the_command_ends_without_teardown_only_when_nothing_is_left_running(tmp_path, seeds_dir, monkeypatch):
    import threading

    assert _main_exit(monkeypatch, ["run", str(seeds_dir), "-o", str(tmp_path / "a"), "-q"]) == ("hard", 0)
    assert (tmp_path / "a" / "summary.json").exists() and (tmp_path / "a" / "index.html").exists()
    assert _main_exit(monkeypatch, ["run", str(tmp_path / "missing"), "-o", str(tmp_path / "b")]) == ("hard", 1)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:  # a thread of the caller's still runs: the usual exit, which waits for it
        assert _main_exit(monkeypatch, ["run", str(seeds_dir), "-o", str(tmp_path / "c"), "-q"]) == ("raised", 0)
    finally:
        stop.set()
        other.join()


# --- inspect -------------------------------------------------------------------

KEPT = ("The minister said on Tuesday that the port would reopen next week, once the damaged cranes "
        "have been repaired and the channel has been cleared of debris.")
INSPECTED = f"Minister visits the port\n\n{KEPT}\n\nRead also: Ten things to do in Kyiv\n\n{KEPT.replace('Tuesday', 'Monday')}"


def _inspect_rows(output: str) -> dict[str, str]:
    """text -> "keep" or "drop [reason]", from the lines ``inspect`` prints
    ("  12 - drop [reason]          text": number, mark, padded reason, text)."""
    rows = {}
    for printed in output.splitlines():
        if printed.startswith("=="):
            continue
        assert printed[:4].strip().isdigit(), printed
        mark, rest = printed[5:11].strip(" -"), printed[11:]
        reason = ""
        if rest.startswith(" ["):
            reason, rest = rest[1 : rest.index("]") + 1], rest[rest.index("]") + 1 :]
        rows[rest.lstrip(" ")] = f"{mark} {reason}".strip()
    return rows


def test_inspect_shows_each_record_of_a_json_lines_file_or_the_one_picked(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "a", "text": "Short note. It is a sentence of the text."}) + "\n"
        + "not json\n"
        + json.dumps({"id": "b", "body": INSPECTED, "text": "x"}) + "\n"
    )
    every = invoke("inspect", src)
    assert every.exit_code == 0, every.output
    headers = [line for line in every.output.splitlines() if line.startswith("==")]
    assert headers[0] == f"== a ({src}:1)" and headers[2] == f"== b ({src}:3)"
    assert headers[1].startswith(f"== {src}:2 ") and "rejected" in headers[1] and "JSON" in headers[1]

    picked = invoke("inspect", src, "--id", "b", "--text-field", "body")
    assert picked.exit_code == 0, picked.output
    assert picked.output.splitlines()[0] == f"== b ({src}:3)"
    rows = _inspect_rows(picked.output)
    assert rows["Read also: Ten things to do in Kyiv"] == "drop [read-also]"
    assert rows[KEPT] == "keep"
    assert invoke("inspect", src, "--line", 3, "--text-field", "body").output == picked.output


def test_inspect_names_what_it_cannot_find_or_read(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": INSPECTED}) + "\n{\n")
    missing = invoke("inspect", src, "--id", "zz")
    assert missing.exit_code == 1 and f"{src}: no record with id 'zz'" in missing.output
    assert "no record with id 'a' at line 2" in invoke("inspect", src, "--id", "a", "--line", 2).output
    assert f"{src}: no record at line 9\n" in invoke("inspect", src, "--line", 9).output
    broken = invoke("inspect", src, "--line", 2)
    assert broken.exit_code == 1 and f"{src}, line 2: malformed JSON" in broken.output
    text = tmp_path / "page.txt"
    text.write_text(INSPECTED)
    assert invoke("inspect", text, "--id", "a").exit_code == 2
    plain = invoke("inspect", text)
    assert plain.exit_code == 0 and not plain.output.startswith("==")
    assert _inspect_rows(plain.output)["Read also: Ten things to do in Kyiv"]== "drop [read-also]"


def test_inspect_picks_a_parquet_row(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["p1", "p2"], "text": ["One short line.", INSPECTED]}), src)
    result = invoke("inspect", src, "--line", 2)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"== p2 ({src}:2)"
    assert "Read also: Ten things to do in Kyiv" in _inspect_rows(result.output)
