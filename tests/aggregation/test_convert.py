"""Converting source batches: typed values for good rows, every reason for bad rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa

from govdata.aggregation.columns import ColumnSpec
from govdata.aggregation.convert import BatchConverter
from govdata.aggregation.sources.base import RejectedRow, SourceBatch

COLUMNS = [
    ColumnSpec(name="id_number", label="公民身份号码", required=True, check="id_number"),
    ColumnSpec(name="name", label="姓名", required=True, max_length=10),
    ColumnSpec(name="birth_date", type="date"),
    ColumnSpec(name="capital", type="decimal", precision=10, scale=2),
    ColumnSpec(name="children", type="integer"),
    ColumnSpec(name="seen_at", type="timestamp"),
    ColumnSpec(name="sex", check="sex"),
    ColumnSpec(name="active", type="boolean"),
]


def _batch(
    rows: list[dict[str, str | None]], rejected: tuple[RejectedRow, ...] = ()
) -> SourceBatch:
    names = [c.name for c in COLUMNS]
    data = pa.record_batch({n: pa.array([r.get(n) for r in rows], pa.string()) for n in names})
    return SourceBatch(
        data=data, rows=pa.array(range(2, len(rows) + 2), pa.int64()), rejected=rejected
    )


GOOD = {
    "id_number": "11010519491231002x",
    "name": " 张三 ",
    "birth_date": "1949/12/31",
    "capital": "1,234.5",
    "children": "2",
    "seen_at": "2024-01-02 03:04:05",
    "sex": "男",
    "active": "是",
}


def test_a_good_row_arrives_typed_and_normalised() -> None:
    converted = BatchConverter(COLUMNS).convert(_batch([GOOD]))
    assert converted.quarantined is None
    assert converted.good.to_pylist() == [
        {
            "id_number": "11010519491231002X",
            "name": "张三",
            "birth_date": date(1949, 12, 31),
            "capital": Decimal("1234.50"),
            "children": 2,
            "seen_at": datetime(2024, 1, 2, 3, 4, 5),  # noqa: DTZ001 (stored as local time)
            "sex": "1",
            "active": True,
        }
    ]


def test_a_bad_row_is_quarantined_with_every_reason_and_its_values() -> None:
    bad = GOOD | {
        "id_number": "110105194912310021",
        "name": "=1+1",
        "birth_date": "2023-02-30",
        "capital": "12.345",
        "children": "two",
    }
    converted = BatchConverter(COLUMNS).convert(_batch([GOOD, bad]))
    assert converted.good.num_rows == 1
    assert converted.quarantined is not None
    (row,) = converted.quarantined.to_pylist()
    assert row["_gd_row"] == 3
    assert row["_gd_reason_codes"].split(";") == [
        "id_number:id_number_check_digit",
        "name:formula_like",
        "birth_date:not_date",
        "capital:decimal_out_of_range",
        "children:not_integer",
    ]
    assert "公民身份号码校验码错误" in row["_gd_reasons"]
    assert row["birth_date"] == "2023-02-30"
    assert converted.reason_counts["not_date"] == 1


def test_empty_required_values_and_overlong_text_are_refused() -> None:
    rows = [GOOD | {"name": "   "}, GOOD | {"name": "很" * 11}, GOOD | {"birth_date": ""}]
    converted = BatchConverter(COLUMNS).convert(_batch(rows))
    assert converted.quarantined is not None
    codes = converted.quarantined.column("_gd_reason_codes").to_pylist()
    assert codes == ["name:required", "name:too_long"]
    assert converted.good.to_pylist()[0]["birth_date"] is None


def test_rows_the_reader_could_not_split_join_the_quarantine_in_row_order() -> None:
    rejected = (
        RejectedRow(row=3, raw="a,b,c", reason_code="ragged_row", reason="字段数为 3，应为 8"),
    )
    converted = BatchConverter(COLUMNS).convert(_batch([GOOD, GOOD | {"children": "x"}], rejected))
    assert converted.quarantined is not None
    assert converted.quarantined.column("_gd_row").to_pylist() == [3, 3]
    assert converted.quarantined.column("_gd_raw").to_pylist()[1] == "a,b,c"
    assert converted.reason_counts == {"not_integer": 1, "ragged_row": 1}


def test_native_typed_sources_pass_without_text_round_trips() -> None:
    columns = [
        ColumnSpec(name="n", type="integer", required=True),
        ColumnSpec(name="d", type="date"),
    ]
    data = pa.record_batch(
        {"n": pa.array([1, None], pa.int32()), "d": pa.array([date(2024, 1, 1), None], pa.date32())}
    )
    converted = BatchConverter(columns).convert(
        SourceBatch(data=data, rows=pa.array([1, 2], pa.int64()))
    )
    assert converted.good.to_pylist() == [{"n": 1, "d": date(2024, 1, 1)}]
    assert converted.quarantined is not None
    assert converted.quarantined.column("_gd_reason_codes").to_pylist() == ["n:required"]
