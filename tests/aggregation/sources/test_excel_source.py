"""Reading .xlsx sources: text cells, header rules, merged cells refused."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl  # type: ignore[import-untyped]
import pytest

from govdata.errors import SourceFailed

from .conftest import read_all


def local(text: str) -> datetime:
    """A date and time as a spreadsheet holds it: without a time zone."""
    return datetime.fromisoformat(text)


def workbook(path: Path, rows: list[list[Any]], *, title: str = "数据", merge: str = "") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, not a formula
    if merge:
        sheet.merge_cells(merge)
    book.save(path)
    return path


def failure(path: Path, **options: object) -> SourceFailed:
    with pytest.raises(SourceFailed) as caught:
        read_all("xlsx", path, options)
    return caught.value


def test_cells_come_through_as_the_text_a_person_sees(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "people.xlsx",
        [
            ["姓名", "出生日期", "登记时间", "人数", "金额", "公式"],
            ["张三", date(1990, 3, 7), local("2024-01-02 09:30"), 3, 100.5, "=1+1"],
            ["李四", local("1985-12-12 00:00"), None, 2.0, 0.1 + 0.2, "@SUM(A1)"],
        ],
    )

    result = read_all("xlsx", path)

    assert result.columns == ["姓名", "出生日期", "登记时间", "人数", "金额", "公式"]
    assert result.records == [
        {
            "姓名": "张三",
            "出生日期": "1990-03-07",
            "登记时间": "2024-01-02 09:30:00",
            "人数": "3",
            "金额": "100.5",
            "公式": "=1+1",
        },
        {
            "姓名": "李四",
            "出生日期": "1985-12-12",
            "登记时间": "",
            "人数": "2",
            "金额": "0.3",
            "公式": "@SUM(A1)",
        },
    ]
    assert result.rows == [2, 3]


def test_formula_cells_give_their_cached_values(tmp_path: Path) -> None:
    path = workbook(tmp_path / "formula.xlsx", [["a", "b"], [1, None]])
    book = openpyxl.load_workbook(path)
    book.active["B2"] = "=A2*2"
    book.save(path)
    # openpyxl writes no cached value; patch one in the way Excel saves it.
    with_value = tmp_path / "cached.xlsx"
    _set_cached_value(path, with_value, cell="B2", value="2")

    assert read_all("xlsx", with_value).records == [{"a": "1", "b": "2"}]


def test_first_non_empty_row_is_the_header_and_empty_rows_are_skipped(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "offset.xlsx",
        [[], [None, None], ["编号", "名称", None], [1, "甲"], [], [2, "乙"]],
    )

    result = read_all("xlsx", path)

    assert result.columns == ["编号", "名称"]
    assert result.records == [{"编号": "1", "名称": "甲"}, {"编号": "2", "名称": "乙"}]
    assert result.rows == [4, 6]


def test_named_sheet_is_read(tmp_path: Path) -> None:
    path = workbook(tmp_path / "two.xlsx", [["a"], ["first"]], title="一")
    book = openpyxl.load_workbook(path)
    second = book.create_sheet("二")
    second.append(["b"])
    second.append(["second"])
    book.save(path)

    assert read_all("xlsx", path, {"sheet": "二"}).records == [{"b": "second"}]
    assert read_all("xlsx", path).records == [{"a": "first"}]


def test_missing_sheet_is_not_found(tmp_path: Path) -> None:
    error = failure(workbook(tmp_path / "one.xlsx", [["a"]], title="一"), sheet="没有")

    assert error.error_code == "source_not_found"
    assert "“一”" in error.message


def test_merged_cells_are_refused_naming_the_ranges(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "merged.xlsx", [["地区", "人数"], ["呼和浩特", 1], [None, 2]], merge="A2:A3"
    )

    error = failure(path)

    assert error.error_code == "source_refused"
    assert "A2:A3" in error.message


def test_values_outside_the_header_are_rejected_as_ragged(tmp_path: Path) -> None:
    path = workbook(tmp_path / "ragged.xlsx", [["a", "b"], [1, 2], [3, 4, "多余"]])

    result = read_all("xlsx", path)

    assert result.records == [{"a": "1", "b": "2"}]
    assert [(r.row, r.raw, r.reason_code) for r in result.rejected] == [
        (3, "3,4,多余", "ragged_row")
    ]
    assert "C列" in result.rejected[0].reason


def test_short_rows_are_padded_with_empty_text(tmp_path: Path) -> None:
    path = workbook(tmp_path / "short.xlsx", [["a", "b", "c"], [1]])

    assert read_all("xlsx", path).records == [{"a": "1", "b": "", "c": ""}]


def test_duplicate_header_names_are_refused(tmp_path: Path) -> None:
    error = failure(workbook(tmp_path / "dup.xlsx", [["名称", "名称"], [1, 2]]))

    assert error.error_code == "source_malformed"
    assert "A、B" in error.message


def test_blank_header_between_names_is_refused(tmp_path: Path) -> None:
    error = failure(workbook(tmp_path / "blank.xlsx", [["a", None, "c"], [1, 2, 3]]))

    assert error.error_code == "source_malformed"
    assert "B列" in error.message


def test_empty_sheet_is_refused(tmp_path: Path) -> None:
    assert failure(workbook(tmp_path / "empty.xlsx", [])).error_code == "source_empty"


def test_xls_workbooks_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 512)

    error = failure(path)

    assert error.error_code == "source_refused"
    assert ".xlsx" in error.message


def test_truncated_workbook_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "cut.xlsx", [["a"], [1]])
    path.write_bytes(path.read_bytes()[:-200])

    assert failure(path).error_code == "source_truncated"


def test_batches_hold_at_most_batch_rows(tmp_path: Path) -> None:
    path = workbook(tmp_path / "many.xlsx", [["n"], *([n] for n in range(1, 26))])

    result = read_all("xlsx", path, batch_rows=10)

    assert [table.num_rows for table in result.tables] == [10, 10, 5]
    assert result.rows == list(range(2, 27))
    assert result.progress.rows_read == 25
    assert result.progress.bytes_total == path.stat().st_size


def _set_cached_value(source: Path, target: Path, *, cell: str, value: str) -> None:
    import zipfile  # noqa: PLC0415

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode("utf-8")
                start = text.index(f'<c r="{cell}"')
                empty = text.index("<v />", start)
                text = text[:empty] + f"<v>{value}</v>" + text[empty + len("<v />") :]
                data = text.encode("utf-8")
            new.writestr(item, data)
