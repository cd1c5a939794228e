"""Readers: every input format, encodings, and per-record rejections."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalize.document import Document
from normalize.errors import Rejection, RunError
from normalize.read import ReadOptions, read_inputs
from normalize.read.records import MAX_DEPTH


def _read(*inputs, **opts):
    return list(read_inputs([str(i) for i in inputs], ReadOptions(**opts)))


def _jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_a_folder_without_txt_files_says_how_its_json_lines_are_read(tmp_path, caplog):
    """A folder is read for its .txt files; one holding only JSON Lines (shards
    of a crawl, say) read nothing without a word."""
    _jsonl(tmp_path / "shard-1.jsonl", [{"id": "a", "text": "x"}])
    (tmp_path / "meta.json").write_text("{}")  # (a lone .json is no corpus)
    with caplog.at_level("WARNING", logger="normalize"):
        assert _read(tmp_path) == []
    (message,) = [r.getMessage() for r in caplog.records]
    assert message == f"{tmp_path} holds no .txt files; its 1 JSON Lines or Parquet file(s) are read when named, " \
                      f"e.g. {tmp_path / 'shard-1.jsonl'}"
    caplog.clear()
    (tmp_path / "one.txt").write_text("Eins", "utf-8")
    with caplog.at_level("WARNING", logger="normalize"):
        assert [d.id for d in _read(tmp_path)] == ["one"]
    assert caplog.records == []


def test_directory_of_txt_ids_are_relative_paths(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("Eins", "utf-8")
    (tmp_path / "two.txt").write_text("Zwei", "utf-8")
    (tmp_path / "skip.md").write_text("not text input", "utf-8")
    docs = _read(tmp_path)
    assert [d.id for d in docs] == ["a/one", "two"]
    assert [d.text for d in docs] == ["Eins", "Zwei"]
    assert docs[0].source.file.endswith("one.txt") and docs[0].source.line == 1


def test_seeds_directory(seeds_dir):
    docs = _read(seeds_dir)
    assert len(docs) == 5 and all(isinstance(d, Document) for d in docs)
    assert all(d.encoding == "utf-8" for d in docs)


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst"])
def test_jsonl_plain_and_compressed(tmp_path, suffix):
    rows = [{"id": "x1", "text": "Привіт, світе", "url": "https://e.x/1"}, {"text": "no id here", "n": 3}]
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    path = tmp_path / f"in{suffix}"
    if suffix.endswith(".gz"):
        data = gzip.compress(data)
    elif suffix.endswith(".zst"):
        import zstandard

        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    docs = _read(path)
    assert [d.id for d in docs] == ["x1", f"{path}:2"]
    assert docs[0].fields["url"] == "https://e.x/1" and docs[1].fields["n"] == 3
    assert docs[0].text == "Привіт, світе"


def test_text_and_id_fields_are_configurable(tmp_path):
    path = _jsonl(tmp_path / "in.jsonl", [{"doc": 7, "body": "Hola"}])
    (doc,) = _read(path, text_field="body", id_field="doc")
    assert doc.id == "7" and doc.text == "Hola"


def test_bad_records_are_rejected_with_file_line_and_reason(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b'{"id": "ok", "text": "fine"}\n'
        b'{"id": "broken", "text": \n'
        b'[1, 2]\n'
        b'{"id": "nt"}\n'
        b'{"id": "num", "text": 5}\n'
        b'{"id": "bytes", "text": "caf\xe9"}\n'
        b"\n"
        b'{"id": "ok2", "text": "also fine"}\n'
        b'{"id": "blank", "text": " \\n "}\n'
    )
    items = _read(path)
    kinds = [(type(i).__name__, i.line if isinstance(i, Rejection) else i.id) for i in items]
    assert kinds == [
        ("Document", "ok"), ("Rejection", 2), ("Rejection", 3), ("Rejection", 4),
        ("Rejection", 5), ("Rejection", 6), ("Document", "ok2"), ("Rejection", 9),
    ]
    reasons = [i.reason for i in items if isinstance(i, Rejection)]
    assert "malformed JSON" in reasons[0]
    assert reasons[1] == "record is an array, not an object"
    assert "no 'text' field" in reasons[2]
    assert reasons[3] == "'text' is a number, not a string"
    assert "invalid UTF-8" in reasons[4]
    assert reasons[5] == "empty text"
    assert all(isinstance(i, Document) or i.file == str(path) for i in items)
    assert items[3].id == "nt"  # the id is reported when known


def test_overlong_line_is_rejected_without_reading_it_whole(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"id": "big", "text": "x" * 5000}) + "\n" + json.dumps({"id": "s", "text": "y"}) + "\n")
    items = _read(path, max_doc_bytes=1000)
    assert isinstance(items[0], Rejection) and "over the limit" in items[0].reason
    assert isinstance(items[1], Document) and items[1].id == "s"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=60), st.booleans())
def test_a_json_line_is_never_shorter_than_its_text_in_utf8(text, ascii_only):
    """The reader skips measuring a text whose line is within the limit: it
    relies on this (escapes take at least the bytes they stand for)."""
    line = json.dumps({"text": text}, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    assert len(text.encode("utf-8", "surrogatepass")) <= len(line)


def test_a_text_over_the_limit_is_rejected_whatever_the_line_says(tmp_path):
    from normalize.read.records import record_to_document

    record = {"id": "a", "text": "é" * 600}  # 1,200 bytes in UTF-8
    assert "over the limit" in record_to_document(record, "f", 1, ReadOptions(max_doc_bytes=1000)).reason
    # a line as short as the limit cannot hold such a text; a longer one is measured
    assert "over the limit" in record_to_document(record, "f", 1, ReadOptions(max_doc_bytes=1000),
                                                  size_at_most=1300).reason
    assert isinstance(record_to_document(record, "f", 1, ReadOptions(max_doc_bytes=1300), size_at_most=1300),
                      Document)


def test_truncated_gzip_is_a_run_error_naming_the_file(tmp_path):
    data = gzip.compress(b"".join(json.dumps({"id": i, "text": "t" * 200}).encode() + b"\n" for i in range(200)))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RunError, match="cut.jsonl.gz is truncated or corrupt after line"):
        _read(path)


def test_parquet_streams_rows(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["Bonjour", None], "score": [1.5, 2.0]}), path, row_group_size=1)
    items = _read(path)
    assert isinstance(items[0], Document) and items[0].fields["score"] == 1.5
    assert isinstance(items[1], Rejection) and items[1].line == 2 and items[1].reason == "'text' is null, not a string"
    binary = tmp_path / "binary.parquet"
    pq.write_table(pa.table({"id": ["c"], "text": pa.array([b"bytes"], type=pa.binary())}), binary)
    (rejected,) = _read(binary)
    assert rejected.reason == "'text' is binary data, not a string"


def test_parquet_without_text_column_or_corrupt_is_a_run_error(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "wrong.parquet"
    pq.write_table(pa.table({"body": ["x"]}), path)
    with pytest.raises(RunError, match="no 'text' column"):
        _read(path)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(RunError, match="cannot read .*bad.parquet as Parquet"):
        _read(bad)


@pytest.mark.parametrize(
    "encoding,text",
    [
        ("cp1251", "Москва — столица России. Здесь живут миллионы людей, и жизнь здесь не останавливается."),
        ("koi8-r", "Москва - столица России. Здесь живут миллионы людей, и жизнь здесь не останавливается."),
        ("euc-kr", "서울은 대한민국의 수도이다. 많은 사람들이 이 도시에서 살고 일한다."),
        ("shift_jis", "東京は日本の首都です。多くの人々がこの街に住んで働いています。"),
        ("gb18030", "北京是中华人民共和国的首都，也是全国的政治和文化中心。"),
        ("utf-16", "Grüße aus Köln — ein schöner Tag."),
        ("utf-8-sig", "Grüße aus Köln — ein schöner Tag."),
    ],
)
def test_legacy_encodings_are_detected_and_recorded(tmp_path, encoding, text):
    path = tmp_path / "doc.txt"
    path.write_bytes(text.encode(encoding))
    (doc,) = _read(path)
    assert isinstance(doc, Document)
    assert doc.text == text
    assert doc.encoding


def test_empty_txt_file_is_rejected(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"  \n\n")
    (item,) = _read(tmp_path / "empty.txt")
    assert isinstance(item, Rejection) and item.reason == "empty text" and item.id == "empty"


def test_binary_txt_file_is_rejected(tmp_path):
    path = tmp_path / "blob.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (item,) = _read(path)
    assert isinstance(item, Rejection) and "binary" in item.reason


def test_unknown_input_type_and_missing_file_are_run_errors(tmp_path):
    from normalize.read import check_inputs

    with pytest.raises(RunError, match="no such file"):
        check_inputs([str(tmp_path / "missing.jsonl")])
    (tmp_path / "x.csv").write_text("a,b")
    with pytest.raises(RunError, match="unknown input type"):
        check_inputs([str(tmp_path / "x.csv")])


def test_lone_surrogates_are_replaced_in_the_text_and_reject_other_fields(tmp_path):
    """A JSON escape can hold half a UTF-16 pair ("\\ud800"), which no UTF-8
    output can: in the text it becomes U+FFFD, in any other field (the id too)
    the record is rejected with the field named, and the run goes on."""
    from normalize import Pipeline, Settings, run

    body = "Die Regierung hat am Montag ein neues Gesetz vorgestellt, das die Mieten begrenzen soll."
    lines = ['{"id": "t", "text": "A half pair \\ud800 in the text. ' + body + '"}',
             '{"id": "f", "meta": {"tags": ["ok", "bad \\udfff"]}, "text": "' + body + '"}',
             '{"id": "bad \\ud83d id", "text": "' + body + ' Zwei."}',
             '{"id": "k", "text": "The harbour council met on Tuesday and voted to rebuild the old sea wall next spring."}']
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", "utf-8")
    for command in ("run", "dedup"):
        summary = run([str(src)], tmp_path / command, Settings(workers=1, report=False), command=command)
        assert summary["counts"] == {"read": 4, "kept": 2, "duplicates": 0, "rejected": 2}
        docs = [json.loads(l) for l in (tmp_path / command / "documents.jsonl").read_text("utf-8").splitlines()]
        assert [d["id"] for d in docs] == ["t", "k"] and "A half pair \ufffd in the text." in docs[0]["text"]
        rejected = [json.loads(l) for l in (tmp_path / command / "rejected.jsonl").read_text("utf-8").splitlines()]
        assert [(r["line"], r["id"]) for r in rejected] == [(2, "f"), (3, "bad \\ud83d id")]
        assert "field 'meta' is not valid Unicode" in rejected[0]["reason"] and "U+DFFF" in rejected[0]["reason"]
        assert "field 'id'" in rejected[1]["reason"]
    record = {"id": "p", "text": "Half \ud800 pair. " + body}
    (out,) = Pipeline(Settings(workers=1), command="lang").run([record])
    assert out["text"] == "Half \ufffd pair. " + body and record["text"].startswith("Half \ud800")


def _as_read(item):
    """A reader's verdict on a line, as plain values to compare."""
    if isinstance(item, Rejection):
        return ("rejected", item.file, item.line, item.id, item.reason)
    return ("document", item.id, item.text, repr(item.fields), item.source.as_dict())


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.text(max_size=20)
    | st.integers(min_value=-2 ** 70, max_value=2 ** 70),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)
