"""Reading database tables and queries from the real PostgreSQL and MariaDB servers.

These servers run on every developer machine and in CI; when one is missing
these tests fail rather than skip. ``GOVDATA_SOURCE_POSTGRES_URL`` and
``GOVDATA_SOURCE_MARIADB_URL`` point them elsewhere. SQL is written with
f-strings only around table names the tests generate (``S608`` is silenced
there), never around values.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from govdata.aggregation.sources.base import SourceSpec, Watermark
from govdata.aggregation.sources.registry import open_reader
from govdata.errors import SourceFailed

from .conftest import ReadResult, read_all

pytestmark = pytest.mark.database_servers

POSTGRES_SERVER = os.environ.get(
    "GOVDATA_SOURCE_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
MARIADB_URL = os.environ.get(
    "GOVDATA_SOURCE_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"
)


def local(text: str) -> datetime:
    """A value of a DATETIME column: a date and time without a time zone."""
    return datetime.fromisoformat(text)


PEOPLE_ROWS = [
    {
        "id": 1,
        "name": "张三",
        "city": "呼和浩特",
        "amount": Decimal("1234.50"),
        "born": date(1990, 3, 7),
        "updated_at": local("2024-01-01 08:00"),
        "note": None,
    },
    {
        "id": 2,
        "name": "李四",
        "city": "包头",
        "amount": Decimal("-0.01"),
        "born": None,
        "updated_at": local("2024-01-02 09:30"),
        "note": "备注：含'引号'",
    },
    {
        "id": 3,
        "name": "王芳",
        "city": "包头",
        "amount": None,
        "born": date(1985, 12, 12),
        "updated_at": local("2024-01-03 10:00"),
        "note": "",
    },
]


@dataclass(frozen=True)
class Database:
    """A database the tests may create tables in; ``table`` is this run's people table."""

    url: str
    table: str
    engine: sa.Engine


def _people_table(metadata: sa.MetaData, name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(50)),
        sa.Column("city", sa.String(50)),
        sa.Column("amount", sa.Numeric(12, 2)),
        sa.Column("born", sa.Date),
        sa.Column("updated_at", sa.DateTime),
        sa.Column("note", sa.Text),
    )


def _fill(engine: sa.Engine, name: str) -> None:
    metadata = sa.MetaData()
    table = _people_table(metadata, name)
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(table.insert(), PEOPLE_ROWS)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Database]:
    """A scratch PostgreSQL database of this module's own, dropped afterwards."""
    server = make_url(POSTGRES_SERVER)
    name = f"govdata_src_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    try:
        _fill(engine, "people")
        yield Database(url=url, table="people", engine=engine)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="module")
def mariadb() -> Iterator[Database]:
    """This module's own table in MariaDB's ``test`` database, dropped afterwards."""
    engine = sa.create_engine(MARIADB_URL)
    table = f"people_{uuid.uuid4().hex[:10]}"
    try:
        _fill(engine, table)
        yield Database(url=MARIADB_URL, table=table, engine=engine)
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS `{table}`")
        engine.dispose()


@pytest.fixture(params=["postgres", "mariadb"])
def database(request: pytest.FixtureRequest) -> Database:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def read_table(database: Database, **open_options: object) -> ReadResult:
    return read_all("sql", database.url, {"table": database.table}, **open_options)


def failure(location: str, **options: object) -> SourceFailed:
    with pytest.raises(SourceFailed) as caught:
        read_all("sql", location, options)
    return caught.value


def test_table_is_read_with_its_column_types(database: Database) -> None:
    result = read_table(database)

    assert result.columns == ["id", "name", "city", "amount", "born", "updated_at", "note"]
    schema = result.table.schema
    assert schema.field("id").type == pa.int64()
    assert schema.field("name").type == pa.string()
    assert schema.field("amount").type == pa.decimal128(12, 2)
    assert schema.field("born").type == pa.date32()
    assert schema.field("updated_at").type == pa.timestamp("us")
    assert sorted(result.records, key=lambda row: row["id"]) == PEOPLE_ROWS
    assert result.rows == [1, 2, 3]
    assert result.progress.rows_read == 3


def test_query_result_is_typed_from_its_values(database: Database) -> None:
    query = f"SELECT id, name, amount, born, updated_at FROM {database.table} WHERE id >= 2"  # noqa: S608

    result = read_all("sql", database.url, {"query": query + ";"})

    schema = result.table.schema
    assert schema.field("id").type == pa.int64()
    assert pa.types.is_decimal(schema.field("amount").type)
    assert schema.field("born").type == pa.date32()
    assert schema.field("updated_at").type == pa.timestamp("us")
    assert sorted(row["name"] for row in result.records) == ["李四", "王芳"]


