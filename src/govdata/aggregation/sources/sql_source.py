"""Database tables and queries, through any SQLAlchemy URL, streamed.

``location`` is the SQLAlchemy URL (password included; it never appears in
an error). Options: ``table`` (and optionally ``schema``), or ``query``: a
single read-only ``SELECT`` (or ``WITH ... SELECT``); anything else is
refused. A query is run as a subquery (``SELECT * FROM (query) AS
_gd_source``), inside a read-only transaction on PostgreSQL and MySQL/MariaDB.
``connect_timeout`` (seconds, default 10) bounds connecting.

``where`` (column = value), ``watermark`` (column > value) and ``limit`` are
applied in the database, with bound parameters; their column names must be
columns of the table or query, and are quoted by SQLAlchemy. Rows come from a
server-side cursor (``stream_results``) a batch at a time; row numbers are
the 1-based position of the row in the result.

Arrow types follow the table's reflected column types (for a query, the
Python values of the first batch, with the precision and scale the driver
reports): integers int64, exact numerics decimal128 (text beyond 38 digits
or without a declared precision), floats float64, booleans bool, dates
date32, date-times timestamp[us] (UTC when the column has a time zone), and
everything else text. A value that does not fit its column's type in a later
batch turns that column to text for that batch.

Failing to connect is ``source_unreachable``; a connection that breaks
during the read (server restart, backend terminated) is ``source_lost``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, CursorResult, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, NoSuchTableError
from sqlalchemy.pool import NullPool

from govdata.aggregation.sources.base import SourceBatch, Watermark
from govdata.aggregation.sources.reading import Reader, numbered_batch, row_numbers
from govdata.errors import SourceFailed

DEFAULT_CONNECT_TIMEOUT = 10
_SHIPPED_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
SUBQUERY = "_gd_source"
_MAX_DECIMAL_PRECISION = 38

# What a read-only query may not contain (outside literals, quoted names and comments).
_WRITES = re.compile(
    r"\b(insert|update|delete|merge|upsert|drop|alter|create|truncate|grant|revoke|into|"
    r"call|copy|lock|vacuum|execute|exec|handler|load)\b|\bfor\s+(no\s+key\s+)?(update|share)\b",
    re.IGNORECASE,
)
_STARTS_AS_QUERY = re.compile(r"^[\s(]*(select|with|values|table)\b", re.IGNORECASE)
_LITERALS_AND_COMMENTS = re.compile(
    r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|--[^\n]*|#[^\n]*|/\*.*?\*/", re.DOTALL
)


class SqlReader(Reader):
    """Streams a table or a query's result from a database."""

    def __init__(
        self,
        location: str,
        options: Mapping[str, Any],
        *,
        watermark: Watermark | None = None,
        where: Mapping[str, object] | None = None,
        limit: int | None = None,
        batch_rows: int,
    ) -> None:
        super().__init__()
        self._batch_rows = batch_rows
        url = _parsed_url(location)
        self._secret = url.password if isinstance(url.password, str) else None
        self._shown_url = url.render_as_string(hide_password=True)
        timeout = int(options.get("connect_timeout") or DEFAULT_CONNECT_TIMEOUT)
        try:
            self._engine = sa.create_engine(
                url, poolclass=NullPool, connect_args=_connect_args(url, timeout)
            )
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            raise SourceFailed(
                f"不支持的数据库连接串 {self._shown_url}：{self._clean(exc)}",
                code="source_malformed",
            ) from None
        self._connection: Connection | None = None
        self._result: CursorResult[Any] | None = None
        try:
            self._open(options, watermark, where or {}, limit)
        except BaseException:
            self.close()
            raise

    @property
    def pushes_down(self) -> bool:
        return True

    def _open(
        self,
        options: Mapping[str, Any],
        watermark: Watermark | None,
        where: Mapping[str, object],
        limit: int | None,
    ) -> None:
        try:
            self._connection = self._engine.connect()
        except DBAPIError as exc:
            raise SourceFailed(
                f"无法连接数据库 {self._shown_url}：{self._clean(exc.orig)}",
                code="source_unreachable",
            ) from None
        try:
            _begin_read_only(self._connection)
            source = self._source(self._connection, options)
            statement = _statement(source, watermark, where, limit)
            streaming = self._connection.execution_options(
                stream_results=True, yield_per=self._batch_rows
            )
            self._result = streaming.execute(statement)
        except DBAPIError as exc:
            raise self._failure(exc, opening=True) from None
        self._columns = list(self._result.keys())
        self._types: list[pa.DataType | None] = [
            _arrow_type(column.type) for column in statement.selected_columns
        ]
        self._precisions = _described_precisions(self._result)

    def _source(self, connection: Connection, options: Mapping[str, Any]) -> sa.FromClause:
        table, query = options.get("table"), options.get("query")
        if bool(table) == bool(query):
            raise SourceFailed(
                "数据库数据源应指定 table 或 query 中的一个", code="source_malformed"
            )
        if table:
            schema = options.get("schema")
            try:
                return sa.Table(
                    str(table),
                    sa.MetaData(),
                    schema=str(schema) if schema else None,
                    autoload_with=connection,
                )
            except NoSuchTableError:
                shown = f"{schema}.{table}" if schema else str(table)
                raise SourceFailed(f"数据库中没有表“{shown}”", code="source_not_found") from None
        # Escaped so that SQLAlchemy takes no ":name" in the query for a parameter.
        text = checked_query(str(query)).replace(":", "\\:")
        probe = sa.select(sa.text("*")).select_from(sa.text(f"({text}) AS {SUBQUERY}"))
        names = list(connection.execute(probe.where(sa.false())).keys())
        return sa.text(text).columns(*(sa.column(name) for name in names)).subquery(SUBQUERY)

    def batches(self) -> Iterator[SourceBatch]:
        if self._result is None:
            return
        next_row = 1
        partitions = self._result.partitions(self._batch_rows)
        while True:
            failure = None
            try:
                rows = next(partitions, None)
            except DBAPIError as exc:
                failure = self._failure(exc, opening=False)
            if failure is not None:
                # Raised outside the handler so that the driver's error, whose
                # traceback holds the dead cursor, is not chained to ours.
                self.close()
                raise failure
            if rows is None:
                return
            count = len(rows)
            columns = list(zip(*rows, strict=True)) if count else [() for _ in self._columns]
            data = pa.RecordBatch.from_arrays(
                [self._array(index, list(values)) for index, values in enumerate(columns)],
                names=self._columns,
            )
            yield numbered_batch(data, row_numbers(next_row, count))
            next_row += count
            self._progress.rows_read += count

    def close(self) -> None:
        result, self._result = self._result, None
        connection, self._connection = self._connection, None
        try:
            if result is not None:
                result.close()
            if connection is not None:
                connection.close()
        except DBAPIError:
            pass  # the connection is already gone: nothing left to release
        finally:
            self._engine.dispose()

    def _array(self, index: int, values: list[Any]) -> pa.Array:
        arrow_type = self._types[index]
        if arrow_type is None:  # decided by the first values seen
            arrow_type = _value_type(values, self._precisions[index])
            self._types[index] = arrow_type
        if not pa.types.is_string(arrow_type):
            try:
                return pa.array(values, type=arrow_type)
            except (pa.ArrowException, TypeError, ValueError, OverflowError):
                pass  # does not fit the column's type: hand it over as text
        return pa.array([_text(value) for value in values], type=pa.string())

    def _failure(self, exc: DBAPIError, *, opening: bool) -> SourceFailed:
        detail = self._clean(exc.orig)
        if exc.connection_invalidated or isinstance(exc, sa.exc.OperationalError):
            if opening:
                return SourceFailed(f"读取数据库时出错：{detail}", code="source_unreachable")
            return SourceFailed(
                f"读取过程中与数据库 {self._shown_url} 的连接中断（已读取"
                f"{self._progress.rows_read}行）：{detail}",
                code="source_lost",
            )
        return SourceFailed(f"数据库拒绝了读取：{detail}", code="source_malformed")

    def _clean(self, error: object) -> str:
        """A driver's message, first line only and without the password."""
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if self._secret:
            message = message.replace(self._secret, "***")
        return message[:300]


