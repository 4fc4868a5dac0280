"""The row checksum: the DuckDB path equals the plain-Python reference, row for row."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govdata.lake.checksum import (
    POOL_ROWS,
    Checksum,
    canonical_text,
    checksum_python,
    row_checksum_python,
    row_hashes,
    version_checksum,
)
from govdata.lake.tables import LakeTable
from tests.lake.factories import PEOPLE_ROWS, naive, people


def python_rows(table: pa.Table) -> list[list[object]]:
    return [list(row.values()) for row in table.to_pylist()]


# -- the definition --------------------------------------------------------------------


def test_values_render_as_the_definition_says() -> None:
    row = [
        None,
        "张三",
        -42,
        Decimal("12.50"),
        Decimal("-0.05"),
        date(1960, 2, 29),
        date(99, 1, 5),
        naive(1969, 12, 31, 23, 59, 59, 999_999),
        datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC),
        True,
        False,
    ]
    assert canonical_text(row).split("\x1f") == [
        "\\N",
        "张三",
        "-42",
        "12.50",
        "-0.05",
        "1960-02-29",
        "0099-01-05",
        "-1",
        "1000000",
        "true",
        "false",
    ]


def test_a_row_hash_is_the_first_eight_md5_bytes_big_endian() -> None:
    text = "1\x1f张三\x1f12.50"
    expected = int.from_bytes(hashlib.md5(text.encode()).digest()[:8], "big")  # noqa: S324
    assert row_checksum_python([1, "张三", Decimal("12.50")]) == expected


def test_the_table_checksum_is_the_row_hash_sum_modulo_2_to_the_64() -> None:
    rows = [[1, "a"], [2, "b"], [3, "c"]]
    total = sum(row_checksum_python(row) for row in rows) % 2**64
    assert checksum_python(rows) == f"{total:016x}"
    assert len(checksum_python(rows)) == 16


def test_floats_have_no_canonical_text() -> None:
    with pytest.raises(TypeError):
        row_checksum_python([1.5])
    with pytest.raises(TypeError):
        Checksum().add_batch(pa.table({"x": [1.5]}))


# -- DuckDB equals the reference -------------------------------------------------------

TEXT = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(exclude_categories=["Cs"]),
    ),
    max_size=12,
)


@st.composite
def six_type_tables(draw: st.DrawFn) -> pa.Table:
    scale = draw(st.integers(0, 9))
    precision = draw(st.integers(max(scale, 1), 38))
    digits = 10**precision - 1
    decimals = st.integers(-digits, digits).map(lambda unscaled: Decimal(f"{unscaled}e-{scale}"))
    columns = {
        "integer": (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
        "string": (pa.string(), TEXT),
        "decimal": (pa.decimal128(precision, scale), decimals),
        "date": (pa.date32(), st.dates()),
        "timestamp": (pa.timestamp("us"), st.datetimes()),
        "boolean": (pa.bool_(), st.booleans()),
    }
    rows = draw(st.integers(0, 12))
    arrays = {
        name: pa.array(
            draw(st.lists(st.none() | values, min_size=rows, max_size=rows)), type=arrow_type
        )
        for name, (arrow_type, values) in columns.items()
    }
    order = draw(st.permutations(list(columns)))
    return pa.table({name: arrays[name] for name in order})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(six_type_tables())
def test_duckdb_row_hashes_equal_the_python_reference(table: pa.Table) -> None:
    assert row_hashes(table) == [row_checksum_python(row) for row in python_rows(table)]


@settings(max_examples=50, deadline=None)
@given(six_type_tables())
def test_the_accumulated_checksum_equals_the_python_reference(table: pa.Table) -> None:
    checksum = Checksum()
    for batch in table.to_batches(max_chunksize=3):
        checksum.add_batch(batch)
    assert checksum.hexdigest() == checksum_python(python_rows(table))
    assert checksum.rows == table.num_rows


def test_timestamps_with_a_time_zone_count_as_the_instant() -> None:
    instant = datetime(1950, 6, 1, 12, 0, tzinfo=UTC)
    table = pa.table({"at": pa.array([instant], pa.timestamp("us", tz="UTC"))})
    assert row_hashes(table) == [row_checksum_python([instant])]


# -- order and batching do not matter --------------------------------------------------


def test_row_order_and_batch_boundaries_do_not_change_the_checksum() -> None:
    table = people()
    whole, reversed_, in_pieces = Checksum(), Checksum(), Checksum()
    whole.add_batch(table)
    reversed_.add_batch(table.take(list(reversed(range(table.num_rows)))))
    for batch in table.to_batches(max_chunksize=1):
        in_pieces.add_batch(batch)
    assert whole.hexdigest() == reversed_.hexdigest() == in_pieces.hexdigest()
    assert whole.hexdigest() == checksum_python([list(row) for row in PEOPLE_ROWS])


def test_checksums_of_parts_combine_into_the_whole() -> None:
    first, second, both = Checksum(), Checksum(), Checksum()
    first.add_batch(people(PEOPLE_ROWS[:1]))
    second.add_batch(people(PEOPLE_ROWS[1:]))
    both.add_batch(people())
    combined = first.combine(second)
    assert combined.hexdigest() == both.hexdigest()
    assert combined.rows == 4
    assert Checksum.from_hexdigest(both.hexdigest()).hexdigest() == both.hexdigest()


def test_an_empty_table_has_checksum_zero() -> None:
    checksum = Checksum()
    checksum.add_batch(people([]))
    assert checksum.hexdigest() == "0" * 16
    assert checksum.rows == 0


def test_more_rows_than_one_pool_are_all_counted() -> None:
    rows = POOL_ROWS + 1_000
    table = pa.table({"n": pa.array(range(rows), pa.int64())})
    checksum = Checksum()
    for batch in table.to_batches(max_chunksize=100_000):
        checksum.add_batch(batch)
    assert checksum.rows == rows
    sample = table.slice(0, 1_000)
    expected_sample = checksum_python([[n] for n in range(1_000)])
    partial = Checksum()
    partial.add_batch(sample)
    assert partial.hexdigest() == expected_sample


def test_batches_with_different_schemas_are_hashed_separately() -> None:
    checksum = Checksum()
    checksum.add_batch(pa.table({"a": [1]}))
    checksum.add_batch(pa.table({"b": ["x"]}))
    assert checksum.hexdigest() == checksum_python([[1], ["x"]])


# -- a stored version --------------------------------------------------------------------


def test_a_version_s_checksum_equals_that_of_the_rows_written(table: LakeTable) -> None:
    table.write(people(), mode="overwrite", metadata={})
    table.write(people(PEOPLE_ROWS[:1]), mode="append", metadata={})
    assert version_checksum(table, 0) == checksum_python([list(row) for row in PEOPLE_ROWS])
    expected = checksum_python([list(row) for row in [*PEOPLE_ROWS, PEOPLE_ROWS[0]]])
    assert version_checksum(table, 1) == expected
