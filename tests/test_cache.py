"""The disk cache for derived tables (normalize/cache.py)."""
from __future__ import annotations

import os

import numpy as np

from normalize import cache


def test_arrays_come_back_equal_and_a_missing_key_is_none(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "c"))
    arrays = {"f": np.linspace(0, 1, 7, dtype=np.float32), "s": np.array(["ab ", " c", "ß"]),
              "i": np.arange(5, dtype=np.int64)}
    assert cache.load("t", "k1") is None
    assert cache.save("t", "k1", arrays)
    back = cache.load("t", "k1")
    assert back.keys() == arrays.keys()
    for name, value in arrays.items():
        assert back[name].dtype == value.dtype and np.array_equal(back[name], value)
    assert cache.load("t", "k2") is None
    assert not [p for p in (tmp_path / "c").iterdir() if p.name.startswith(".")]  # no temporary left


def test_off_and_unwritable_caches_store_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    assert cache.cache_dir() is None
    assert not cache.save("t", "k", {"a": np.zeros(2)}) and cache.load("t", "k") is None
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker / "c"))
    assert not cache.save("t", "k", {"a": np.zeros(2)})


def test_only_the_newest_tables_of_a_name_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    for k in range(cache.KEEP_PER_NAME + 2):
        assert cache.save("t", f"key{k}", {"a": np.full(3, k)})
        os.utime(tmp_path / f"t-key{k}.npz", (1000 + k, 1000 + k))  # distinct ages, oldest first
    assert cache.save("other", "x", {"a": np.zeros(1)})
    kept = sorted(p.name for p in tmp_path.glob("t-*.npz"))
    assert kept == sorted(f"t-key{k}.npz" for k in range(2, cache.KEEP_PER_NAME + 2))
    assert (tmp_path / "other-x.npz").exists()


def test_the_key_depends_on_every_part_and_their_boundaries():
    assert cache.digest([b"ab", b"c"]) == cache.digest([b"ab", b"c"])
    assert cache.digest([b"ab", b"c"]) != cache.digest([b"a", b"bc"])
    assert cache.digest([b"ab"]) != cache.digest([b"ab", b""])


def test_derived_tables_are_stored_once_and_read_back_equal(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    calls = []

    def derive():
        calls.append(1)
        return {"t": np.arange(10, dtype=np.uint32) * 3}

    first = cache.derived("t", lambda: [b"source", b"data"], derive)
    again = cache.derived("t", lambda: [b"source", b"data"], derive)
    assert len(calls) == 1 and again["t"].dtype == np.uint32 and np.array_equal(again["t"], first["t"])
    cache.derived("t", lambda: [b"source, edited", b"data"], derive)  # another input: derived afresh
    assert len(calls) == 2

    def unreadable():
        raise OSError("no source on disk")

    assert np.array_equal(cache.derived("t", unreadable, derive)["t"], first["t"]) and len(calls) == 3


def test_the_unicode_tables_read_from_the_cache_are_those_derived(tmp_path, monkeypatch):
    from normalize.dedup import key, shingles
    from normalize.detect.langid import tables

    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    cached = (key.tables, shingles._script_table, tables.script_names, tables.script_table)

    def forget():
        for function in cached:
            function.cache_clear()

    forget()
    try:
        for function in cached:  # derived and stored
            function()
        assert {p.name.rsplit("-", 1)[0] for p in tmp_path.glob("*.npz")} == {"dedup-fold", "dedup-scripts",
                                                                             "langid-scripts"}
        forget()
        table, expansions, lengths = key.tables()  # read back
        derived = key._derive_tables()
        for got, name in ((table, "table"), (expansions, "expansions"), (lengths, "lengths")):
            assert got.dtype == derived[name].dtype and np.array_equal(got, derived[name])
        got = shingles._script_table()
        assert got.dtype == np.int16 and np.array_equal(got, shingles._derive_script_table())
        derived = tables._derive_bmp_scripts()
        assert tables.script_names() == tuple(derived["names"].tolist()) and tables.script_names()[0] == "Common"
        assert tables.script_table().dtype == np.uint8 and np.array_equal(tables.script_table(), derived["table"])
    finally:
        forget()