def checked_query(query: str) -> str:
    """The query without a trailing semicolon, if it is one read-only SELECT."""
    text = query.strip().rstrip(";").strip()
    bare = _LITERALS_AND_COMMENTS.sub(" ", text)
    if not _STARTS_AS_QUERY.match(bare) or ";" in bare or _WRITES.search(bare):
        raise SourceFailed(
            "数据库查询只能是一条只读的 SELECT 语句（不能修改数据、加锁或包含多条语句）",
            code="source_malformed",
        )
    return text


def _parsed_url(location: str) -> URL:
    try:
        url = make_url(location)
    except ArgumentError:
        raise SourceFailed("数据库连接串格式无效", code="source_malformed") from None
    # A URL without a driver means SQLAlchemy's default one, which govdata does
    # not install (psycopg2, mysqlclient): use the drivers it ships instead.
    driver = _SHIPPED_DRIVERS.get(url.drivername)
    return url.set(drivername=driver) if driver else url


def _connect_args(url: URL, timeout: int) -> dict[str, Any]:
    backend = url.get_backend_name()
    if backend in {"postgresql", "mysql", "mariadb"}:
        return {"connect_timeout": timeout}
    return {}


def _begin_read_only(connection: Connection) -> None:
    backend = connection.dialect.name
    if backend == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    elif backend in {"mysql", "mariadb"}:
        connection.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        connection.commit()


