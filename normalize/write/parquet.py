"""documents.parquet: one column for every field that any record has.

JSON records need not agree with each other: a field may be missing from some
of them, or hold a number in one and a string in another. A Parquet file has
one schema, fixed before its first row group is written, and Arrow, asked to
infer a table from rows, takes the columns of the first row: written batch by
batch as the records came, a field that the first record lacked was silently
left out of the file. So the records wait in a spool (a batch at a time,
beside the file) while the run goes on, with the kinds of value each
field has held; the columns and their types are decided once the last record
is in, and the spool is read back into the file.

A column's type follows its values: whole numbers are int64, numbers with a
fraction (or a mix of both) float64, then strings, booleans, bytes; nested
values (objects, arrays) get the type Arrow makes of them, unified over the
batches. A field whose values cannot share one type (a number in one record
and a string in another, arrays of different shapes, an integer past 64 bits)
holds each value's JSON text, a null staying null. Input fields come first, in
the order they first appear; the fields the run adds (``lang``, ``removed``,
``cluster_id``, ...) follow, as in ``documents.jsonl``.
"""
from __future__ import annotations

import marshal
import pickle
import tempfile
from itertools import chain
from pathlib import Path
from typing import Any, Iterator

from ..errors import RunError
from .outputs import dumps
from .records import ADDED

_ADDED = frozenset(name for names in ADDED.values() for name in names) - {"id"}
_INT64 = (-(2**63), 2**63)
_AS_JSON = "json"  # a column's values written as their JSON text


_KINDS = {type(None): "null", bool: "bool", int: "int", float: "float", str: "str", bytes: "bytes",
          bytearray: "bytes", dict: "nested", list: "nested", tuple: "nested"}


def _kind(value: Any) -> str:
    kind = _KINDS.get(type(value))
    if kind is None:  # a subclass of one of them, or something else
        kind = next((k for t, k in _KINDS.items() if t is not type(None) and isinstance(value, t)), "other")
    if kind == "int" and not _INT64[0] <= value < _INT64[1]:
        return "bigint"
    return kind


def _kinds(values: list) -> set:
    """The kinds of ``values`` (one look at each distinct type, and at the integers' range)."""
    kinds = set()
    for kind_type in set(map(type, values)):
        kind = _KINDS.get(kind_type)
        if kind is None or kind == "int":
            kinds.update(_kind(v) for v in values if type(v) is kind_type)
        else:
            kinds.add(kind)
    return kinds


def _scalar_type(kinds: set) -> Any:
    """The Arrow type of a column whose values are of ``kinds``: None for nested
    values and those of other types (a date a Python caller put in a record),
    which Arrow infers, :data:`_AS_JSON` where no one type serves."""
    import pyarrow as pa

    kinds = kinds - {"null"}
    if not kinds:
        return pa.null()
    if kinds <= {"nested", "other"}:
        return None
    simple = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64(), "str": pa.string(), "bytes": pa.binary()}
    if len(kinds) == 1 and next(iter(kinds)) in simple:
        return simple[next(iter(kinds))]
    if kinds == {"int", "float"}:
        return pa.float64()
    return _AS_JSON


class ParquetWriter:
    """documents.parquet with the same fields as documents.jsonl, in one schema
    for all records (see the module's docstring). ``lang_top`` pairs become
    ``{lang, p}`` structs: JSON's ``[lang, p]`` mixes types, which an Arrow list
    cannot hold."""

    BATCH = 2048

    def __init__(self, path: Path):
        self.path = Path(path)
        self._rows: list[dict] = []
        self._kinds: dict[str, set] = {}  # field -> kinds of value seen (insertion: first appearance)
        self._nested: dict[str, list] = {}  # field -> the Arrow type of each batch's nested values
        self._spool = tempfile.TemporaryFile(dir=self.path.parent, prefix=".documents-parquet-spool-")

    def write(self, record: dict) -> None:
        if "lang_top" in record:
            record = dict(record, lang_top=[{"lang": lang, "p": p} for lang, p in record["lang_top"]])
        self._rows.append(record)
        if len(self._rows) >= self.BATCH:
            self._spill()

    def _spill(self) -> None:
        """Note what the batch's fields hold (a field a record lacks is null
        there), and put the batch in the spool."""
        import pyarrow as pa

        rows = self._rows
        if not rows:
            return
        for key in dict.fromkeys(chain.from_iterable(rows)):
            values = [row.get(key) for row in rows]
            kinds = self._kinds.setdefault(key, set())
            kinds |= _kinds(values)
            if kinds - {"null"} <= {"nested", "other"}:  # the type Arrow makes of them, to be unified
                types = self._nested.setdefault(key, [])
                if types is not None:
                    try:
                        types.append(pa.array(values).type)
                    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
                        self._nested[key] = None
        try:  # marshal: 0.10 against pickle's 0.27 s to write 10k documents, 0.36 against 0.48 s to read
            data, how = marshal.dumps(rows), b"m"
        except ValueError:  # a value of another type (records given to the Python API)
            data, how = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL), b"p"
        self._spool.write(how + len(data).to_bytes(8, "little") + data)
        self._rows = []

    def _batches(self) -> Iterator[list[dict]]:
        spool = self._spool
        spool.seek(0)
        while head := spool.read(9):
            data = spool.read(int.from_bytes(head[1:], "little"))
            yield marshal.loads(data) if head[:1] == b"m" else pickle.loads(data)

    def _columns(self) -> tuple[Any, frozenset]:
        """The file's schema, and the fields written as JSON text."""
        import pyarrow as pa

        names = [k for k in self._kinds if k not in _ADDED] + [k for k in self._kinds if k in _ADDED]
        types = {name: _scalar_type(self._kinds[name]) for name in names}
        for name in names:
            if types[name] is None:  # nested values in every batch: their types unified
                types[name], found = _AS_JSON, self._nested.get(name)
                if found:
                    try:
                        schemas = [pa.schema([(name, t)]) for t in found]
                        types[name] = pa.unify_schemas(schemas, promote_options="permissive").field(name).type
                    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                        pass
        as_json = frozenset(name for name in names if types[name] is _AS_JSON)
        schema = pa.schema([(name, pa.string() if name in as_json else types[name]) for name in names])
        return schema, as_json

    def close(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            self._spill()
            if not self._kinds:  # no documents: still a file, with the id column
                pq.write_table(pa.table({"id": pa.array([], pa.string())}), self.path)
                return
            schema, as_json = self._columns()
            with pq.ParquetWriter(self.path, schema) as writer:
                for rows in self._batches():
                    writer.write_table(_table(rows, schema, as_json))
        finally:
            self._spool.close()


def _table(rows: list[dict], schema: Any, as_json: frozenset) -> Any:
    import pyarrow as pa

    columns = []
    for field in schema:
        values = [row.get(field.name) for row in rows]
        try:
            if field.name in as_json:
                values = [None if v is None else dumps(v) for v in values]
            columns.append(pa.array(values, type=field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError,
                TypeError, ValueError) as exc:
            raise RunError(f"cannot write documents.parquet: column '{field.name}': {exc}") from exc
    return pa.Table.from_arrays(columns, schema=schema)
