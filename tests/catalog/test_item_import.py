"""Information items drafted from a data file's columns, typed by their values."""

from __future__ import annotations

import io
from datetime import date, datetime, time

import openpyxl  # type: ignore[import-untyped]
import pytest
from hypothesis import given
from hypothesis import strategies as st

from govdata.catalog.item_import import guess_type, items_from_table
from govdata.catalog.schemas import ItemIn
from govdata.catalog.vocab import DataType, Grade
from govdata.orgs.codes import id_number_check_char
from govdata.tabular import Table, TableError, TableErrorCode, TableRow, read_table


def table_of(columns: dict[str, list[str]]) -> Table:
    header = list(columns)
    height = max((len(values) for values in columns.values()), default=0)
    rows = [
        TableRow(
            number + 2,
            {
                name: values[number] if number < len(values) else ""
                for name, values in columns.items()
            },
        )
        for number in range(height)
    ]
    return Table(header, rows, "csv", "utf-8")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "-20", "300"], (DataType.INTEGER, None)),
        (["1.5", "20", "-300.25"], (DataType.NUMERIC, 5)),
        (["2024-01-02", "2024/1/2", "2024年12月31日"], (DataType.DATE, None)),
        (["2024-01-02 08:30", "2024-01-02T08:30:15", "2024-01-03"], (DataType.DATETIME, None)),
        (["true", "FALSE", "是", "否"], (DataType.LOGICAL, None)),
        (["甲" * 256, "短"], (DataType.MEMO, None)),
        (["北京", "内蒙古自治区"], (DataType.CHARACTER, 10)),
        (["x" * 21, "y"], (DataType.CHARACTER, 50)),
        (["x" * 250, "y"], (DataType.CHARACTER, 255)),
        # Codes of one length keep it: credit codes, identity numbers.
        (["11150100MB0000001L", "11150100MB0000002P"], (DataType.CHARACTER, 18)),
        # Zero-padded or very long digit strings are codes, not numbers.
        (["010", "020"], (DataType.CHARACTER, 3)),
        (["1234567890123456789", "1"], (DataType.CHARACTER, 20)),
        (["2024-02-30"], (DataType.CHARACTER, 10)),  # not a real date
        (["2024-01-02 25:00"], (DataType.CHARACTER, 16)),
        (["1", "是"], (DataType.CHARACTER, 1)),
        ([], (DataType.CHARACTER, 255)),
    ],
)
def test_the_type_is_the_narrowest_that_fits_every_value(
    values: list[str], expected: tuple[DataType, int | None]
) -> None:
    assert guess_type(values) == expected


def test_one_item_per_column_in_header_order_with_default_grade() -> None:
    items = items_from_table(
        table_of({"单位": ["甲局", "乙局"], "年龄": ["30", "41"], "备注": ["", ""]})
    )
    assert items == [
        ItemIn(name="单位", data_type=DataType.CHARACTER, length=2),
        ItemIn(name="年龄", data_type=DataType.INTEGER),
        ItemIn(name="备注", data_type=DataType.CHARACTER, length=255),
    ]
    assert all(item.grade is Grade.GENERAL_2 and not item.sensitive for item in items)


def test_columns_of_personal_data_are_proposed_sensitive_with_a_higher_grade() -> None:
    body = "11010519491231002"
    items = items_from_table(
        table_of(
            {
                "姓名": ["张三", "欧阳娜娜"],
                "公民身份号码": [body + id_number_check_char(body), "150102198001010014"],
                "手机号码": ["13812345678", "13987654321"],
                "年龄": ["30", "41"],
            }
        )
    )
    proposed = {item.name: (item.grade, item.sensitive, item.data_type) for item in items}
    assert proposed == {
        "姓名": (Grade.GENERAL_3, True, DataType.CHARACTER),
        "公民身份号码": (Grade.GENERAL_4, True, DataType.CHARACTER),
        # All digits, yet a code: text, not an integer.
        "手机号码": (Grade.GENERAL_3, True, DataType.CHARACTER),
        "年龄": (Grade.GENERAL_2, False, DataType.INTEGER),
    }
    assert all(item.description.startswith("自动识别建议") for item in items[:3])


def test_id_numbers_with_wrong_check_digits_are_not_proposed_sensitive() -> None:
    wrong = ["110105194912310021", "110105194912310022", "110105194912310023"]
    (item,) = items_from_table(table_of({"编号": wrong}))
    assert (item.grade, item.sensitive) == (Grade.GENERAL_2, False)


def test_a_header_only_file_gives_character_items_of_length_255() -> None:
    table = read_table("统一社会信用代码,单位名称\n".encode())
    assert [(i.name, i.data_type, i.length) for i in items_from_table(table)] == [
        ("统一社会信用代码", DataType.CHARACTER, 255),
        ("单位名称", DataType.CHARACTER, 255),
    ]


def test_only_the_sample_rows_are_looked_at() -> None:
    table = table_of({"数量": ["1", "2", "三"]})
    assert items_from_table(table, sample_rows=2)[0].data_type is DataType.INTEGER
    assert items_from_table(table)[0].data_type is DataType.CHARACTER


def test_values_from_excel_are_typed_as_excel_typed_them() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["数量", "金额", "登记日期", "更新时间", "有效"])
    sheet.append([3, 12.5, date(2024, 1, 2), datetime.combine(date(2024, 1, 2), time(9, 30)), True])
    sheet.append([40, 7, date(2024, 2, 29), datetime.combine(date(2024, 3, 1), time(0)), False])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert [(i.data_type, i.length) for i in items_from_table(read_table(buffer.getvalue()))] == [
        (DataType.INTEGER, None),
        (DataType.NUMERIC, 3),
        (DataType.DATE, None),
        (DataType.DATETIME, None),
        (DataType.LOGICAL, None),
    ]


def test_column_names_longer_than_an_item_name_are_refused() -> None:
    long_name = "很长的列名" * 21
    with pytest.raises(TableError) as caught:
        items_from_table(table_of({"姓名": [], long_name: []}))
    assert caught.value.error_code == TableErrorCode.HEADER_INVALID
    assert caught.value.fields == {long_name: "超过100个字符"}
    assert "100" in caught.value.message


@given(st.lists(st.text(max_size=300).map(str.strip).filter(bool), max_size=20))
def test_every_guess_is_a_valid_item(values: list[str]) -> None:
    data_type, length = guess_type(values)
    ItemIn(name="列", data_type=data_type, length=length)
    if data_type is DataType.CHARACTER:
        assert length is not None
        assert all(len(value) <= length for value in values)
