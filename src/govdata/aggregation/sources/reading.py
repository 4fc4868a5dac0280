"""What every reader shares: progress, ``with`` support and building batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Self

import numpy as np
import pyarrow as pa

from govdata.aggregation.sources.base import ReadProgress, RejectedRow, SourceBatch


class Reader:
    """Base of the readers: no pushdown, progress, and closing on ``with`` exit.

    Subclasses fill ``_columns`` when opened and implement :meth:`batches`.
    """

    def __init__(self) -> None:
        self._columns: list[str] = []
        self._progress = ReadProgress()

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    @property
    def progress(self) -> ReadProgress:
        return self._progress

    @property
    def pushes_down(self) -> bool:
        return False

    def batches(self) -> Iterator[SourceBatch]:  # pragma: no cover - every reader overrides it
        raise NotImplementedError

    def close(self) -> None:
        """Release what the reader holds; closing twice is harmless."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def row_numbers(first: int, count: int) -> pa.Int64Array:
    """``count`` consecutive row numbers starting at ``first``."""
    return pa.array(np.arange(first, first + count, dtype=np.int64))


def numbered_batch(
    data: pa.RecordBatch, rows: pa.Int64Array | Sequence[int], rejected: Sequence[RejectedRow] = ()
) -> SourceBatch:
    numbers = rows if isinstance(rows, pa.Int64Array) else pa.array(rows, pa.int64())
    return SourceBatch(data=data, rows=numbers, rejected=tuple(rejected))


def text_batch(
    columns: Sequence[str], values: Sequence[Sequence[str | None]], count: int
) -> pa.RecordBatch:
    """A record batch of ``count`` rows of string columns, from one list of values per column."""
    if not columns:  # rows without any column still count (a JSON record "{}")
        return pa.RecordBatch.from_struct_array(pa.array([{}] * count, pa.struct([])))
    arrays = [pa.array(column, pa.string()) for column in values]
    return pa.RecordBatch.from_arrays(arrays, schema=text_schema(columns))


def text_schema(columns: Sequence[str]) -> pa.Schema:
    return pa.schema([pa.field(name, pa.string()) for name in columns])