# what the standard library reads leniently or refuses: NaN, lone surrogates in
# escapes, numbers past 64 bits, bad bytes, commas and quotes out of place
_ODD_PIECES = st.sampled_from(['"\\ud800"', '"\\uDC00x"', "NaN", "-Infinity", "1e400", "123456789012345678901234",
                               "1.5", '"\\u00e9"', "\x7f", "\t", ",", "'", "[", "}", "\\", '"\ud83d\ude00"'])


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "text", "url", "n"]), _JSON_VALUES | _ODD_PIECES.map(lambda p: ("raw", p)),
                       max_size=4),
       st.booleans(), st.binary(max_size=3))
def test_a_line_reads_the_same_whichever_parser_reads_it(record, ascii_only, junk):
    """Lines are read by orjson where it reads them as ``json`` would, and by
    ``json`` otherwise: the verdicts must be those of ``json`` alone."""
    from normalize.read import jsonl

    parts = []
    for key, value in record.items():
        text = value[1] if isinstance(value, tuple) else json.dumps(value, ensure_ascii=ascii_only)
        parts.append(f'"{key}": {text}')
    line = ("{" + ", ".join(parts) + "}").encode("utf-8", "surrogatepass") + junk[:1] * (len(junk) == 3)
    options = ReadOptions()
    fast = jsonl.parse_line(line, "f.jsonl", 7, options)
    orjson = jsonl._orjson
    try:
        jsonl._orjson = None  # (only the standard library's json)
        slow = jsonl.parse_line(line, "f.jsonl", 7, options)
    finally:
        jsonl._orjson = orjson
    assert _as_read(fast) == _as_read(slow)


