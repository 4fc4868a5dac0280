"""Factories for lake tests: rows of the six declared column types."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import pyarrow as pa

from govdata.aggregation.columns import ColumnSpec, ColumnType, arrow_schema

# The six declared types, as the aggregation area stores them.
PEOPLE_COLUMNS = [
    ColumnSpec(name="id", type=ColumnType.INTEGER),
    ColumnSpec(name="name", type=ColumnType.STRING),
    ColumnSpec(name="income", type=ColumnType.DECIMAL, precision=18, scale=2),
    ColumnSpec(name="born", type=ColumnType.DATE),
    ColumnSpec(name="registered_at", type=ColumnType.TIMESTAMP),
    ColumnSpec(name="active", type=ColumnType.BOOLEAN),
]
PEOPLE_SCHEMA = arrow_schema(PEOPLE_COLUMNS)


def naive(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
) -> datetime:
    """A timestamp without time zone, as declared TIMESTAMP columns store them."""
    # Delta timestamp_ntz: no zone, on purpose.
    return datetime(year, month, day, hour, minute, second, microsecond)  # noqa: DTZ001


PEOPLE_ROWS: list[tuple[object, ...]] = [
    (1, "张三", Decimal("12.50"), date(1960, 2, 29), naive(1969, 12, 31, 23, 59, 59), True),
    (2, "李四", Decimal("-0.05"), date(1999, 12, 31), naive(2020, 1, 1, 8, 30), False),
    (3, None, None, None, None, None),
    (4, "Ōyama 大山", Decimal("1000000.00"), date(1, 1, 1), naive(1900, 1, 1), True),
]


def people(rows: list[tuple[object, ...]] | None = None) -> pa.Table:
    """A table of people rows (the default four cover nulls, Chinese and pre-1970)."""
    chosen = PEOPLE_ROWS if rows is None else rows
    columns: list[Sequence[object]] = (
        list(zip(*chosen, strict=True)) if chosen else [[] for _ in PEOPLE_SCHEMA]
    )
    return pa.table(
        [
            pa.array(list(values), type=f.type)
            for values, f in zip(columns, PEOPLE_SCHEMA, strict=True)
        ],
        schema=PEOPLE_SCHEMA,
    )


def rows_of(table: pa.Table, order_by: str = "id") -> list[tuple[object, ...]]:
    ordered = table.sort_by(order_by) if table.num_rows else table
    return [tuple(row.values()) for row in ordered.to_pylist()]
