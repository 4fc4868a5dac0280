"""Reading versions with DuckDB: filters, paging, ordering, and bounded readers."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from govdata.errors import InvalidInput, NotFound, StorageBusy
from govdata.lake.query import LakeReader, count_rows, is_truncated, read_rows
from govdata.lake.tables import LakeTable
from tests.lake.factories import PEOPLE_ROWS, people, rows_of


@pytest.fixture
def stored(table: LakeTable) -> LakeTable:
    table.write(people(), mode="overwrite", metadata={})
    table.write(people(PEOPLE_ROWS[:2]), mode="overwrite", metadata={})
    return table


def ids(result: pa.Table) -> list[int]:
    return [int(value) for value in result.column("id").to_pylist()]


def test_a_read_returns_the_current_version_by_default(stored: LakeTable) -> None:
    assert rows_of(read_rows(stored)) == PEOPLE_ROWS[:2]


def test_a_read_of_an_older_version_returns_that_version(stored: LakeTable) -> None:
    assert rows_of(read_rows(stored, 0)) == PEOPLE_ROWS


def test_where_matches_equal_values_with_types_taken_from_the_column(stored: LakeTable) -> None:
    assert ids(read_rows(stored, 0, where={"name": "张三"})) == [1]
    assert ids(read_rows(stored, 0, where={"born": "1999-12-31"})) == [2]
    assert ids(read_rows(stored, 0, where={"born": date(1999, 12, 31)})) == [2]
    assert ids(read_rows(stored, 0, where={"active": True, "id": 4})) == [4]


def test_where_none_means_is_null_and_a_list_means_one_of(stored: LakeTable) -> None:
    assert ids(read_rows(stored, 0, where={"name": None})) == [3]
    assert ids(read_rows(stored, 0, where={"id": [1, 4]}, order_by=["id"])) == [1, 4]
    assert ids(read_rows(stored, 0, where={"name": ["李四", None]}, order_by=["id"])) == [2, 3]
    assert read_rows(stored, 0, where={"id": []}).num_rows == 0


def test_where_values_are_bound_not_spliced_into_the_sql(stored: LakeTable) -> None:
    hostile = "x' OR '1'='1"
    assert read_rows(stored, 0, where={"name": hostile}).num_rows == 0


def test_a_value_that_does_not_fit_the_column_type_is_invalid_input(stored: LakeTable) -> None:
    with pytest.raises(InvalidInput) as raised:
        read_rows(stored, 0, where={"id": "not a number"})
    assert raised.value.error_code == "lake_query_invalid_value"


def test_order_by_sorts_ascending_or_descending_with_nulls_last(stored: LakeTable) -> None:
    assert ids(read_rows(stored, 0, order_by=["-id"])) == [4, 3, 2, 1]
    assert ids(read_rows(stored, 0, order_by=["income"])) == [2, 1, 4, 3]
    assert ids(read_rows(stored, 0, order_by=["-income"])) == [4, 1, 2, 3]


def test_limit_and_offset_page_through_the_rows(stored: LakeTable) -> None:
    pages = [ids(read_rows(stored, 0, order_by=["id"], limit=3, offset=o)) for o in (0, 3, 6)]
    assert pages == [[1, 2, 3], [4], []]


def test_a_read_that_stops_early_says_so(stored: LakeTable) -> None:
    assert is_truncated(read_rows(stored, 0, limit=3))
    assert not is_truncated(read_rows(stored, 0, limit=4))
    assert not is_truncated(read_rows(stored, 0, limit=3, offset=1))


def test_columns_selects_and_orders_the_columns(stored: LakeTable) -> None:
    result = read_rows(stored, 0, columns=["name", "id"], order_by=["id"], limit=1)
    assert result.schema.names == ["name", "id"]
    assert result.to_pylist() == [{"name": "张三", "id": 1}]


@pytest.mark.parametrize(
    ("options", "parameter"),
    [
        ({"columns": ["id", "password"]}, "columns"),
        ({"where": {'id" OR 1=1 --': 1}}, "where"),
        ({"order_by": ["-nope"]}, "order_by"),
    ],
)
def test_unknown_columns_are_invalid_input(
    stored: LakeTable, options: dict[str, object], parameter: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        read_rows(stored, 0, **options)  # type: ignore[arg-type]
    assert raised.value.error_code == "lake_unknown_column"
    assert parameter in raised.value.fields


def test_a_reader_refuses_more_rows_than_its_limit(stored: LakeTable) -> None:
    with pytest.raises(InvalidInput):
        LakeReader(max_rows=2).read(stored, limit=3)
    with pytest.raises(InvalidInput):
        read_rows(stored, limit=-1)
    with pytest.raises(InvalidInput):
        read_rows(stored, offset=-1)


def test_a_missing_version_is_not_found(stored: LakeTable) -> None:
    with pytest.raises(NotFound) as raised:
        read_rows(stored, 7)
    assert raised.value.error_code == "lake_version_not_found"


def test_count_counts_a_version_with_or_without_a_filter(stored: LakeTable) -> None:
    assert count_rows(stored) == 2
    assert count_rows(stored, 0) == 4
    assert count_rows(stored, 0, where={"active": True}) == 2
    assert count_rows(stored, 0, where={"name": None}) == 1


def test_sql_joins_named_table_versions(stored: LakeTable) -> None:
    result = LakeReader().sql(
        {"old": (stored, 0), "new": (stored, None)},
        "SELECT old.id FROM old LEFT JOIN new USING (id) WHERE new.id IS NULL AND old.id > ? "
        "ORDER BY old.id",
        [0],
    )
    assert result.column("id").to_pylist() == [3, 4]


def test_sql_sees_no_files_only_the_tables_given(stored: LakeTable) -> None:
    with pytest.raises(Exception, match="disabled"):
        LakeReader().sql({"t": (stored, None)}, "SELECT * FROM read_csv('/etc/passwd')")


def test_sql_batches_streams_a_result(stored: LakeTable) -> None:
    with LakeReader().sql_batches({"t": (stored, 0)}, "SELECT id FROM t", batch_rows=1) as reader:
        total = sum(batch.num_rows for batch in reader)
    assert total == 4


def test_a_query_past_its_time_limit_is_stopped(stored: LakeTable) -> None:
    slow = "SELECT count(*) FROM range(100000000000) a, t"
    with pytest.raises(StorageBusy) as raised:
        LakeReader(timeout_seconds=0.2).sql({"t": (stored, None)}, slow)
    assert raised.value.error_code == "lake_query_timeout"
