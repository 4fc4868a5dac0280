"""Parquet files, read a batch at a time with their own (native) column types.

Row numbers are the 1-based position of the row in the file. Progress in
bytes is estimated from the share of rows read, as Parquet is read by row
group rather than sequentially. A file that does not end with Parquet's
footer (``PAR1``) although it starts like one was cut short
(``source_truncated``); any other unreadable file is ``source_malformed``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from govdata.aggregation.sources.base import SourceBatch
from govdata.aggregation.sources.reading import Reader, numbered_batch, row_numbers
from govdata.errors import SourceFailed

_MAGIC = b"PAR1"


class ParquetReader(Reader):
    """Streams the row groups of a Parquet file."""

    def __init__(self, location: str, options: Mapping[str, Any], *, batch_rows: int) -> None:
        super().__init__()
        self._path = Path(location)
        self._batch_rows = batch_rows
        try:
            self._progress.bytes_total = self._path.stat().st_size
            self._file: pq.ParquetFile | None = pq.ParquetFile(self._path)
        except FileNotFoundError:
            raise SourceFailed(
                f"找不到Parquet文件：{self._path.name}", code="source_not_found"
            ) from None
        except (pa.ArrowException, OSError) as exc:
            raise self._failure(exc) from None
        self._columns = list(self._file.schema_arrow.names)
        self._total_rows = self._file.metadata.num_rows

    def batches(self) -> Iterator[SourceBatch]:
        if self._file is None:
            return
        next_row = 1
        iterator = self._file.iter_batches(batch_size=self._batch_rows, use_threads=False)
        while True:
            try:
                batch = next(iterator)
            except StopIteration:
                return
            except (pa.ArrowException, OSError) as exc:
                raise self._failure(exc) from None
            count = batch.num_rows
            yield numbered_batch(batch, row_numbers(next_row, count))
            next_row += count
            self._progress.rows_read += count
            total = self._progress.bytes_total or 0
            if self._total_rows:
                self._progress.bytes_read = total * self._progress.rows_read // self._total_rows

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _failure(self, exc: Exception) -> SourceFailed:
        with self._path.open("rb") as handle:
            head = handle.read(len(_MAGIC))
            size = handle.seek(0, 2)
            handle.seek(max(size - len(_MAGIC), 0))
            foot = handle.read(len(_MAGIC))
        if head == _MAGIC and foot != _MAGIC:
            return SourceFailed(
                "Parquet文件不完整（缺少文件尾），可能在传输中被截断，请重新获取完整的文件",
                code="source_truncated",
            )
        return SourceFailed(
            f"无法读取Parquet文件，文件已损坏或不是Parquet格式：{str(exc)[:200]}",
            code="source_malformed",
        )
