"""Reading tables that people upload: CSV text and Excel (.xlsx) workbooks.

One reader for every area that takes spreadsheets (catalog bulk import, item
import, aggregation). It returns plain text cells keyed by column name, with
the row number a person sees in their editor or in Excel, so that every later
error can say where it is. Whatever cannot be read faithfully is refused with a
:class:`TableError` that says what to do, rather than guessed at:

* CSV is decoded strictly as UTF-8 (with or without BOM; UTF-16 with BOM too),
  then GB18030 (which covers GBK and GB2312, what Chinese Excel saves by
  default). When both fail the file is refused, naming the line and the
  encoding charset-normalizer suggests, rather than decoded by a guess.
  ``encoding=`` overrides the detection, and a wrong one is reported with the
  line it failed on.
* ``.xls`` (and password-protected workbooks, which share its container) are
  refused with the advice to save as ``.xlsx``; merged cells are refused with
  every merged range named, because only the first cell of a merged range
  holds the value.
* Formulas are read as the values Excel cached when the file was last saved;
  a workbook written by a program that never calculated it reads as empty
  cells there.

XML entity expansion in workbooks is bounded by the expat parser Python ships
(2.4 and later refuse billion-laughs amplification).
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import openpyxl  # type: ignore[import-untyped]
from charset_normalizer import from_bytes
from openpyxl.utils import get_column_letter, range_boundaries  # type: ignore[import-untyped]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped]

from govdata.errors import InvalidInput

if TYPE_CHECKING:
    from _csv import Reader

TableKind = Literal["csv", "xlsx"]

DEFAULT_MAX_ROWS = 1_000_000
DELIMITERS = (",", "\t", ";")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_SUFFIX_KINDS: dict[str, TableKind] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
_XLS_ADVICE = (
    "不支持.xls格式（或设置了密码的工作簿），请在Excel中“另存为”.xlsx格式（不设密码）后重新上传"
)
# Cells reported in one error before the rest are summarised.
_MAX_REPORTED = 20


class TableErrorCode(StrEnum):
    """The stable ``code`` of each kind of :class:`TableError`."""

    UNREADABLE = "table_unreadable"
    HEADER_INVALID = "table_header_invalid"
    COLUMNS_MISMATCH = "table_columns_mismatch"
    MERGED_CELLS = "table_merged_cells"
    ROW_INVALID = "table_row_invalid"
    TOO_LARGE = "table_too_large"


class TableError(InvalidInput):
    """A table that cannot be read as given; ``fields`` says where (line, column, range)."""

    code = TableErrorCode.UNREADABLE.value
    default_message = "无法读取表格文件"


@dataclass(frozen=True)
class TableRow:
    """A data row: its number in the file as a person sees it, and its trimmed cells."""

    number: int
    values: dict[str, str]


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[TableRow]
    kind: TableKind
    encoding: str | None = None
    """For CSV, the encoding detected or given; ``None`` for workbooks."""
    sheet: str | None = None
    """For workbooks, the title of the sheet read."""
    header_row: int = 1
    """The line or row number of the header."""


def read_table(
    source: Path | bytes,
    *,
    kind: TableKind | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    filename: str | None = None,
    delimiter: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> Table:
    """Read a CSV file or the first (or named) sheet of an .xlsx workbook.

    The kind is ``kind`` if given, else the extension of ``filename`` (or of the
    path), else what the content looks like. The first non-empty row is the
    header; fully empty rows are skipped without renumbering the others.
    """
    data = source.read_bytes() if isinstance(source, Path) else source
    name = filename if filename is not None else (source.name if isinstance(source, Path) else "")
    resolved = kind or _kind_of(data, name)
    if not data.strip():
        raise TableError(
            "文件为空，没有表头", code=TableErrorCode.HEADER_INVALID, fields=_file("空")
        )
    if resolved == "xlsx":
        return _read_xlsx(data, sheet=sheet, max_rows=max_rows)
    if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        raise TableError(
            "文件内容是Excel工作簿而不是CSV文本，请以.xlsx扩展名上传", fields=_file("不是CSV")
        )
    return _read_csv(data, encoding=encoding, delimiter=delimiter, max_rows=max_rows)


def require_columns(table: Table, required: Collection[str], allowed: Collection[str]) -> None:
    """Refuse a header that lacks a required column or has one that is not allowed.

    ``allowed`` lists the optional columns; required ones are always allowed.
    Missing and unknown columns are reported together, each under its name.
    """
    present = set(table.header)
    missing = [column for column in required if column not in present]
    known = set(required) | set(allowed)
    unknown = [column for column in table.header if column not in known]
    if not missing and not unknown:
        return
    fields = dict.fromkeys(missing, "缺少此列")
    fields.update(dict.fromkeys(unknown, "无法识别的列"))
    parts = []
    if missing:
        parts.append("缺少必需的列" + _quoted(missing))
    if unknown:
        expected = [*required, *(column for column in allowed if column not in set(required))]
        parts.append(f"无法识别的列{_quoted(unknown)}（可用的列：{_quoted(expected)}）")
    raise TableError(
        "表头不符合要求：" + "；".join(parts),
        code=TableErrorCode.COLUMNS_MISMATCH,
        fields=fields,
    )


# ---------------------------------------------------------------------------
# Kind and encoding
# ---------------------------------------------------------------------------


def _kind_of(data: bytes, name: str) -> TableKind:
    suffix = Path(name).suffix.lower() if name else ""
    if suffix == ".xls" or data.startswith(_OLE_MAGIC):
        raise TableError(_XLS_ADVICE, fields=_file(".xls"))
    if suffix in _SUFFIX_KINDS:
        return _SUFFIX_KINDS[suffix]
    if suffix:
        raise TableError(
            f"不支持的文件类型“{suffix}”，请上传CSV（.csv）或Excel（.xlsx）文件",
            fields=_file(suffix),
        )
    return "xlsx" if data.startswith(_ZIP_MAGIC) else "csv"


def _decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    """The text and the name of the encoding it was read with."""
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise TableError(
                f"未知的文件编码“{encoding}”，常用的有UTF-8、GBK、GB18030", fields=_file(encoding)
            ) from None
        try:
            return data.decode(codec).removeprefix("\ufeff"), codec
        except UnicodeDecodeError as exc:
            line = _line_of(data, exc.start)
            raise TableError(
                f"第{line}行无法按指定的编码{encoding}读取，请确认文件编码（常见为UTF-8或GBK）",
                fields={f"第{line}行": f"不是{encoding}编码"},
            ) from None
    if data.startswith(_UTF16_BOMS):
        return _strict(data, "utf-16", "utf-16")
    if data.startswith(_UTF8_BOM):
        return _strict(data[len(_UTF8_BOM) :], "utf-8", "utf-8-sig")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        failed_at = exc.start
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    line = _line_of(data, failed_at)
    # charset-normalizer guesses wildly on short or mixed text, so its answer is
    # offered as a hint to confirm rather than used to decode silently.
    guess = from_bytes(data).best()
    hint = f"（可能是{guess.encoding}编码）" if guess is not None else ""
    raise TableError(
        f"无法识别文件编码：第{line}行既不是UTF-8也不是GBK/GB18030编码{hint}，"
        "请在编辑器中另存为UTF-8后重新上传，或指定文件编码",
        fields={f"第{line}行": "无法识别的编码"},
    )


def _strict(data: bytes, codec: str, label: str) -> tuple[str, str]:
    try:
        return data.decode(codec).removeprefix("\ufeff"), label
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        raise TableError(
            f"文件以{label}标记开头，但第{line}行不是{label}编码，请检查文件是否损坏",
            fields={f"第{line}行": f"不是{label}编码"},
        ) from None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------


def _read_csv(data: bytes, *, encoding: str | None, delimiter: str | None, max_rows: int) -> Table:
    text, used = _decode(data, encoding)
    if delimiter is None:
        delimiter = _sniff_delimiter(text)
    elif len(delimiter) != 1:
        raise TableError("分隔符应为单个字符", fields=_file(delimiter))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _assemble(_csv_rows(reader), kind="csv", encoding=used, max_rows=max_rows)


def _sniff_delimiter(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            counts = {candidate: line.count(candidate) for candidate in DELIMITERS}
            best = max(DELIMITERS, key=lambda candidate: counts[candidate])
            return best if counts[best] else ","
    return ","


def _csv_rows(reader: Reader) -> Iterator[tuple[int, list[str]]]:
    ended_at = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = ended_at + 1
            raise TableError(
                f"第{line}行不是有效的CSV（{exc}），请检查引号是否成对、单元格是否过长",
                code=TableErrorCode.ROW_INVALID,
                fields={f"第{line}行": "格式错误"},
            ) from None
        # A quoted cell may span lines: the row starts after the previous one ended.
        yield ended_at + 1, [cell.strip() for cell in record]
        ended_at = reader.line_num


# ---------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------


# What openpyxl, zipfile and the XML parser raise on a damaged workbook.
_CORRUPT = (
    InvalidFileException,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    ValueError,
    TypeError,
    SyntaxError,  # xml.etree.ElementTree.ParseError
    OSError,
)


def _read_xlsx(data: bytes, *, sheet: str | None, max_rows: int) -> Table:
    if data.startswith(_OLE_MAGIC):
        raise TableError(_XLS_ADVICE, fields=_file(".xls"))
    if not data.startswith(_ZIP_MAGIC):
        raise TableError("文件不是有效的.xlsx工作簿，请用Excel打开后重新保存", fields=_file("损坏"))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _CORRUPT:
        raise _corrupt() from None
    try:
        return _read_sheet(data, _pick_sheet(workbook, sheet), max_rows)
    except _CORRUPT:
        raise _corrupt() from None
    finally:
        workbook.close()


def _corrupt() -> TableError:
    return TableError("无法读取该.xlsx工作簿，请用Excel打开后重新保存", fields=_file("损坏"))


def _read_sheet(data: bytes, worksheet: Any, max_rows: int) -> Table:
    merged = _merged_ranges(data, worksheet._worksheet_path)
    if merged:
        shown = "、".join(merged[:_MAX_REPORTED]) + ("等" if len(merged) > _MAX_REPORTED else "")
        raise TableError(
            f"工作表“{worksheet.title}”含有合并单元格：{shown}。"
            "请取消合并，并在原合并区域的每个单元格中填写相应的值后重新上传",
            code=TableErrorCode.MERGED_CELLS,
            fields=dict.fromkeys(merged, "合并单元格"),
        )
    worksheet.reset_dimensions()  # some writers record a wrong size
    rows = (
        (number, [_cell_text(value) for value in values])
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1)
    )
    return _assemble(rows, kind="xlsx", sheet=worksheet.title, max_rows=max_rows, column=_letter)


def _pick_sheet(workbook: Any, sheet: str | None) -> Any:
    sheets = workbook.worksheets
    if not sheets:
        raise TableError("工作簿中没有工作表", fields={"sheet": "没有工作表"})
    if sheet is None:
        return sheets[0]
    for candidate in sheets:
        if candidate.title == sheet:
            return candidate
    names = "、".join(f"“{candidate.title}”" for candidate in sheets)
    raise TableError(f"工作簿中没有名为“{sheet}”的工作表（现有：{names}）", fields={"sheet": sheet})


_SHEET_DATA_END = re.compile(rb"</(?:[\w.-]+:)?sheetData\s*>|<(?:[\w.-]+:)?sheetData\s*/>")
_MERGE_REF = re.compile(rb"<(?:[\w.-]+:)?mergeCell\b[^>]*?\bref\s*=\s*[\"']([^\"']+)[\"']")


def _merged_ranges(data: bytes, sheet_path: str) -> list[str]:
    """The merged ranges of a sheet, read from the XML after its cell data.

    openpyxl's streaming mode does not report merges, and loading the whole
    sheet to learn them would hold every cell in memory.
    """
    window = b""
    rest = bytearray()
    found = False
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(sheet_path) as stream:
        while chunk := stream.read(1 << 20):
            if found:
                rest += chunk
                continue
            window += chunk
            match = _SHEET_DATA_END.search(window)
            if match is None:
                window = window[-64:]
            else:
                found = True
                rest += window[match.end() :]
    ranges = {match.group(1).decode("ascii", "replace") for match in _MERGE_REF.finditer(rest)}
    return sorted(ranges, key=_range_position)


def _range_position(cell_range: str) -> tuple[int, int]:
    try:
        min_col, min_row, _, _ = range_boundaries(cell_range)
    except ValueError:
        return (0, 0)
    return (min_row or 0, min_col or 0)


def _cell_text(value: object) -> str:
    """A cell value as the text a person would type for it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number_text(value)
    if isinstance(value, date | time | timedelta):
        return _temporal_text(value)
    return str(value).strip()


