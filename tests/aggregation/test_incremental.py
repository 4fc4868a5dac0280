"""Incremental loads from a real MariaDB table: by key and update time, and by change detection."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select, text

from govdata.actions import Context
from govdata.events import EventRecord
from tests.aggregation.conftest import Run, population_columns

MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"
PEOPLE = [
    (
        "11010519491231002X",
        "张三",
        "2",
        "1949-12-31",
        "110105",
        "北京市朝阳区建国路1号",
        "2024-01-01 08:00:00",
    ),
    (
        "150102199003071237",
        "李四",
        "1",
        "1990-03-07",
        "150102",
        "呼和浩特市新城区中山路8号",
        "2024-01-02 09:30:00",
    ),
    (
        "150104198512120023",
        "王芳",
        "2",
        "1985-12-12",
        "150104",
        "呼和浩特市玉泉区南二环路16号",
        "2024-01-03 10:00:00",
    ),
]


@pytest.fixture
def mariadb() -> Iterator[tuple[Engine, str]]:
    engine = create_engine(MARIADB)
    table = f"people_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TABLE {table} (sfzh CHAR(18) PRIMARY KEY, xm VARCHAR(50), xb CHAR(1), "
                "csrq DATE, hjd CHAR(6), zz VARCHAR(200), gxsj DATETIME) DEFAULT CHARSET=utf8mb4"
            )
        )
        for row in PEOPLE:
            connection.execute(
                text(f"INSERT INTO {table} VALUES (:a, :b, :c, :d, :e, :f, :g)"),  # noqa: S608 (generated table name)
                dict(zip("abcdefg", row, strict=True)),
            )
    try:
        yield engine, table
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()


MAPPING = {
    "id_number": "sfzh",
    "name": "xm",
    "sex": "xb",
    "birth_date": "csrq",
    "division_code": "hjd",
    "address": "zz",
    "updated_at": "gxsj",
}


def _register(as_provider: Run, entry_id: str, table: str, strategy: str) -> Any:
    columns = [c for c in population_columns(**MAPPING) if c["name"] in MAPPING]
    return as_provider(
        "source_register",
        {
            "entry_id": entry_id,
            "name": "户籍人口（公安 MariaDB）",
            "kind": "sql",
            "location": MARIADB,
            "options": {"table": table},
            "columns": columns,
            "strategy": strategy,
            "key_columns": ["id_number"],
            "updated_column": "updated_at",
        },
    )


def test_incremental_loads_merge_only_rows_changed_since_the_last_load(
    as_provider: Run, entry_id: str, mariadb: tuple[Engine, str], run_now: Callable[..., Any]
) -> None:
    engine, table = mariadb
    source = _register(as_provider, entry_id, table, "incremental")
    assert source.location.startswith("mysql+pymysql://root@")  # no password to hide, none shown
    first = run_now(source.id)
    assert (first.status, first.version, first.rows_written) == ("succeeded", 1, 3), (
        first.error_message
    )
    with engine.begin() as connection:
        connection.execute(
            text(
                f"UPDATE {table} SET zz = '呼和浩特市赛罕区大学西街1号', "  # noqa: S608 (generated table name)
                "gxsj = '2024-02-01 00:00:00' WHERE xm = '李四'"
            )
        )
        connection.execute(
            text(
                f"INSERT INTO {table} VALUES ('150105200001010013', '孙七', '1', "  # noqa: S608 (generated table name)
                "'2000-01-01', "
                "'150105', '呼和浩特市赛罕区', '2024-02-02 00:00:00')"
            )
        )

    second = run_now(source.id)

    assert second.status == "succeeded", second.error_message
    assert (second.rows_read, second.rows_inserted, second.rows_updated) == (2, 1, 1)
    assert second.version == 2
    latest = as_provider("data_read", {"source_id": source.id, "where": {"name": "李四"}})
    assert latest.rows[0]["address"] == "呼和浩特市赛罕区大学西街1号"
    before = as_provider(
        "data_read", {"source_id": source.id, "version": 1, "where": {"name": "李四"}}
    )
    assert before.rows[0]["address"] == "呼和浩特市新城区中山路8号"
    assert as_provider("data_read", {"source_id": source.id}).total == 4
    third = run_now(source.id)
    assert (third.rows_read, third.version) == (0, None)


def test_change_detection_applies_updates_inserts_and_deletions(
    as_provider: Run, entry_id: str, mariadb: tuple[Engine, str], run_now: Callable[..., Any]
) -> None:
    engine, table = mariadb
    source = _register(as_provider, entry_id, table, "change_detection")
    run_now(source.id)
    with engine.begin() as connection:
        connection.execute(text(f"DELETE FROM {table} WHERE xm = '王芳'"))  # noqa: S608 (generated table name)
        connection.execute(text(f"UPDATE {table} SET xb = '1' WHERE xm = '张三'"))  # noqa: S608 (generated table name)

    second = run_now(source.id)

    assert second.status == "succeeded", second.error_message
    assert (second.rows_inserted, second.rows_updated, second.rows_deleted) == (0, 1, 1)
    assert as_provider("data_read", {"source_id": source.id}).total == 2


def test_logical_access_reads_the_source_on_demand_and_is_recorded(
    as_provider: Run, entry_id: str, mariadb: tuple[Engine, str], provider: Context
) -> None:
    _, table = mariadb
    columns = [c for c in population_columns(**MAPPING) if c["name"] in MAPPING]
    source = as_provider(
        "source_register",
        {
            "entry_id": entry_id,
            "name": "户籍人口（逻辑接入）",
            "kind": "sql",
            "mode": "logical",
            "location": MARIADB,
            "options": {"table": table},
            "columns": columns,
        },
    )
    page = as_provider("data_read", {"source_id": source.id, "where": {"id_number": PEOPLE[1][0]}})
    assert page.mode == "logical"
    assert [row["name"] for row in page.rows] == ["李四"]
    assert page.rows[0]["birth_date"] == "1990-03-07"
    recorded = provider.session.scalars(
        select(EventRecord).where(
            EventRecord.name == "aggregation:data:read", EventRecord.subject_id == source.id
        )
    ).one()
    assert recorded.actor_name == provider.actor.name
    assert recorded.data["mode"] == "logical"
    assert recorded.data["rows"] == 1
    # The looked-up ID number is recorded as its keyed pseudonym (docs/crypto.md).
    assert recorded.data["where"]["id_number"].startswith("sm3:")
    assert PEOPLE[1][0] not in str(recorded.data)
