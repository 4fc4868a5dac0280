"""Reading uploaded tables: encodings, Excel values, refusals that say where."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from govdata.errors import InvalidInput
from govdata.tabular import Table, TableError, TableErrorCode, read_table, require_columns

CHINESE_CSV = (
    "资源代码,资源名称,备注\n"
    "101001/000001,人口基本信息,户籍人口\n"
    "101001/000002,法人单位信息,统一社会信用代码\n"
)
EXPECTED_ROWS = [
    {"资源代码": "101001/000001", "资源名称": "人口基本信息", "备注": "户籍人口"},
    {"资源代码": "101001/000002", "资源名称": "法人单位信息", "备注": "统一社会信用代码"},
]


def values(table: Table) -> list[dict[str, str]]:
    return [row.values for row in table.rows]


def workbook_bytes(
    *rows: Sequence[object], merge: Sequence[str] = (), title: str = "Sheet"
) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for cell_range in merge:
        sheet.merge_cells(cell_range)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def refusal(source: Path | bytes, **options: object) -> TableError:
    with pytest.raises(TableError) as caught:
        read_table(source, **options)  # type: ignore[arg-type]
    return caught.value


# ---------------------------------------------------------------------------
# CSV encodings
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoded", "detected"),
    [
        (CHINESE_CSV.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + CHINESE_CSV.encode("utf-8"), "utf-8-sig"),
        (CHINESE_CSV.encode("gbk"), "gb18030"),
        (CHINESE_CSV.encode("gb18030"), "gb18030"),
        (CHINESE_CSV.encode("utf-16"), "utf-16"),
    ],
    ids=["utf-8", "utf-8-bom", "gbk", "gb18030", "utf-16-bom"],
)
def test_chinese_csv_is_read_whatever_common_encoding_it_was_saved_in(
    encoded: bytes, detected: str
) -> None:
    table = read_table(encoded)
    assert table.kind == "csv"
    assert table.encoding == detected
    assert table.header == ["资源代码", "资源名称", "备注"]
    assert values(table) == EXPECTED_ROWS


def test_gb18030_only_characters_are_read() -> None:
    # 𠀀 (U+20000) has no GBK code; GB18030 encodes it in four bytes.
    text = "名称\n𠀀字号\n"
    assert values(read_table(text.encode("gb18030"))) == [{"名称": "𠀀字号"}]


def test_a_given_encoding_overrides_detection() -> None:
    # These GBK bytes also decode (wrongly) as Big5; the caller knows better.
    table = read_table(CHINESE_CSV.encode("gbk"), encoding="GBK")
    assert table.encoding == "gbk"
    assert values(table) == EXPECTED_ROWS


def test_a_wrong_encoding_is_reported_with_the_line_it_fails_on() -> None:
    data = "code,name\nA1,plain\nA2,人口\n".encode("gbk")
    error = refusal(data, encoding="utf-8")
    assert "第3行" in error.message
    assert "utf-8" in error.message
    assert error.fields == {"第3行": "不是utf-8编码"}
    assert isinstance(error, InvalidInput)
    assert error.error_code == TableErrorCode.UNREADABLE


def test_an_unknown_encoding_name_is_refused() -> None:
    assert "未知的文件编码" in refusal(b"a\n1\n", encoding="klingon").message


def test_text_in_neither_utf8_nor_gb18030_is_refused_rather_than_guessed() -> None:
    data = "name,city\nJosé,São Paulo\n".encode("cp1252")
    error = refusal(data)
    assert "第2行" in error.message
    assert "UTF-8" in error.message
    assert error.fields == {"第2行": "无法识别的编码"}
    assert read_table(data, encoding="cp1252").rows[0].values["city"] == "São Paulo"


# ---------------------------------------------------------------------------
# CSV structure
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_the_delimiter_is_sniffed_from_the_header(delimiter: str) -> None:
    text = f"名称{delimiter}数量\n甲{delimiter}1\n"
    assert values(read_table(text.encode())) == [{"名称": "甲", "数量": "1"}]


def test_cells_are_trimmed_and_quoted_cells_keep_delimiters_and_line_breaks() -> None:
    text = '名称 , 说明\n  甲  ,"含,逗号"\n乙,"两\n行"\n丙,\n'
    table = read_table(text.encode())
    assert table.header == ["名称", "说明"]
    assert values(table) == [
        {"名称": "甲", "说明": "含,逗号"},
        {"名称": "乙", "说明": "两\n行"},
        {"名称": "丙", "说明": ""},
    ]


def test_blank_lines_are_skipped_but_rows_keep_their_line_numbers() -> None:
    text = '\n名称,说明\n\n甲,1\n , \n乙,"跨\n行"\n丙,3\n\n'
    table = read_table(text.encode())
    assert table.header_row == 2
    assert [(row.number, row.values["名称"]) for row in table.rows] == [
        (4, "甲"),
        (6, "乙"),
        (8, "丙"),
    ]


def test_short_rows_are_padded_with_empty_cells() -> None:
    assert values(read_table(b"a,b,c\n1\n")) == [{"a": "1", "b": "", "c": ""}]


@given(
    st.lists(
        st.lists(
            st.text(st.characters(codec="gb18030", exclude_categories=["Cs", "Cc"])),
            min_size=2,
            max_size=2,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_csv_written_by_the_csv_module_reads_back_trimmed(rows: list[list[str]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["甲", "乙"])
    writer.writerows(rows)
    table = read_table(buffer.getvalue().encode("gb18030"))
    expected = [
        {"甲": first.strip(), "乙": second.strip()}
        for first, second in rows
        if first.strip() or second.strip()
    ]
    assert values(table) == expected


def test_an_unterminated_quote_or_oversized_cell_is_reported_with_its_line() -> None:
    data = b"a,b\n1,2\n3," + b'"' + b"x" * 200_000 + b"\n"
    error = refusal(data)
    assert error.error_code == TableErrorCode.ROW_INVALID
    assert "第3行" in error.message


# ---------------------------------------------------------------------------
# Headers and columns
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b"\xef\xbb\xbf", b",,,\n,,\n"])
def test_an_empty_file_has_no_header(data: bytes) -> None:
    error = refusal(data)
    assert error.error_code == TableErrorCode.HEADER_INVALID


def test_duplicate_column_names_are_refused_naming_their_positions() -> None:
    error = refusal("名称,说明,名称\n1,2,3\n".encode())
    assert error.error_code == TableErrorCode.HEADER_INVALID
    assert error.fields == {"名称": "列名重复（第1列、第3列）"}


def test_a_column_with_values_but_no_name_is_refused() -> None:
    error = refusal("名称,,说明\n甲,,1\n乙,x,2\n丙,1,2,extra\n".encode())
    assert error.error_code == TableErrorCode.HEADER_INVALID
    assert error.fields == {
        "第2列": "没有列名，但第3行有值",
        "第4列": "没有列名，但第4行有值",
    }


def test_unnamed_columns_without_any_value_are_ignored() -> None:
    # Excel often saves trailing separators of formatted but empty columns.
    table = read_table("名称,,说明,,\n甲,,1,,\n".encode())
    assert table.header == ["名称", "说明"]
    assert values(table) == [{"名称": "甲", "说明": "1"}]


def test_missing_and_unknown_columns_are_reported_in_one_error() -> None:
    table = read_table("资源代码,备注,其他\n1,2,3\n".encode())
    with pytest.raises(TableError) as caught:
        require_columns(table, ["资源代码", "资源名称", "分类代码"], ["摘要"])
    error = caught.value
    assert error.error_code == TableErrorCode.COLUMNS_MISMATCH
    assert error.fields == {
        "资源名称": "缺少此列",
        "分类代码": "缺少此列",
        "备注": "无法识别的列",
        "其他": "无法识别的列",
    }
    assert "“资源名称”、“分类代码”" in error.message
    assert "“摘要”" in error.message  # the allowed columns are listed


def test_required_and_allowed_columns_pass() -> None:
    table = read_table("资源代码,摘要\n1,2\n".encode())
    require_columns(table, ["资源代码"], ["摘要", "格式说明"])


# ---------------------------------------------------------------------------
# Size guard and kinds
# ---------------------------------------------------------------------------


def test_more_rows_than_the_limit_are_refused() -> None:
    data = b"a\n" + b"1\n" * 11
    assert len(read_table(data, max_rows=11).rows) == 11
    error = refusal(data, max_rows=10)
    assert error.error_code == TableErrorCode.TOO_LARGE
    assert "10" in error.message


def test_xls_files_are_refused_with_the_advice_to_save_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "目录.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 512)
    assert "另存为" in refusal(path).message
    assert ".xlsx" in refusal(path.read_bytes()).message  # recognised by content too


@pytest.mark.parametrize("name", ["目录.ods", "目录.numbers", "目录.et"])
def test_other_file_types_are_refused(name: str) -> None:
    assert "不支持的文件类型" in refusal(b"a\n1\n", filename=name).message


def test_an_xlsx_uploaded_as_csv_is_refused_clearly() -> None:
    assert "Excel工作簿" in refusal(workbook_bytes(["a"], [1]), kind="csv").message


def test_a_corrupt_xlsx_is_refused() -> None:
    assert "无法读取" in refusal(b"PK\x03\x04broken", kind="xlsx").message
    assert "不是有效的.xlsx" in refusal(b"a,b\n", kind="xlsx").message


def test_the_kind_follows_the_file_name_then_the_content(tmp_path: Path) -> None:
    workbook = workbook_bytes(["名称"], ["甲"])
    assert read_table(workbook).kind == "xlsx"
    assert read_table(workbook, filename="x.XLSX").kind == "xlsx"
    path = tmp_path / "data.csv"
    path.write_text("名称\n甲\n", encoding="utf-8")
    assert read_table(path).kind == "csv"


# ---------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------


def test_xlsx_values_are_read_as_the_text_a_person_would_type() -> None:
    data = workbook_bytes(
        ["整数", "小数", "浮点整数", "日期", "日期时间", "时间", "布尔", "文本"],
        [
            12,
            0.1 + 0.2,
            3.0,
            date(2024, 1, 2),
            datetime.combine(date(2024, 1, 2), time(13, 45, 10)),
            time(8, 30),
            True,
            "  甲  ",
        ],
        [-7, 2.5, 1e20, datetime.combine(date(2024, 3, 4), time(0)), None, None, False, "0012"],
    )
    table = read_table(data)
    assert table.kind == "xlsx"
    assert table.encoding is None
    assert values(table) == [
        {
            "整数": "12",
            "小数": "0.3",
            "浮点整数": "3",
            "日期": "2024-01-02",
            "日期时间": "2024-01-02 13:45:10",
            "时间": "08:30:00",
            "布尔": "true",
            "文本": "甲",
        },
        {
            "整数": "-7",
            "小数": "2.5",
            "浮点整数": "1e+20",
            "日期": "2024-03-04",
            "日期时间": "",
            "时间": "",
            "布尔": "false",
            "文本": "0012",
        },
    ]


def with_sheet_xml(data: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook with its first sheet's XML changed."""
    source = zipfile.ZipFile(io.BytesIO(data))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = change(content)
            target.writestr(info, content)
    return patched.getvalue()


