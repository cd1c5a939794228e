"""A JSON line is json.dumps's, whichever encoder wrote it."""
from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize.write import outputs


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e-05, 3e-07, 0.0001, 9.99e-05, 1e16, 9.999e15, -0.0, 0.5, 123.25]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)), max_leaves=20)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _VALUES, max_size=6))
def test_a_line_is_what_json_writes_or_the_same_refusal(record):
    try:
        expected = _json(record)
    except ValueError:  # NaN or an infinity: refused, never written as null
        with pytest.raises(ValueError):
            outputs.dumps(record)
        return
    assert outputs.dumps(record) == expected


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _VALUES, max_size=6),
       st.one_of(st.text(), st.sampled_from(["lone \ud800 surrogate", "日本語 · ż"])))
def test_a_line_as_utf8_is_what_json_writes_encoded_or_the_same_refusal(record, text):
    """Heads of lines are written as UTF-8 bytes straight away; the bytes must be
    json's line encoded, and a text no UTF-8 line can hold must be refused."""
    record["text"] = text
    try:
        expected = _json(record).encode("utf-8")
    except ValueError as refused:  # NaN or an infinity; a lone surrogate (UnicodeEncodeError)
        with pytest.raises(type(refused)):
            outputs.dumps_utf8(record)
        return
    assert outputs.dumps_utf8(record) == expected


def test_values_only_json_writes_alike_go_to_json():
    assert outputs._plain({"a": [1, "x", None, True, 0.25, {"b": 1e15}]})
    for odd in (1e-05, 1e16, math.nan, math.inf, (1, 2), {1: "a"}, b"x"):
        assert not outputs._plain({"a": [odd]}), odd
    assert outputs.dumps({"a": 1e-05, "b": 2 ** 70}) == '{"a":1e-05,"b":1180591620717411303424}'


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.text(), st.sampled_from(["lone \ud800 surrogate", "日本/copy2"])),
       st.integers(min_value=1, max_value=2 ** 70),
       st.one_of(st.none(), st.text()),
       st.one_of(st.none(), st.floats(min_value=0.0, max_value=1.0),
                 st.sampled_from([0.0, 1.0, 0.0001, 0.00005, 1e-05, 0.9999, 0.5])))
def test_cluster_fields_are_written_as_json_writes_them(cluster_id, size, duplicate_of, similarity):
    """The cluster fields that complete a line take a short way to JSON; it
    must give the bytes json gives, and refuse what json refuses."""
    from types import SimpleNamespace

    from normalize.write.records import with_cluster

    cluster = SimpleNamespace(cluster_id=cluster_id, cluster_size=size, duplicate_of=duplicate_of,
                              similarity=similarity)
    rounded = None if similarity is None else round(float(similarity), 4)
    expected = ',"cluster_id":' + _json(cluster_id) + ',"cluster_size":' + _json(size) + \
        ',"duplicate_of":' + _json(duplicate_of) + ',"similarity":' + _json(rounded) + "}"
    assert with_cluster('{"id":"x"', cluster) == '{"id":"x"' + expected
    try:
        as_bytes = expected.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 line holds it
        with pytest.raises(UnicodeEncodeError):
            with_cluster(b'{"id":"x"', cluster)
        return
    assert with_cluster(b'{"id":"x"', cluster) == b'{"id":"x"' + as_bytes


_LINE_TEXT = st.one_of(st.text(max_size=30), st.sampled_from(["lone \ud800 surrogate", "\u2028", "ż \x00"]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=1, max_value=500), _LINE_TEXT, st.sampled_from(["nav", "ad"])),
                max_size=5),
       st.lists(st.tuples(st.sampled_from(["name-variant", "wire-marker"]), st.integers(0, 99), _LINE_TEXT),
                max_size=3),
       _LINE_TEXT, st.floats(min_value=0.0, max_value=1.0))