def test_where_is_pushed_down_with_bound_values(database: Database) -> None:
    result = read_table(database, where={"city": "包头"})

    assert sorted(row["id"] for row in result.records) == [2, 3]


def test_where_values_are_never_spliced_into_sql(database: Database) -> None:
    result = read_table(database, where={"city": "x' OR '1'='1"})

    assert result.records == []


def test_watermark_and_limit_are_pushed_down(database: Database) -> None:
    spec = SourceSpec(kind="sql", location=database.url, options={"table": database.table})
    watermark = Watermark(column="updated_at", value=local("2024-01-01 12:00"))

    with open_reader(spec, watermark=watermark, limit=1) as reader:
        batches = list(reader.batches())
        assert reader.pushes_down

    rows = [row for batch in batches for row in batch.data.to_pylist()]
    assert len(rows) == 1
    assert rows[0]["id"] in {2, 3}


def test_query_is_filtered_as_a_subquery(database: Database) -> None:
    query = f"SELECT id, city AS 城市 FROM {database.table}"  # noqa: S608
    watermark = Watermark(column="id", value=1)

    result = read_all(
        "sql", database.url, {"query": query}, where={"城市": "包头"}, watermark=watermark
    )

    assert sorted(row["id"] for row in result.records) == [2, 3]


def test_filtering_on_an_unknown_column_is_refused(database: Database) -> None:
    with pytest.raises(SourceFailed) as caught:
        read_table(database, where={"city; DROP TABLE people": "x"})

    assert caught.value.error_code == "source_malformed"


def test_batches_follow_batch_rows_with_running_row_numbers(database: Database) -> None:
    result = read_table(database, batch_rows=2)

    assert [table.num_rows for table in result.tables] == [2, 1]
    assert result.rows == [1, 2, 3]


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM {table}",
        "SELECT 1; DROP TABLE {table}",
        "UPDATE {table} SET name = 'x'",
        "SELECT * FROM {table} FOR UPDATE",
        "SELECT * INTO copy_of_people FROM {table}",
        "WITH gone AS (DELETE FROM {table} RETURNING *) SELECT * FROM gone",
    ],
)
def test_queries_that_are_not_a_read_only_select_are_refused(
    database: Database, query: str
) -> None:
    error = failure(database.url, query=query.format(table=database.table))

    assert error.error_code == "source_malformed"
    assert len(read_table(database).records) == 3


def test_words_inside_literals_do_not_make_a_query_a_write(database: Database) -> None:
    query = f"SELECT name, 'delete; drop' AS 说明 FROM {database.table} WHERE id = 1"  # noqa: S608

    assert read_all("sql", database.url, {"query": query}).records == [
        {"name": "张三", "说明": "delete; drop"}
    ]


def test_colons_in_a_query_are_not_parameters(database: Database) -> None:
    query = f"SELECT name, 'at :noon' AS 时间 FROM {database.table} WHERE id = 1"  # noqa: S608

    assert read_all("sql", database.url, {"query": query}).records == [
        {"name": "张三", "时间": "at :noon"}
    ]


def test_missing_table_is_not_found(database: Database) -> None:
    assert failure(database.url, table="no_such_table").error_code == "source_not_found"


def test_table_or_query_is_required(database: Database) -> None:
    assert failure(database.url).error_code == "source_malformed"


@pytest.mark.parametrize(
    "location",
    [
        "postgresql+psycopg://postgres:Secret-Pw-1@127.0.0.1:1/govdata",
        "mysql+pymysql://root:Secret-Pw-1@127.0.0.1:1/test",
        "postgresql+psycopg://postgres:Secret-Pw-1@no-such-host.invalid:5432/govdata",
    ],
)
def test_unreachable_server_fails_without_showing_the_password(location: str) -> None:
    error = failure(location, table="people")

    assert error.error_code == "source_unreachable"
    assert "Secret-Pw-1" not in error.message
    assert "***" in error.message


def test_postgres_unbounded_decimals_time_zones_json_and_arrays(postgres: Database) -> None:
    with postgres.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE measures "
            "(exact numeric, stamped timestamptz, flag boolean, extra jsonb, tags text[])"
        )
        connection.exec_driver_sql(
            "INSERT INTO measures VALUES "
            "(12345678901234567890.123456789, '2024-05-01 08:00:00+08', true,"
            """ '{"区": "新城", "n": [1, 2]}', '{甲,乙}'),"""
            " (NULL, NULL, NULL, NULL, NULL)"
        )

    result = read_all("sql", postgres.url, {"table": "measures"})

    schema = result.table.schema
    assert schema.field("exact").type == pa.string()
    assert schema.field("stamped").type == pa.timestamp("us", tz="UTC")
    assert schema.field("flag").type == pa.bool_()
    assert schema.field("extra").type == pa.string()
    assert result.records[0] == {
        "exact": "12345678901234567890.123456789",
        "stamped": datetime(2024, 5, 1, 0, 0, tzinfo=UTC),
        "flag": True,
        "extra": '{"n":[1,2],"区":"新城"}',
        "tags": '["甲","乙"]',
    }
    assert result.records[1] == dict.fromkeys(result.columns)


