"""Reading lake tables with DuckDB.

Each query opens its own in-memory DuckDB connection, registers the version's
Arrow dataset (:meth:`LakeTable.dataset`) under a name, runs and closes. DuckDB's
``delta`` extension is not used: it is downloaded at run time, and nodes are
air-gapped. The connection cannot touch files or load extensions
(``enable_external_access`` off), so SQL can only see the tables it was given.

Readers are bounded (convention 7): at most ``max_rows`` rows per read and
``timeout_seconds`` per query (``lake_query_timeout`` past it). A read that stops
before the end of the matching rows says so: its schema metadata carries
``govdata.truncated = true``.

Column names in ``columns``, ``where`` and ``order_by`` are checked against the
version's schema and quoted; ``where`` values are bound as parameters, never
spliced into the SQL.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads

from govdata.errors import InvalidInput, StorageBusy
from govdata.lake.tables import LakeTable

DEFAULT_LIMIT = 100
MAX_ROWS = 10_000
DEFAULT_TIMEOUT_SECONDS = 30.0
TRUNCATED_KEY = b"govdata.truncated"
SQL_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_DATASET = "lake_rows"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class LakeReader:
    """Runs bounded, read-only DuckDB queries over lake table versions."""

    max_rows: int = MAX_ROWS
    timeout_seconds: float | None = DEFAULT_TIMEOUT_SECONDS
    threads: int | None = None
    memory_limit: str | None = None  # DuckDB syntax, e.g. "2GB"

    def read(
        self,
        table: LakeTable,
        version: int | None = None,
        *,
        columns: Sequence[str] | None = None,
        where: Mapping[str, object] | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
        order_by: Sequence[str] | None = None,
    ) -> pa.Table:
        """Rows of one version (the current one by default), as an Arrow table.

        ``where`` maps a column to a value it must equal (None: is null; a list:
        one of). ``order_by`` names columns, ``-name`` for descending; without it
        rows come in storage order, which is stable for a version.
        """
        if not 0 <= limit <= self.max_rows:
            raise InvalidInput(
                f"每次最多读取 {self.max_rows} 行",
                code="lake_query_invalid",
                fields={"limit": str(limit)},
            )
        if offset < 0:
            raise InvalidInput(
                "偏移量不能为负数", code="lake_query_invalid", fields={"offset": "≥ 0"}
            )
        dataset = _strings_as_views(table.dataset(version))
        schema = dataset.schema
        selected = [_column(schema, name, "columns") for name in columns] if columns else ["*"]
        condition, params = _where(schema, where)
        ordering = _order_by(schema, order_by)
        query = (
            f"SELECT {', '.join(selected)} FROM {_DATASET}{condition}{ordering} "  # noqa: S608
            f"LIMIT {int(limit) + 1} OFFSET {int(offset)}"
        )
        with self._connection({_DATASET: dataset}) as connection:
            result = self._run(connection, query, params, user_input=True)
        truncated = result.num_rows > limit
        result = result.slice(0, limit)
        metadata = dict(result.schema.metadata or {})
        metadata[TRUNCATED_KEY] = b"true" if truncated else b"false"
        return result.replace_schema_metadata(metadata)

    def count(
        self,
        table: LakeTable,
        version: int | None = None,
        *,
        where: Mapping[str, object] | None = None,
    ) -> int:
        if not where:
            return table.count(version)
        dataset = _strings_as_views(table.dataset(version))
        condition, params = _where(dataset.schema, where)
        query = f"SELECT count(*) AS n FROM {_DATASET}{condition}"  # noqa: S608
        with self._connection({_DATASET: dataset}) as connection:
            result = self._run(connection, query, params, user_input=True)
        return int(result.column(0)[0].as_py())

    def sql(
        self,
        tables: Mapping[str, tuple[LakeTable, int | None]],
        query: str,
        params: Sequence[object] = (),
    ) -> pa.Table:
        """Internal SQL over named table versions (for example a library's members).

        Not for user input: the query is run as given. It sees only ``tables``.
        """
        with self._connection(_datasets(tables)) as connection:
            return self._run(connection, query, params, user_input=False)

    @contextmanager
    def sql_batches(
        self,
        tables: Mapping[str, tuple[LakeTable, int | None]],
        query: str,
        params: Sequence[object] = (),
        batch_rows: int = 100_000,
    ) -> Iterator[pa.RecordBatchReader]:
        """Like :meth:`sql`, streamed: for results too big to hold (a library build).

        The reader is valid inside the ``with`` block only; no time limit applies.
        """
        with self._connection(_datasets(tables)) as connection:
            relation = connection.sql(query, params=list(params) or None)
            yield relation.to_arrow_reader(batch_rows)

    # -- running ---------------------------------------------------------------------

    @contextmanager
    def _connection(self, sources: Mapping[str, object]) -> Iterator[duckdb.DuckDBPyConnection]:
        config: dict[str, Any] = {
            "enable_external_access": False,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
        if self.threads is not None:
            config["threads"] = self.threads
        if self.memory_limit is not None:
            config["memory_limit"] = self.memory_limit
        connection = duckdb.connect(":memory:", config=config)
        try:
            for name, source in sources.items():
                connection.register(name, source)
            yield connection
        finally:
            connection.close()

    def _run(
        self,
        connection: duckdb.DuckDBPyConnection,
        query: str,
        params: Sequence[object],
        *,
        user_input: bool,
    ) -> pa.Table:
        timer = None
        if self.timeout_seconds is not None:
            timer = threading.Timer(self.timeout_seconds, connection.interrupt)
            timer.daemon = True
            timer.start()
        try:
            return connection.sql(query, params=list(params) or None).to_arrow_table()
        except duckdb.InterruptException:
            raise StorageBusy("查询超时，请缩小查询范围后重试", code="lake_query_timeout") from None
        except (duckdb.ConversionException, duckdb.BinderException) as error:
            if not user_input:
                raise
            raise InvalidInput(
                "查询条件的值与列的类型不符", code="lake_query_invalid_value"
            ) from error
        finally:
            if timer is not None:
                timer.cancel()


def _datasets(tables: Mapping[str, tuple[LakeTable, int | None]]) -> dict[str, object]:
    sources: dict[str, object] = {}
    for name, (table, version) in tables.items():
        if not SQL_NAME.fullmatch(name):
            raise ValueError(f"invalid SQL table name {name!r}")
        sources[name] = _strings_as_views(table.dataset(version))
    return sources


def _strings_as_views(dataset: pads.Dataset) -> pads.Dataset:
    """The dataset with its text columns typed ``string_view``.

    Files written by a Delta merge store text as ``string_view`` while govdata's
    own loads store ``string``; a filter pushed down into a dataset that mixes
    them fails in Arrow (no ``equal(string, string_view)`` kernel). Declaring
    every text column as a view reads both kinds of file, and DuckDB returns
    plain strings either way.
    """
    if not isinstance(dataset, pads.FileSystemDataset):
        return dataset
    fields = [
        field.with_type(pa.string_view())
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type)
        else field
        for field in dataset.schema
    ]
    return pads.FileSystemDataset(
        list(dataset.get_fragments()),
        schema=pa.schema(fields),
        format=dataset.format,
        filesystem=dataset.filesystem,
    )


def _column(schema: pa.Schema, name: str, parameter: str) -> str:
    if name not in schema.names:
        raise InvalidInput(
            f"数据表中没有列“{name}”",
            code="lake_unknown_column",
            fields={parameter: str(name)[:200]},
        )
    return _quoted(name)


def _where(schema: pa.Schema, where: Mapping[str, object] | None) -> tuple[str, list[object]]:
    if not where:
        return "", []
    clauses: list[str] = []
    params: list[object] = []
    for name, value in where.items():
        column = _column(schema, name, "where")
        if value is None:
            clauses.append(f"{column} IS NULL")
        elif isinstance(value, list | tuple | set | frozenset):
            present = [item for item in value if item is not None]
            options = [f"{column} IN ({', '.join('?' for _ in present)})"] if present else []
            if len(present) < len(value):
                options.append(f"{column} IS NULL")
            clauses.append(f"({' OR '.join(options)})" if options else "FALSE")
            params.extend(present)
        else:
            clauses.append(f"{column} = ?")
            params.append(value)
    return " WHERE " + " AND ".join(clauses), params


def _order_by(schema: pa.Schema, order_by: Sequence[str] | None) -> str:
    if not order_by:
        return ""
    if isinstance(order_by, str):
        order_by = [order_by]
    terms = []
    for term in order_by:
        descending = term.startswith("-")
        column = _column(schema, term.removeprefix("-"), "order_by")
        terms.append(f"{column} {'DESC' if descending else 'ASC'} NULLS LAST")
    return " ORDER BY " + ", ".join(terms)


_DEFAULT_READER = LakeReader()


def read_rows(
    table: LakeTable,
    version: int | None = None,
    *,
    columns: Sequence[str] | None = None,
    where: Mapping[str, object] | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    order_by: Sequence[str] | None = None,
) -> pa.Table:
    """:meth:`LakeReader.read` with the default limits."""
    return _DEFAULT_READER.read(
        table, version, columns=columns, where=where, limit=limit, offset=offset, order_by=order_by
    )


def count_rows(
    table: LakeTable, version: int | None = None, *, where: Mapping[str, object] | None = None
) -> int:
    """:meth:`LakeReader.count` with the default limits."""
    return _DEFAULT_READER.count(table, version, where=where)


def is_truncated(result: pa.Table) -> bool:
    """Whether a :func:`read_rows` result stopped before the last matching row."""
    return (result.schema.metadata or {}).get(TRUNCATED_KEY) == b"true"