def test_a_line_nested_too_deeply_is_rejected_not_fatal(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b'{"id": "a", "text": "x", "n": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
                     + json.dumps({"id": "b", "text": "fine"}).encode() + b"\n")
    items = _read(path)
    assert isinstance(items[0], Rejection) and items[0].line == 1 and "nested too deeply" in items[0].reason
    assert isinstance(items[1], Document) and items[1].id == "b"


def _nested(levels: int) -> str:
    """A record whose field "n" makes it ``levels`` deep (the record itself one)."""
    return '{"id": "deep", "text": "x", "n": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 500, 1023])
def test_a_record_nested_past_the_limit_is_rejected_with_its_id(tmp_path, levels):
    """orjson reads 1,023 levels inside a record; past MAX_DEPTH the record is
    refused at once, as pickling it between the passes would fail the run."""
    path = tmp_path / "deep.jsonl"
    path.write_text(_nested(levels) + "\n" + json.dumps({"id": "b", "text": "fine"}) + "\n", "utf-8")
    first, second = _read(path)
    assert isinstance(first, Rejection) and (first.line, first.id) == (1, "deep")
    assert first.reason == f"record nested too deeply (over {MAX_DEPTH} levels)"
    assert isinstance(second, Document) and second.id == "b"
    (kept,) = _read(_jsonl(tmp_path / "ok.jsonl", [json.loads(_nested(MAX_DEPTH))]))
    assert isinstance(kept, Document)


