"""The version's files read by DuckDB itself, when no needed column is encrypted.

DuckDB then scans the pinned version's Arrow dataset on every core, as a bare
query would; nothing passes through a Python thread row by row. The columns
the compiled rules expect from the scan (``_gd_ok_<n>``, a validator's
verdicts) are computed in the same query (:mod:`.sql_checks`): citizen IDs in
SQL, every other validator over the column's distinct values (a row fails when its
value is among the refused ones).
The query sees the result under the name the rules are compiled against
(``gd_rows``), so predicates and custom SQL read the same either way.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from govdata.quality.compile import TABLE, CompiledSet, EvaluationContext, Verdict, quoted
from govdata.quality.sql_checks import SqlVerdict, division_mode, division_table, id_number_sql
from govdata.quality.vectorized import ID_NUMBER, DivisionIndex, Validator

SOURCE = "gd_source"  # the version's dataset as registered
PREPARED = "gd_prepared"  # the needed columns and the helper columns of the checks
DIVISION_INDEX = "gd_division_index"


def _is_text(data_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(data_type)
        or pa.types.is_large_string(data_type)
        or pa.types.is_string_view(data_type)
    )


def _distinct_verdict(
    connection: duckdb.DuckDBPyConnection, tag: str, column: str, validate: Validator
) -> SqlVerdict:
    """``validate`` over the distinct values of ``column``; a row's verdict is whether its
    value is not among the refused ones (a membership test against the few refused values,
    none at all when every value passes, rather than a join of every row with every
    value's verdict). Every value present is among the distinct values validated."""
    values = connection.sql(
        f"SELECT DISTINCT {quoted(column)} AS v FROM {SOURCE} WHERE {quoted(column)} IS NOT NULL"  # noqa: S608 (quoted)
    ).to_arrow_table()
    distinct = values.column("v").combine_chunks()
    refused = pc.invert(pc.fill_null(validate(distinct), False))
    value = f"{PREPARED}.{quoted(column)}"
    if not pc.any(refused).as_py():
        return SqlVerdict(verdict=f"(CASE WHEN {value} IS NULL THEN NULL ELSE TRUE END)")
    table = f"gd_refused_{tag}"
    connection.register(table, pa.table({"_gd_v": distinct.filter(refused)}))
    member = f"{value} NOT IN (SELECT _gd_v FROM {table})"  # noqa: S608 (quoted)
    return SqlVerdict(verdict=f"(CASE WHEN {value} IS NULL THEN NULL ELSE {member} END)")


def _verdict(  # noqa: PLR0917 (the verdict and what it is computed against)
    connection: duckdb.DuckDBPyConnection,
    tag: str,
    verdict: Verdict,
    schema: pa.Schema,
    context: EvaluationContext,
    validators: dict[str, Validator],
) -> SqlVerdict:
    if not verdict.validator.startswith(ID_NUMBER):
        return _distinct_verdict(connection, tag, verdict.source, validators[verdict.validator])
    column = quoted(verdict.source)
    value = column if _is_text(schema.field(verdict.source).type) else f"CAST({column} AS VARCHAR)"
    return id_number_sql(
        tag,
        value,
        division_check=division_mode(verdict.validator),
        today=context.today,
        divisions=DIVISION_INDEX,
    )


def register_direct(
    connection: duckdb.DuckDBPyConnection,
    dataset: Any,
    compiled: CompiledSet,
    context: EvaluationContext,
    validators: dict[str, Validator],
) -> str:
    """Register ``dataset`` and what the verdicts need; return the ``FROM`` item that
    stands for the rows the rules are compiled against."""
    connection.register(SOURCE, dataset)
    connection.register(DIVISION_INDEX, division_table(DivisionIndex.of(context.divisions)))
    found = [
        _verdict(connection, str(index), verdict, dataset.schema, context, validators)
        for index, verdict in enumerate(compiled.verdicts)
    ]
    needed = [quoted(name) for name in compiled.columns()]
    rows = f"SELECT {', '.join(needed)} FROM {SOURCE}"  # noqa: S608 (quoted names)
    depth = max((len(check.layers) for check in found), default=0)
    for level in range(depth):
        helpers = [c for check in found if level < len(check.layers) for c in check.layers[level]]
        rows = f"SELECT *, {', '.join(helpers)} FROM ({rows})"  # noqa: S608 (compiled)
    joins = " ".join(join for check in found for join in check.joins)
    verdicts = [
        f"{check.verdict} AS {quoted(verdict.name)}"
        for check, verdict in zip(found, compiled.verdicts, strict=True)
    ]
    select = ", ".join([f"{PREPARED}.*", *verdicts])
    return f"(SELECT {select} FROM ({rows}) AS {PREPARED} {joins}) AS {TABLE}"  # noqa: S608
