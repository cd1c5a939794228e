"""A run's temporary folder names its owner; what killed runs left is removed, nothing else."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from normalize.engine import scratch
from normalize.engine.scratch import OWNER, RunFolder, leftovers, make_folder, owner, sweep

REPO = Path(__file__).resolve().parent.parent
linux = pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="process facts come from /proc")

MAKE = "import sys; from normalize.engine.scratch import make_folder; print(make_folder(parent=sys.argv[1]))"


def _folder_of_ended_process(parent: Path) -> Path:
    """A folder made by a process that has ended (and been waited for)."""
    done = subprocess.run([sys.executable, "-c", MAKE, str(parent)], cwd=REPO, check=True,
                          stdout=subprocess.PIPE, text=True)
    return Path(done.stdout.strip())


def _pid_of(folder: Path) -> int:
    """The process an owner file names."""
    return json.loads((folder / OWNER).read_text())["pid"] if (folder / OWNER).exists() else 0


def _folder_owned_as(parent: Path, name: str, **changed) -> Path:
    path = parent / name
    path.mkdir()
    (path / OWNER).write_text(json.dumps({**owner(), **changed}))
    (path / "pass2.pickle").write_bytes(b"x" * 1000)
    return path


def test_a_run_folder_names_this_process_and_goes_at_the_end(tmp_path):
    with RunFolder(parent=str(tmp_path)) as path:
        named = json.loads((Path(path) / OWNER).read_text())
        assert named["pid"] == os.getpid() and named["host"] == owner()["host"]
        assert Path(path).name.startswith("normalize-")
        (Path(path) / "sub").mkdir()
        (Path(path) / "sub" / "f").write_bytes(b"data")
    assert not Path(path).exists()
    with pytest.raises(RuntimeError):
        with RunFolder(parent=str(tmp_path)) as path:
            raise RuntimeError("a failing run")
    assert list(tmp_path.iterdir()) == []


@linux
def test_only_folders_whose_owner_has_certainly_ended_are_leftovers(tmp_path, caplog):
    ended = _folder_of_ended_process(tmp_path)
    (ended / "texts-1.bin").write_bytes(b"y" * 5000)
    live = Path(make_folder(parent=str(tmp_path)))  # this process's own
    reused = _folder_owned_as(tmp_path, "normalize-reused", started=owner()["started"] + 1)  # our number, not us
    rebooted = _folder_owned_as(tmp_path, "normalize-rebooted", boot="another-boot", pid=_pid_of(ended))
    elsewhere = _folder_owned_as(tmp_path, "normalize-elsewhere", host="another-host", pid=_pid_of(ended))
    container = _folder_owned_as(tmp_path, "normalize-container", pid_namespace="pid:[1]", pid=_pid_of(ended))
    unowned = tmp_path / "normalize-unowned"
    unowned.mkdir()
    garbled = tmp_path / "normalize-garbled"
    garbled.mkdir()
    (garbled / OWNER).write_text("{not json")
    other_name = _folder_owned_as(tmp_path, "other-tool-folder", boot="another-boot")

    found = {Path(left.path): left for left in leftovers(str(tmp_path))}
    assert set(found) == {ended, reused}
    assert found[ended].bytes >= 5000 and found[ended].pid == _pid_of(ended)

    with caplog.at_level(logging.INFO, logger="normalize"):
        removed = sweep(str(tmp_path))
    assert {Path(left.path) for left in removed} == {ended, reused}
    assert not ended.exists() and not reused.exists()
    for kept in (live, rebooted, elsewhere, container, unowned, garbled, other_name):
        assert kept.exists(), kept
    said = caplog.text
    assert f"removed {ended} " in said and "left by a run that was killed" in said
    assert sweep(str(tmp_path)) == []  # nothing more to remove


@linux
def test_an_ended_process_not_yet_waited_for_counts_as_ended(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", MAKE, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        path = Path(proc.stdout.readline().strip())
        deadline = time.time() + 30
        while scratch._stat(proc.pid)[0] != "Z" and time.time() < deadline:  # exited, not reaped
            time.sleep(0.02)
        assert scratch._stat(proc.pid)[0] == "Z"
        assert [Path(left.path) for left in leftovers(str(tmp_path))] == [path]
    finally:
        proc.wait()


@linux
def test_a_run_killed_outright_leaves_its_folder_and_the_next_run_removes_it(tmp_path):
    from test_reliability import corpus, write_jsonl

    src = write_jsonl(tmp_path / "big.jsonl", corpus(20000))
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    proc = subprocess.Popen([sys.executable, "-m", "normalize", "run", str(src), "-o", str(tmp_path / "out"),
                             "--workers", "2", "-q"], cwd=REPO, env=env, start_new_session=True)
    folder = None
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:  # until the run has put something in its folder
        made = [p for p in temp.glob("normalize-*") if (p / OWNER).exists() and len(list(p.iterdir())) > 1]
        if made:
            folder = made[0]
            break
        time.sleep(0.05)
    if folder is None:
        proc.kill()
        proc.wait()
        pytest.skip("the run ended before its folder was seen")
    os.killpg(proc.pid, 9)  # the run and its workers, as the out-of-memory killer would
    proc.wait()
    assert folder.exists()

    done = subprocess.run([sys.executable, "-m", "normalize", "run", str(REPO / "seeds"), "-o", str(tmp_path / "seeds"),
                           "--no-report"], cwd=REPO, env=env, stderr=subprocess.PIPE, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"normalize: removed {folder} (" in done.stderr and f"(process {proc.pid})" in done.stderr
    assert not folder.exists()
    assert list(temp.iterdir()) == []  # its own folder went too