@pytest.mark.parametrize("value, shown", [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity"),
                                          ("1e400", "Infinity"), ('{"a": [1, -1e999]}', "-Infinity")])
def test_a_number_json_cannot_write_back_rejects_its_record(tmp_path, value, shown):
    """Python's json reads NaN, Infinity and numbers past a double's range; no
    JSON line may hold them, so the record could not be written: it is rejected
    with the field named (it once stopped the run in the writer)."""
    path = tmp_path / "odd.jsonl"
    path.write_text('{"id": "odd", "text": "x", "score": ' + value + '}\n{"id": "b", "text": "y", "score": 0.5}\n', "utf-8")
    first, second = _read(path)
    assert isinstance(first, Rejection) and (first.line, first.id) == (1, "odd")
    assert first.reason == f"field 'score' holds {shown}, which JSON cannot hold"
    assert isinstance(second, Document) and second.fields["score"] == 0.5


@pytest.mark.parametrize("encoding, bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                           ("utf-32-le", b"\xff\xfe\x00\x00")])
@pytest.mark.parametrize("compressed", [False, True])
def test_json_lines_in_utf16_or_utf32_are_read_as_their_text(tmp_path, encoding, bom, compressed):
    """JSON Lines saved by a Windows tool (a byte order mark, then UTF-16): every
    line was rejected as invalid UTF-8; they read as the same records in UTF-8."""
    rows = [{"id": "a", "text": "Zürich und 中文, in UTF-16."}, {"id": "b", "text": "Second line."}]
    data = bom + "".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in rows).encode(encoding)
    path = tmp_path / ("wide.jsonl.gz" if compressed else "wide.jsonl")
    path.write_bytes(gzip.compress(data) if compressed else data)
    docs = _read(path)
    assert [(d.id, d.text, d.source.line) for d in docs] == [("a", rows[0]["text"], 1), ("b", "Second line.", 2)]
    # a lone surrogate, which no UTF-16 text may hold, reads as U+FFFD
    broken = bom + '{"id": "c", "text": "Half \ud800 a pair."}\n'.encode(encoding, "surrogatepass")
    (damaged := tmp_path / "damaged.jsonl").write_bytes(broken)
    assert [(d.id, d.text) for d in _read(damaged)] == [("c", "Half \ufffd a pair.")]


@pytest.mark.parametrize("raw", [False, True])
def test_a_byte_order_mark_opening_a_line_is_not_part_of_the_record(tmp_path, raw):
    # one at the start of the file (as Windows tools write it), one where a
    # second file was joined on with cat, and one alone on a line
    bom = b"\xef\xbb\xbf"
    rows = [json.dumps({"id": k, "text": f"Text {k}"}).encode() for k in "abc"]
    path = tmp_path / "bom.jsonl"
    path.write_bytes(bom + rows[0] + b"\n" + bom + rows[1] + b"\n" + bom + b"\n" + rows[2] + b"\n")
    items = list(read_inputs([str(path)], ReadOptions(), raw=raw))
    docs = [item.parse() if raw else item for item in items]
    assert [(d.id, d.text, d.source.line) for d in docs] == [("a", "Text a", 1), ("b", "Text b", 2), ("c", "Text c", 4)]
