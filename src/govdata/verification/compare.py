"""Comparing the same fields for the same keys across tables, in DuckDB.

Each input arrives as a stream of plain-text batches (decrypted already: an
encrypted key column is encrypted under its own table's key, so ciphertexts
of one identity number differ between tables and only plain keys join). Per
input, one pass normalises the key and the mapped columns and groups by key:
a table that holds several different values for one key contributes them all,
joined with `` | ``, so the key shows as a conflict. The per-input results are
joined on the key (full outer join) once, and then:

* one aggregate over the joined rows gives, per field, the keys seen by the
  tables that map it, how many were compared (two or more values present),
  agreeing, conflicting, missing (fewer than two values) and resolved by the
  authoritative input (exact counts);
* one query per field keeps a bounded sample of the conflicting keys, in key
  order, with every input's value as the input held it (not normalised) and
  the authoritative input's value as the resolution.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from govdata.verification.normalise import normalised, normalised_key, quoted

SEPARATOR = " | "


@dataclass(frozen=True)
class TableData:
    reader: pa.RecordBatchReader  # the key column and the mapped columns, plain
    key_column: str
    fields: Mapping[str, str]  # field → column


@dataclass(frozen=True)
class ConflictRow:
    key: str
    values: dict[int, str | None]  # input index → its value (inputs mapping the field)
    resolved: str | None  # the authoritative input's value, if any


@dataclass(frozen=True)
class FieldResult:
    field: str
    tables: list[int]
    authority: int | None
    keys: int
    compared: int
    agreeing: int
    conflicting: int
    missing: int
    resolved: int
    conflicts: list[ConflictRow]


@dataclass(frozen=True)
class Comparison:
    keys_total: int
    fields: list[FieldResult]


@contextmanager
def connection(threads: int | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB that can touch no file and load no extension."""
    config: dict[str, Any] = {
        "enable_external_access": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    if threads is not None:
        config["threads"] = threads
    con = duckdb.connect(":memory:", config=config)
    try:
        yield con
    finally:
        con.close()


def _grouped(position: int, data: TableData, fields: Sequence[str]) -> str:
    """Per key: the normalised (n_f) and the held (r_f) values of one input."""
    inner = [f"{normalised_key(quoted(data.key_column))} AS k"]
    outer = ["k", "TRUE AS p"]
    for index, name in enumerate(fields):
        column = data.fields.get(name)
        if column is None:
            continue
        inner += [
            f"{normalised(quoted(column))} AS n{index}",
            f"CAST({quoted(column)} AS VARCHAR) AS r{index}",
        ]
        outer.extend(
            f"nullif(array_to_string(list_sort(list_distinct(list({prefix}{index}))), "
            f"'{SEPARATOR}'), '') AS {prefix}{index}"
            for prefix in ("n", "r")
        )
    return (
        f"CREATE TEMP TABLE t{position} AS SELECT {', '.join(outer)} "  # noqa: S608
        f"FROM (SELECT {', '.join(inner)} FROM input{position}) WHERE k IS NOT NULL GROUP BY k"
    )


def _joined(tables: Sequence[TableData], fields: Sequence[str]) -> str:
    selected = ["k"]
    for position, data in enumerate(tables):
        selected.append(f"t{position}.p AS p{position}")
        for index, name in enumerate(fields):
            if name in data.fields:
                selected += [
                    f"t{position}.n{index} AS n{index}_{position}",
                    f"t{position}.r{index} AS r{index}_{position}",
                ]
    joins = " ".join(f"FULL JOIN t{position} USING (k)" for position in range(1, len(tables)))
    return f"CREATE TEMP TABLE joined AS SELECT {', '.join(selected)} FROM t0 {joins}"  # noqa: S608


def _distinct(index: int, mapped: Sequence[int]) -> str:
    values = ", ".join(f"n{index}_{position}" for position in mapped)
    return f"len(list_distinct([{values}]))"


def _present(index: int, mapped: Sequence[int]) -> str:
    return " + ".join(f"(n{index}_{position} IS NOT NULL)::INT" for position in mapped)


def compare(
    tables: Sequence[TableData],
    fields: Sequence[str],
    authorities: Mapping[str, int | None],
    *,
    sample_limit: int,
    threads: int | None = None,
) -> Comparison:
    mapped = {
        name: [position for position, data in enumerate(tables) if name in data.fields]
        for name in fields
    }
    with connection(threads) as con:
        for position, data in enumerate(tables):
            con.register(f"input{position}", data.reader)
            con.execute(_grouped(position, data, fields))
            con.unregister(f"input{position}")
        con.execute(_joined(tables, fields))
        measures = ["count(*)"]
        for index, name in enumerate(fields):
            positions = mapped[name]
            seen = " OR ".join(f"p{position}" for position in positions)
            present, distinct = _present(index, positions), _distinct(index, positions)
            authority = authorities.get(name)
            resolved = (
                f"count(*) FILTER (WHERE {distinct} >= 2 AND n{index}_{authority} IS NOT NULL)"
                if authority is not None
                else "0"
            )
            measures += [
                f"count(*) FILTER (WHERE {seen})",
                f"count(*) FILTER (WHERE {present} >= 2)",
                f"count(*) FILTER (WHERE {present} >= 2 AND {distinct} = 1)",
                f"count(*) FILTER (WHERE {distinct} >= 2)",
                resolved,
            ]
        row = con.execute(f"SELECT {', '.join(measures)} FROM joined").fetchone()  # noqa: S608
        assert row is not None  # noqa: S101 (an aggregate returns one row)
        counts = [int(value or 0) for value in row]
        results: list[FieldResult] = []
        for index, name in enumerate(fields):
            keys, compared, agreeing, conflicting, resolved_count = counts[
                1 + 5 * index : 6 + 5 * index
            ]
            positions = mapped[name]
            authority = authorities.get(name)
            results.append(
                FieldResult(
                    field=name,
                    tables=positions,
                    authority=authority,
                    keys=keys,
                    compared=compared,
                    agreeing=agreeing,
                    conflicting=conflicting,
                    missing=keys - compared,
                    resolved=resolved_count,
                    conflicts=_sample(con, index, positions, authority, sample_limit),
                )
            )
        return Comparison(keys_total=counts[0], fields=results)


def _sample(
    con: duckdb.DuckDBPyConnection,
    index: int,
    positions: Sequence[int],
    authority: int | None,
    limit: int,
) -> list[ConflictRow]:
    held = ", ".join(f"r{index}_{position}" for position in positions)
    resolution = (
        f"CASE WHEN n{index}_{authority} IS NOT NULL THEN r{index}_{authority} END"
        if authority is not None
        else "NULL"
    )
    query = (
        f"SELECT k, {resolution}, {held} FROM joined "  # noqa: S608
        f"WHERE {_distinct(index, positions)} >= 2 ORDER BY k LIMIT {int(limit)}"
    )
    return [
        ConflictRow(
            key=str(found[0]),
            values=dict(zip(positions, found[2:], strict=True)),
            resolved=found[1],
        )
        for found in con.execute(query).fetchall()
    ]