def _number_text(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return f"{value:.15g}"  # Excel's own precision: 0.1 + 0.2 reads as 0.3


def _temporal_text(value: date | time | timedelta) -> str:
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


# ---------------------------------------------------------------------------
# Header and rows, whatever the source
# ---------------------------------------------------------------------------


def _ordinal(index: int) -> str:
    return f"第{index + 1}列"


def _letter(index: int) -> str:
    return f"{get_column_letter(index + 1)}列"


def _assemble(
    numbered: Iterable[tuple[int, list[str]]],
    *,
    kind: TableKind,
    max_rows: int,
    encoding: str | None = None,
    sheet: str | None = None,
    column: Callable[[int], str] = _ordinal,
) -> Table:
    lines = ((number, cells) for number, cells in numbered if any(cells))
    first = next(lines, None)
    if first is None:
        raise TableError(
            "文件中没有内容，缺少表头", code=TableErrorCode.HEADER_INVALID, fields=_file("空")
        )
    header_row, raw_header = first
    named = _check_header(raw_header, column)
    header = [raw_header[index] for index in named]
    named_set = set(named)
    rows: list[TableRow] = []
    # Cells outside any named column: where each such column first has a value.
    stray: dict[int, int] = {}
    for number, cells in lines:
        if len(rows) == max_rows:
            raise TableError(
                f"数据超过{max_rows}行的上限，请拆分为多个文件",
                code=TableErrorCode.TOO_LARGE,
                fields={"rows": f"超过{max_rows}行"},
            )
        for index, cell in enumerate(cells):
            if cell and index not in named_set and index not in stray:
                stray[index] = number
        values = {raw_header[index]: cells[index] if index < len(cells) else "" for index in named}
        rows.append(TableRow(number, values))
    if stray:
        raise TableError(
            "以下列有数据但没有列名，请补上列名或删除这些数据："
            + "、".join(
                f"{column(index)}（第{number}行）" for index, number in sorted(stray.items())
            ),
            code=TableErrorCode.HEADER_INVALID,
            fields={
                column(index): f"没有列名，但第{number}行有值" for index, number in stray.items()
            },
        )
    return Table(header, rows, kind, encoding, sheet, header_row)


def _check_header(raw: list[str], column: Callable[[int], str]) -> list[int]:
    """The positions of the named columns; duplicate names are refused.

    Blank header cells are allowed only over columns that hold no data (Excel
    often reports formatted but empty columns); the caller checks that.
    """
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(raw):
        if name:
            positions.setdefault(name, []).append(index)
    duplicates = {name: places for name, places in positions.items() if len(places) > 1}
    if duplicates:
        described = {
            name: "列名重复（" + "、".join(column(index) for index in places) + "）"
            for name, places in duplicates.items()
        }
        raise TableError(
            "表头中有重复的列名："
            + "；".join(f"“{name}”{text}" for name, text in described.items()),
            code=TableErrorCode.HEADER_INVALID,
            fields=described,
        )
    return sorted(index for places in positions.values() for index in places)


def _quoted(names: Iterable[str]) -> str:
    return "、".join(f"“{name}”" for name in names)


def _file(detail: str) -> dict[str, str]:
    return {"file": detail}
