"""JSON documents and JSON Lines files, as text columns.

``json``: one array of objects, or an object holding the array at the
dotted path given by option ``records_path`` (``"data.items"``). The
document is streamed (see :mod:`govdata.aggregation.sources.json_stream`);
row numbers are the 1-based position of the record in the array. An element
that is not an object is returned as a :class:`RejectedRow`
(``malformed_record``). A document cut short fails with ``source_truncated``,
one that is not valid JSON (or has no array where ``records_path`` points)
with ``source_malformed``.

``jsonl``: one object per line, read line by line; row numbers are line
numbers (empty lines are skipped but counted). A line that is not a JSON
object is returned as a :class:`RejectedRow` (``malformed_record``), except
a last line that does not end with a line break and does not parse: that is
a file cut short (``source_truncated``).

Values become text as described in :mod:`govdata.aggregation.sources.records`.
The columns known when the reader opens are the keys of the first batch, in
the order first seen; a key that appears only later is added as a new column
from the batch it appears in (and to :attr:`columns`), so the loader's schema
drift check sees it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from govdata.aggregation.sources.base import RAW_TEXT_LIMIT, RejectedRow, SourceBatch
from govdata.aggregation.sources.json_stream import JsonText, array_elements
from govdata.aggregation.sources.records import (
    FirstBatchReader,
    dotted_path,
    loads,
    malformed_record,
)
from govdata.errors import SourceFailed

Numbered = tuple[int, Any]


class _RecordsReader(FirstBatchReader):
    """Batches of numbered JSON values, the first batch read when opened."""

    def __init__(self, location: str, *, batch_rows: int) -> None:
        super().__init__()
        self._path = Path(location)
        self._batch_rows = batch_rows
        try:
            self._progress.bytes_total = self._path.stat().st_size
            self._handle: BinaryIO = self._path.open("rb")
        except FileNotFoundError:
            raise SourceFailed(
                f"找不到JSON文件：{self._path.name}", code="source_not_found"
            ) from None

    def _start(self, values: Iterator[Numbered]) -> None:
        self._values = values
        self._read_first()

    def close(self) -> None:
        self._handle.close()

    def _next_batch(self) -> SourceBatch | None:
        chunk = list(islice(self._values, self._batch_rows))
        if not chunk:
            return None
        records: list[dict[str, Any]] = []
        rows: list[int] = []
        rejected: list[RejectedRow] = []
        for row, value in chunk:
            if isinstance(value, RejectedRow):
                rejected.append(value)
            elif isinstance(value, dict):
                records.append(value)
                rows.append(row)
            else:
                rejected.append(malformed_record(row, value, self._what(row)))
        self._progress.rows_read += len(chunk)
        self._progress.bytes_read = self._bytes_read()
        return self._record_columns.batch(records, rows, rejected)

    def _what(self, row: int) -> str:
        raise NotImplementedError

    def _bytes_read(self) -> int:
        raise NotImplementedError


class JsonReader(_RecordsReader):
    """The records of a JSON array, streamed."""

    def __init__(self, location: str, options: Mapping[str, Any], *, batch_rows: int) -> None:
        super().__init__(location, batch_rows=batch_rows)
        self._text = JsonText(self._handle)
        elements = array_elements(self._text, dotted_path(options.get("records_path")))
        self._start(enumerate(elements, start=1))

    def _what(self, row: int) -> str:
        return f"第{row}条记录"

    def _bytes_read(self) -> int:
        return self._text.bytes_read


class JsonLinesReader(_RecordsReader):
    """The records of a JSON Lines file, one per line."""

    def __init__(self, location: str, options: Mapping[str, Any], *, batch_rows: int) -> None:
        super().__init__(location, batch_rows=batch_rows)
        self._read = 0
        self._start(self._lines())

    def _what(self, row: int) -> str:
        return f"第{row}行"

    def _bytes_read(self) -> int:
        return self._read

    def _lines(self) -> Iterator[Numbered]:
        seen_any = False
        for number, line in enumerate(self._handle, start=1):
            self._read += len(line)
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                yield number, _rejected(number, line.decode("utf-8", "replace"), "不是UTF-8编码")
                continue
            if number == 1:
                text = text.removeprefix("\ufeff")
            if not text.strip():
                continue
            seen_any = True
            try:
                value = loads(text)
            except json.JSONDecodeError as exc:
                if not line.endswith(b"\n"):
                    raise SourceFailed(
                        f"JSON Lines文件的最后一行（第{number}行）不完整，文件可能被截断，"
                        "请重新获取完整的文件",
                        code="source_truncated",
                    ) from None
                yield number, _rejected(number, text, f"不是有效的JSON（{exc.msg}）")
                continue
            if isinstance(value, dict):
                yield number, value
            else:
                yield number, _rejected(number, text, "不是JSON对象")
        if not seen_any:
            raise SourceFailed("JSON Lines文件为空", code="source_empty")


def _rejected(number: int, text: str, why: str) -> RejectedRow:
    return RejectedRow(
        row=number,
        raw=text.rstrip("\r\n")[:RAW_TEXT_LIMIT],
        reason_code="malformed_record",
        reason=f"第{number}行{why}",
    )