def _statement(
    source: sa.FromClause,
    watermark: Watermark | None,
    where: Mapping[str, object],
    limit: int | None,
) -> sa.Select[Any]:
    statement = sa.select(source)
    columns = source.c
    for name, value in where.items():
        statement = statement.where(_column(columns, name) == value)
    if watermark is not None:
        statement = statement.where(_column(columns, watermark.column) > watermark.value)
    if limit is not None:
        statement = statement.limit(limit)
    return statement


def _column(columns: Any, name: str) -> sa.ColumnElement[Any]:
    if name not in columns:
        raise SourceFailed(f"数据源中没有列“{name}”，无法按它筛选", code="source_malformed")
    return columns[name]  # type: ignore[no-any-return]


# Checked in order: Float is a Numeric, and Boolean must come before Integer.
_FIXED_TYPES: tuple[tuple[type[sa.types.TypeEngine[Any]], pa.DataType], ...] = (
    (sa.Boolean, pa.bool_()),
    (sa.Integer, pa.int64()),
    (sa.Float, pa.float64()),
    (sa.Date, pa.date32()),
)


def _arrow_type(column_type: sa.types.TypeEngine[Any]) -> pa.DataType | None:
    """The Arrow type of a column's SQLAlchemy type; None when it is not known."""
    if isinstance(column_type, sa.types.NullType):
        return None
    for sql_type, arrow_type in _FIXED_TYPES:
        if isinstance(column_type, sql_type):
            return arrow_type
    if isinstance(column_type, sa.Numeric):
        return _decimal_type(column_type.precision, column_type.scale)
    if isinstance(column_type, sa.DateTime):
        return pa.timestamp("us", tz="UTC" if column_type.timezone else None)
    return pa.string()


def _decimal_type(precision: int | None, scale: int | None) -> pa.DataType:
    if precision is None or not 0 < precision <= _MAX_DECIMAL_PRECISION:
        return pa.string()  # exact as text rather than rounded
    return pa.decimal128(precision, scale or 0)


def _described_precisions(result: CursorResult[Any]) -> list[tuple[int | None, int | None]]:
    description = result.cursor.description if result.cursor is not None else None
    if not description:
        return [(None, None)] * len(result.keys())
    return [(_int(column[4]), _int(column[5])) for column in description]


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# Checked in order: bool is an int.
_VALUE_TYPES: tuple[tuple[type, pa.DataType], ...] = (
    (bool, pa.bool_()),
    (int, pa.int64()),
    (float, pa.float64()),
)


def _value_type(values: Sequence[Any], precision: tuple[int | None, int | None]) -> pa.DataType:
    """An Arrow type for a query column, from its first non-null value."""
    sample = next((value for value in values if value is not None), None)
    for python_type, arrow_type in _VALUE_TYPES:
        if isinstance(sample, python_type):
            return arrow_type
    if isinstance(sample, Decimal):
        return _decimal_type(*precision)
    if isinstance(sample, datetime):
        return pa.timestamp("us", tz="UTC" if sample.tzinfo is not None else None)
    return pa.date32() if isinstance(sample, date) else pa.string()


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):  # JSON and array columns
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)
