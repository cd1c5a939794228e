"""Parquet inputs, streamed one row group batch at a time with pyarrow."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, Union

from ..document import Document
from ..errors import Rejection, RunError
from .names import shown
from .options import ReadOptions
from .records import record_to_document

BATCH_ROWS = 1024


def read_parquet(path: Path, options: ReadOptions) -> Iterator[Union[Document, Rejection]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = shown(str(path))
    try:
        # pre_buffer=False: by default pyarrow reads the whole file ahead (400 MB held at 100k documents)
        parquet = pq.ParquetFile(path, pre_buffer=False)
    except (OSError, pa.ArrowException) as exc:
        raise RunError(f"cannot read {name} as Parquet: {exc}") from exc
    if options.text_field not in parquet.schema_arrow.names:
        raise RunError(
            f"{name} has no '{options.text_field}' column (columns: {', '.join(parquet.schema_arrow.names)}); "
            "choose one with --text-field"
        )
    number = 0
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            for row in batch.to_pylist():
                number += 1
                yield record_to_document(row, name, number, options, check_unicode=False)  # Arrow: valid UTF-8
    except (OSError, pa.ArrowException) as exc:
        raise RunError(f"{name} is corrupt after row {number}: {exc}") from exc