def test_a_record_written_in_a_worker_is_the_line_json_writes(removed, artefacts, text, score):
    """A worker writes a record's line up to its cluster fields (record_head,
    orjson given the removed lines and artefacts as dataclasses), the main
    process completes it: the bytes json.dumps writes of the record as dicts."""
    from types import SimpleNamespace

    from normalize.document import Artefact, Document, Removal, Source
    from normalize.write.records import output_record, record_head, with_cluster

    doc = Document(id="d1", text=text, source=Source("in.jsonl", 3), fields={"url": "https://a.example/1"},
                   removed=[Removal(*r) for r in removed], artefacts=[Artefact(*a) for a in artefacts],
                   lang="de", lang_score=score, lang_top=[("de", score)])
    cluster = SimpleNamespace(cluster_id="c1", cluster_size=2, duplicate_of=None, similarity=None)
    expected = _json(output_record(doc, "run") | {"cluster_id": "c1", "cluster_size": 2,
                                                 "duplicate_of": None, "similarity": None})
    try:
        as_bytes = expected.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 line holds it
        with pytest.raises(UnicodeEncodeError):
            record_head(doc, "run")
        return
    assert with_cluster(record_head(doc, "run"), cluster) == as_bytes


def test_lines_go_into_the_file_as_utf8_whatever_form_they_come_in(tmp_path):
    path = tmp_path / "out.jsonl"
    with open(path, "wb") as fh:
        writer = outputs.JsonlWriter(fh)
        writer.write({"a": "ż", "b": 1e-05})
        writer.write('{"c":"é"}')
        writer.write('{"d":"日本"}'.encode("utf-8"))
    assert path.read_bytes().decode("utf-8").splitlines() == ['{"a":"ż","b":1e-05}', '{"c":"é"}', '{"d":"日本"}']


# -- documents.parquet --------------------------------------------------------


def _parquet_rows(tmp_path, records, batch=2048):
    import pyarrow.parquet as pq

    from normalize.write.parquet import ParquetWriter

    writer = ParquetWriter(tmp_path / "documents.parquet")
    writer.BATCH = batch
    for record in records:
        writer.write(record)
    writer.close()
    assert [p.name for p in tmp_path.iterdir()] == ["documents.parquet"]  # the spool is gone
    table = pq.read_table(tmp_path / "documents.parquet")
    return table, table.to_pylist()


@pytest.mark.parametrize("batch", [1, 2, 2048])
def test_a_field_missing_from_the_first_records_is_still_a_column(tmp_path, batch):
    """Arrow infers a table's columns from its first row, and a Parquet file's
    schema is fixed before its first row group: a field the first records
    lacked was once silently left out."""
    records = [{"id": "a", "text": "x", "lang": "en"}, {"id": "b", "text": "y", "url": "http://b.example/", "lang": "de"},
               {"id": "c", "text": "z", "tags": ["p", "q"], "lang": "fr"}]
    table, rows = _parquet_rows(tmp_path, records, batch)
    assert table.column_names == ["id", "text", "url", "tags", "lang"]  # what the run adds comes last
    assert [r["url"] for r in rows] == [None, "http://b.example/", None]
    assert [r["tags"] for r in rows] == [None, None, ["p", "q"]]
    assert [r["id"] for r in rows] == ["a", "b", "c"]


def test_a_field_whose_values_share_no_type_holds_their_json(tmp_path):
    records = [{"id": "a", "score": 1, "n": 1, "meta": {"k": [1]}, "odd": [1, 2]},
               {"id": "b", "score": "high", "n": 2.5, "meta": {"j": "x"}, "odd": {"x": 1}},
               {"id": "c", "score": 2**70, "n": None, "meta": None, "odd": None}]
    table, rows = _parquet_rows(tmp_path, records, batch=1)
    assert str(table.schema.field("n").type) == "double"  # whole numbers and fractions: float64
    assert str(table.schema.field("meta").type) == "struct<k: list<element: int64>, j: string>"
    assert [r["score"] for r in rows] == ["1", '"high"', str(2**70)]  # each value's JSON text
    assert [json.loads(r["odd"]) if r["odd"] else None for r in rows] == [[1, 2], {"x": 1}, None]
    assert [r["n"] for r in rows] == [1.0, 2.5, None]


def test_no_documents_still_make_a_file(tmp_path):
    table, rows = _parquet_rows(tmp_path, [])
    assert table.column_names == ["id"] and rows == []