def test_formulas_are_read_as_their_cached_values() -> None:
    data = workbook_bytes(["甲", "乙", "合计"], [1, 2, "=A2+B2"])
    # openpyxl cannot calculate; store the value Excel would have cached.
    cached = with_sheet_xml(
        data, lambda xml: xml.replace(b"<f>A2+B2</f><v />", b"<f>A2+B2</f><v>3</v>")
    )
    assert cached != data
    assert values(read_table(cached)) == [{"甲": "1", "乙": "2", "合计": "3"}]


def test_a_workbook_with_damaged_sheet_xml_is_refused() -> None:
    data = workbook_bytes(["名称"], *(["甲"] for _ in range(50)))
    error = refusal(with_sheet_xml(data, lambda xml: xml[: len(xml) // 2]))
    assert error.error_code == TableErrorCode.UNREADABLE
    assert "重新保存" in error.message


def test_xlsx_rows_keep_their_sheet_row_numbers() -> None:
    data = workbook_bytes([], ["名称", "数量"], ["甲", 1], [], [None, None], ["乙", 2])
    table = read_table(data)
    assert table.header_row == 2
    assert [(row.number, row.values["名称"]) for row in table.rows] == [(3, "甲"), (6, "乙")]


def test_merged_cells_are_refused_naming_every_range() -> None:
    data = workbook_bytes(
        ["资源代码", "资源名称", "信息项名称"],
        ["101001/000001", "人口", "姓名"],
        [None, None, "性别"],
        merge=["A2:A3", "B2:B3"],
    )
    error = refusal(data)
    assert error.error_code == TableErrorCode.MERGED_CELLS
    assert error.fields == {"A2:A3": "合并单元格", "B2:B3": "合并单元格"}
    assert "A2:A3、B2:B3" in error.message
    assert "取消合并" in error.message
    assert "填写" in error.message


def test_a_named_sheet_is_read_and_an_unknown_one_is_refused() -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["说明"])
    data_sheet = workbook.create_sheet("数据")
    data_sheet.append(["名称"])
    data_sheet.append(["甲"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue(), sheet="数据")
    assert table.sheet == "数据"
    assert values(table) == [{"名称": "甲"}]
    error = refusal(buffer.getvalue(), sheet="目录")
    assert "“Sheet”、“数据”" in error.message


def test_xlsx_headers_are_checked_like_csv_headers() -> None:
    error = refusal(workbook_bytes(["名称", None, "名称"], ["甲", "x", "乙"]))
    assert error.fields == {"名称": "列名重复（A列、C列）"}
    error = refusal(workbook_bytes(["名称", None], ["甲", "x"]))
    assert error.fields == {"B列": "没有列名，但第2行有值"}


def test_the_size_guard_applies_to_workbooks() -> None:
    data = workbook_bytes(["a"], *([index] for index in range(6)))
    assert refusal(data, max_rows=5).error_code == TableErrorCode.TOO_LARGE
