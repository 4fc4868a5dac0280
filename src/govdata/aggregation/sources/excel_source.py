"""Excel workbooks (.xlsx), one sheet streamed row by row as text columns.

Option ``sheet`` names the sheet (default: the first). The sheet is read with
openpyxl's streaming (read-only) mode, formulas as the values Excel cached
when the file was last saved. Cells become text as in :mod:`govdata.tabular`
(dates in ISO form, whole numbers without ``.0``); an empty cell is ``""``.
Formula-looking text (``=1+1``) is handed over as it is: the loader decides.

The first non-empty row is the header; its names must be distinct and
non-blank (blank cells after the last name are ignored). Fully empty rows
are skipped; row numbers are the sheet's own row numbers, the header's
included. A row with values in columns that have no header name is returned
as a :class:`RejectedRow` (``ragged_row``).

A sheet with merged cells is refused (``source_refused``), naming every
merged range: only the first cell of a range holds the value. Streaming mode
does not report merges, so they are read from the sheet's XML as
:mod:`govdata.tabular` does, which reads the compressed workbook into memory
once (workbooks are bounded by Excel's 1,048,576 rows; their cells are then
streamed). ``.xls`` workbooks are refused with the advice to save as .xlsx.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import openpyxl  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from govdata.aggregation.sources.base import RAW_TEXT_LIMIT, RejectedRow, SourceBatch
from govdata.aggregation.sources.reading import Reader, numbered_batch, text_batch
from govdata.errors import SourceFailed
from govdata.tabular import (
    _CORRUPT,
    _MAX_REPORTED,
    _XLS_ADVICE,
    TableError,
    _cell_text,
    _merged_ranges,
    _pick_sheet,
)

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


class ExcelReader(Reader):
    """Streams one sheet of an .xlsx workbook."""

    def __init__(self, location: str, options: Mapping[str, Any], *, batch_rows: int) -> None:
        super().__init__()
        self._path = Path(location)
        self._batch_rows = batch_rows
        try:
            data = self._path.read_bytes()
        except FileNotFoundError:
            raise SourceFailed(
                f"找不到Excel文件：{self._path.name}", code="source_not_found"
            ) from None
        self._progress.bytes_total = len(data)
        if not data.strip():
            raise SourceFailed("Excel文件为空", code="source_empty")
        if data.startswith(_OLE_MAGIC):
            raise SourceFailed(_XLS_ADVICE, code="source_refused")
        if not data.startswith(_ZIP_MAGIC):
            raise SourceFailed(
                "文件不是有效的.xlsx工作簿，请用Excel打开后重新保存", code="source_malformed"
            )
        self._handle: BinaryIO = self._path.open("rb")
        try:
            self._workbook = openpyxl.load_workbook(self._handle, read_only=True, data_only=True)
        except zipfile.BadZipFile:
            self._handle.close()
            raise SourceFailed(
                "Excel工作簿不完整，文件可能被截断，请重新获取完整的文件", code="source_truncated"
            ) from None
        except _CORRUPT:
            self._handle.close()
            raise _corrupt() from None
        try:
            self._open_sheet(data, options.get("sheet"))
        except BaseException:
            self.close()
            raise

    def _open_sheet(self, data: bytes, sheet: object) -> None:
        try:
            worksheet = _pick_sheet(self._workbook, str(sheet) if sheet else None)
        except TableError as exc:
            raise SourceFailed(exc.message, code="source_not_found") from None
        try:
            merged = _merged_ranges(data, worksheet._worksheet_path)
        except _CORRUPT:
            raise _corrupt() from None
        if merged:
            shown = "、".join(merged[:_MAX_REPORTED]) + (
                "等" if len(merged) > _MAX_REPORTED else ""
            )
            raise SourceFailed(
                f"工作表“{worksheet.title}”含有合并单元格：{shown}。"
                "请取消合并，并在原合并区域的每个单元格中填写相应的值",
                code="source_refused",
            )
        worksheet.reset_dimensions()  # some writers record a wrong size
        self._rows = self._text_rows(worksheet)
        header = next(self._rows, None)
        if header is None:
            raise SourceFailed(f"工作表“{worksheet.title}”为空，没有表头", code="source_empty")
        self._columns = _checked_header(header[1])

    def batches(self) -> Iterator[SourceBatch]:
        width = len(self._columns)
        while True:
            values: list[list[str | None]] = [[] for _ in range(width)]
            numbers: list[int] = []
            rejected: list[RejectedRow] = []
            for number, cells in self._rows:
                if any(cells[width:]):
                    rejected.append(_stray(number, cells, width))
                else:
                    numbers.append(number)
                    for index in range(width):
                        values[index].append(cells[index] if index < len(cells) else "")
                if len(numbers) + len(rejected) >= self._batch_rows:
                    break
            if not numbers and not rejected:
                return
            self._progress.rows_read += len(numbers) + len(rejected)
            self._progress.bytes_read = min(self._handle.tell(), self._progress.bytes_total or 0)
            yield numbered_batch(text_batch(self._columns, values, len(numbers)), numbers, rejected)

    def close(self) -> None:
        workbook = getattr(self, "_workbook", None)
        if workbook is not None:
            workbook.close()
        self._handle.close()

    def _text_rows(self, worksheet: Any) -> Iterator[tuple[int, list[str]]]:
        """The sheet's non-empty rows as text cells, with their row numbers."""
        try:
            for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
                cells = [_cell_text(value) for value in row]
                if any(cells):
                    yield number, cells
        except _CORRUPT:
            raise _corrupt() from None


def _checked_header(cells: Sequence[str]) -> list[str]:
    names = list(cells)
    while names and not names[-1]:
        names.pop()
    blank = [get_column_letter(index + 1) for index, name in enumerate(names) if not name]
    if blank:
        raise SourceFailed(
            f"表头中{'、'.join(blank)}列的列名为空，请补上列名或删除该列", code="source_malformed"
        )
    positions: dict[str, list[str]] = {}
    for index, name in enumerate(names):
        positions.setdefault(name, []).append(get_column_letter(index + 1))
    duplicates = {name: places for name, places in positions.items() if len(places) > 1}
    if duplicates:
        shown = "；".join(
            f"“{name}”（{'、'.join(places)}列）" for name, places in duplicates.items()
        )
        raise SourceFailed(f"表头中有重复的列名：{shown}", code="source_malformed")
    return names


def _stray(number: int, cells: list[str], width: int) -> RejectedRow:
    extra = [get_column_letter(index + 1) for index in range(width, len(cells)) if cells[index]]
    line = io.StringIO()
    csv.writer(line).writerow(cells)
    return RejectedRow(
        row=number,
        raw=line.getvalue().rstrip("\r\n")[:RAW_TEXT_LIMIT],
        reason_code="ragged_row",
        reason=f"{'、'.join(extra)}列有值，但表头只有{width}列",
    )


def _corrupt() -> SourceFailed:
    return SourceFailed("无法读取该.xlsx工作簿，请用Excel打开后重新保存", code="source_malformed")
