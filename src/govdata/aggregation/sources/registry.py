"""Opening the reader for a source: :func:`open_reader` picks it by the source's kind."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from govdata.aggregation.sources.base import SourceKind, SourceReader, SourceSpec, Watermark
from govdata.aggregation.sources.csv_source import CsvReader
from govdata.aggregation.sources.excel_source import ExcelReader
from govdata.aggregation.sources.http_source import HttpReader
from govdata.aggregation.sources.json_source import JsonLinesReader, JsonReader
from govdata.aggregation.sources.parquet_source import ParquetReader
from govdata.aggregation.sources.sql_source import SqlReader

DEFAULT_BATCH_ROWS = 65536

# File and HTTP readers take (location, options, batch_rows=...): they push nothing down.
_FileReader = Callable[..., SourceReader]
_READERS: dict[SourceKind, _FileReader] = {
    "csv": CsvReader,
    "xlsx": ExcelReader,
    "json": JsonReader,
    "jsonl": JsonLinesReader,
    "parquet": ParquetReader,
    "http": HttpReader,
}


def open_reader(
    spec: SourceSpec,
    *,
    watermark: Watermark | None = None,
    where: Mapping[str, object] | None = None,
    limit: int | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> SourceReader:
    """Open the source; close the reader (or use ``with``) when done.

    Only database sources apply ``watermark`` (rows whose column is greater
    than the value), ``where`` (column equals value) and ``limit`` at the
    source, and say so with ``pushes_down``; the other readers ignore them
    and the loader filters what they return.
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be positive")
    options: Mapping[str, Any] = spec.options
    if spec.kind == "sql":
        return SqlReader(
            spec.location,
            options,
            watermark=watermark,
            where=where,
            limit=limit,
            batch_rows=batch_rows,
        )
    return _READERS[spec.kind](spec.location, options, batch_rows=batch_rows)