def test_mariadb_decimals_wider_than_arrow_become_text(mariadb: Database) -> None:
    table = f"wide_{uuid.uuid4().hex[:8]}"
    with mariadb.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE `{table}` (v DECIMAL(50, 10))")
        connection.exec_driver_sql(
            f"INSERT INTO `{table}` VALUES (1234567890123456789012345.5)"  # noqa: S608
        )
    try:
        result = read_all("sql", mariadb.url, {"table": table})
    finally:
        with mariadb.engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE `{table}`")

    assert result.table.schema.field("v").type == pa.string()
    assert result.records == [{"v": "1234567890123456789012345.5000000000"}]


def test_postgres_connection_terminated_mid_read_is_lost(postgres: Database) -> None:
    with postgres.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE many AS "
            "SELECT n, repeat('数据', 20) AS text FROM generate_series(1, 20000) n"
        )
    marker = f"govdata_lost_{uuid.uuid4().hex[:8]}"
    url = make_url(postgres.url).update_query_dict({"application_name": marker})
    spec = SourceSpec(
        kind="sql", location=url.render_as_string(hide_password=False), options={"table": "many"}
    )

    with open_reader(spec, batch_rows=1000) as reader:
        batches = reader.batches()
        first = next(batches)
        _terminate_backends(postgres.engine, marker)
        with pytest.raises(SourceFailed) as caught:
            for _ in batches:
                pass

    assert first.data.num_rows == 1000
    assert caught.value.error_code == "source_lost"
    assert "已读取1000行" in caught.value.message


# PyMySQL's streaming cursor, once its connection is killed, complains when it
# is garbage-collected (it tries to drain the dead socket); harmless noise. The
# error SQLAlchemy logs about it would keep the cursor alive in pytest's log
# capture past this test, so it is not logged here.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_mariadb_connection_killed_mid_read_is_lost(
    mariadb: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.CRITICAL, logger="sqlalchemy.pool")
    table = f"many_{uuid.uuid4().hex[:8]}"
    with mariadb.engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE `{table}` (n INT, text VARCHAR(100))")
        connection.exec_driver_sql(
            f"INSERT INTO `{table}` SELECT seq, REPEAT('数据', 20) FROM seq_1_to_100000"  # noqa: S608
        )
    spec = SourceSpec(kind="sql", location=mariadb.url, options={"table": table})
    try:
        with open_reader(spec, batch_rows=1000) as reader:
            batches = reader.batches()
            next(batches)
            _kill_mariadb_readers(mariadb.engine, table)
            with pytest.raises(SourceFailed) as caught:
                for _ in batches:
                    pass
        code = caught.value.error_code
        del reader, batches, caught
        gc.collect()  # the noise above, inside this test
    finally:
        with mariadb.engine.begin() as connection:
            connection.exec_driver_sql(f"DROP TABLE `{table}`")

    assert code == "source_lost"


def _terminate_backends(engine: sa.Engine, application_name: str) -> None:
    with engine.connect() as connection:
        ended = (
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": application_name},
            )
            .scalars()
            .all()
        )
    assert ended == [True]


def _kill_mariadb_readers(engine: sa.Engine, table: str) -> None:
    with engine.connect() as connection:
        ids = (
            connection.execute(
                sa.text(
                    "SELECT id FROM information_schema.processlist "
                    "WHERE info LIKE :pattern AND id <> CONNECTION_ID()"
                ),
                {"pattern": f"%{table}%"},
            )
            .scalars()
            .all()
        )
        assert len(ids) == 1
        connection.exec_driver_sql(f"KILL CONNECTION {int(ids[0])}")
    threading.Event().wait(0.1)  # let the server close the socket


def test_urls_without_a_driver_use_the_drivers_govdata_ships(postgres: Database) -> None:
    url = make_url(postgres.url).set(drivername="postgresql")

    result = read_all("sql", url.render_as_string(hide_password=False), {"table": "people"})

    assert len(result.records) == 3


def test_any_sqlalchemy_database_can_be_read(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'local.sqlite3'}"
    engine = sa.create_engine(url)
    _fill(engine, "people")
    engine.dispose()

    result = read_all("sql", url, {"query": "SELECT id, name FROM people WHERE id < 3"})

    assert result.records == [{"id": 1, "name": "张三"}, {"id": 2, "name": "李四"}]
