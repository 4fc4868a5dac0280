"""Evaluating a rule set over one version of a lake table, in one scan.

When no needed column is encrypted, DuckDB reads the version's files itself on
every core (:mod:`.direct`). Otherwise the needed columns are scanned batch by
batch, encrypted ones decrypted on the way (the stored ciphertext is kept
beside the plain value), and handed to DuckDB as a stream. One query computes every row
rule's predicate and returns only the rows failing at least one of them; the
failures are counted exactly per rule and, per rule, at most ``cap`` failing
rows are kept with their keys, the values checked and a reason.

A uniqueness rule also scans its column(s) of the stored version (equal
ciphertexts are equal values: encryption is deterministic), to find values
that occur more than once. A freshness rule without a column is decided on the
version's commit time.

Failing keys and values of encrypted columns are kept in their stored form
(``{"enc": base64}``), never in plain text; they are decrypted when an
authorised reader opens the failing rows (:mod:`.run_actions`).

A table that gets a new version while it is being evaluated, or whose files go
missing, fails the evaluation (``quality_table_changed``): no partial scores.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from govdata.errors import Conflict, GovdataError, InvalidInput
from govdata.lake.protection import TableProtection, is_encrypted_type
from govdata.lake.query import _strings_as_views
from govdata.lake.tables import LakeTable
from govdata.quality.compile import (
    STORED,
    STORED_PREFIX,
    TABLE,
    CompiledSet,
    EvaluationContext,
    Verdict,
    compile_rules,
    quoted,
)
from govdata.quality.direct import register_direct
from govdata.quality.reasons import reason_for
from govdata.quality.rules import RuleKind, RuleSetSpec, RuleSpec
from govdata.quality.vectorized import Validator, validators
from govdata.quality.vectorized import register as register_division_lookup

DEFAULT_FAILURE_CAP = 10_000
BATCH_ROWS = 131_072

PLAIN_PREFIX = "_gd_plain_"
# Kinds whose failure reason depends on the value that failed.
_VALUE_REASONS = frozenset({RuleKind.ID_NUMBER, RuleKind.CREDIT_CODE, RuleKind.DIVISION_CODE})


@dataclass(frozen=True)
class FailingRow:
    key: dict[str, Any]
    values: dict[str, Any]
    reason: str


@dataclass
class RuleOutcome:
    spec: RuleSpec
    evaluated: int
    failed: int = 0
    failures: list[FailingRow] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return self.evaluated - self.failed

    @property
    def score(self) -> float | None:
        return None if self.evaluated == 0 else self.passed / self.evaluated


@dataclass(frozen=True)
class Evaluation:
    version: int
    rows: int
    outcomes: list[RuleOutcome]


class TableChanged(Conflict):
    pass


def _changed(before: int | None, after: int | None) -> TableChanged:
    return TableChanged(
        f"数据表在检查期间发生了变化（版本 {before} → {after}），本次检查作废，请重新运行",
        code="quality_table_changed",
        fields={"version": f"{before} → {after}"},
    )


def jsonable_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, bytes):
        return {"enc": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Decimal | date | datetime | timedelta):
        return str(value)
    return str(value)


class _Scan:
    """The version's needed columns as a stream of (decrypted) batches."""

    def __init__(  # noqa: PLR0917 (the scan's parts)
        self,
        dataset: Any,
        columns: list[str],
        protection: TableProtection | None,
        encrypted: frozenset[str],
        on_batch: Callable[[int], None] | None,
        verdicts: list[tuple[Verdict, Validator]],
    ) -> None:
        self.dataset = dataset
        self.columns = columns
        self.protection = protection
        self.encrypted = encrypted
        self.on_batch = on_batch
        self.verdicts = verdicts
        self.rows = 0
        stored = dataset.schema
        fields: list[pa.Field] = []
        for name in columns:
            data_type = stored.field(name).type
            fields.append(pa.field(name, pa.string() if name in encrypted else data_type))
        fields.extend(
            pa.field(STORED_PREFIX + name, pa.binary()) for name in columns if name in encrypted
        )
        self.read_schema = pa.schema(fields)
        fields.extend(pa.field(verdict.name, pa.bool_()) for verdict, _ in verdicts)
        self.schema = pa.schema(fields)

    def batches(self) -> Iterator[pa.RecordBatch]:
        scanner = self.dataset.scanner(columns=self.columns, batch_size=BATCH_ROWS)
        for scanned in scanner.to_batches():
            if scanned.num_rows == 0:
                continue
            self.rows += scanned.num_rows
            batch = self._decrypted(scanned) if self.encrypted else scanned
            if self.verdicts:
                batch = self._judged(batch)
            if self.on_batch is not None:
                self.on_batch(self.rows)
            yield batch

    def _decrypted(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        assert self.protection is not None  # noqa: S101 (encrypted implies protection)
        stored = {
            name: batch.column(name).cast(pa.binary())
            if pa.types.is_binary_view(batch.schema.field(name).type)
            else batch.column(name)
            for name in self.columns
            if name in self.encrypted
        }
        plain = self.protection.decrypt_batch(batch)
        arrays = [plain.column(name) for name in self.columns] + [
            stored[name] for name in self.columns if name in self.encrypted
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=self.read_schema)

    def _judged(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """The batch with each validator's verdicts on its column appended."""
        arrays = [*batch.columns]
        arrays += [validate(batch.column(verdict.source)) for verdict, validate in self.verdicts]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.schema, self.batches())


def _query(
    compiled: CompiledSet, encrypted: frozenset[str], source: str = TABLE
) -> tuple[str, list[str]]:
    outputs: list[str] = []
    select: list[str] = []
    wanted: dict[str, None] = dict.fromkeys(compiled.key_columns)
    for rule in compiled.row_rules:
        wanted.update(dict.fromkeys(rule.outputs))
    for name in wanted:
        if name in encrypted:
            select.append(f"{quoted(STORED_PREFIX + name)} AS {quoted(name)}")
            select.append(f"{quoted(name)} AS {quoted(PLAIN_PREFIX + name)}")
        else:
            select.append(quoted(name))
        outputs.append(name)
    flags = [f"gd_p{i}" for i in range(len(compiled.row_rules))]
    for flag, rule in zip(flags, compiled.row_rules, strict=True):
        select.append(f"{rule.predicate} AS {flag}")
    ctes = f"WITH {', '.join(compiled.ctes)} " if compiled.ctes else ""
    every = " AND ".join(flags) if flags else "TRUE"
    inner = f"SELECT {', '.join(select)} FROM {source}"  # noqa: S608 (compiled, quoted)
    return f"{ctes}SELECT * FROM ({inner}) WHERE NOT ({every})", outputs  # noqa: S608


def evaluate(
    lake: LakeTable,
    version: int,
    rule_set: RuleSetSpec,
    *,
    key_columns: list[str],
    context: EvaluationContext,
    protection: TableProtection | None = None,
    cap: int = DEFAULT_FAILURE_CAP,
    on_batch: Callable[[int], None] | None = None,
    threads: int | None = None,
) -> Evaluation:
    """Every rule of ``rule_set`` over ``version`` of ``lake``; see the module doc."""
    current_before = lake.version()
    try:
        stored_dataset = _strings_as_views(lake.dataset(version))
    except (OSError, pa.ArrowException) as error:
        raise _changed(current_before, lake.version()) from error
    stored_schema = stored_dataset.schema
    encrypted = frozenset(
        field.name
        for field in stored_schema
        if is_encrypted_type(field.type)
        and protection is not None
        and field.name in protection.columns
    )
    plain_schema = protection.plain_schema(stored_schema) if protection else stored_schema
    compiled = compile_rules(
        rule_set, plain_schema, encrypted=encrypted, context=context, key_columns=key_columns
    )
    found = validators(context.divisions, context.today)
    # Decrypting needs Python: only then do the rows pass through a Python stream.
    streamed = not encrypted.isdisjoint(compiled.columns())
    scan = _Scan(
        stored_dataset,
        compiled.columns(),
        protection,
        encrypted,
        on_batch,
        [(verdict, found[verdict.validator]) for verdict in compiled.verdicts],
    )
    outcomes = [RuleOutcome(rule.spec, evaluated=0) for rule in compiled.rules]
    row_outcomes = [
        outcome for outcome, rule in zip(outcomes, compiled.rules, strict=True) if rule.predicate
    ]
    connection = _connect(threads)
    try:
        source = _register(connection, scan, compiled, context, found, streamed=streamed)
        query, outputs = _query(compiled, encrypted, source)
        result = connection.sql(query).to_arrow_reader(BATCH_ROWS)
        for batch in result:
            _collect(batch, compiled, row_outcomes, outputs, encrypted, cap)
        if not streamed and on_batch is not None:
            on_batch(scan.rows)
    except GovdataError:
        raise
    except (OSError, FileNotFoundError) as error:
        raise _changed(current_before, lake.version()) from error
    except (duckdb.Error, pa.ArrowException) as error:
        if _missing_file(error):
            raise _changed(current_before, lake.version()) from error
        raise InvalidInput(
            "质量规则执行出错：" + str(error).strip().splitlines()[0][:300],
            code="quality_sql_failed",
        ) from error
    finally:
        connection.close()
    current_after = lake.version()
    if current_after != current_before:
        raise _changed(current_before, current_after)
    for outcome, rule in zip(outcomes, compiled.rules, strict=True):
        if rule.predicate is not None:
            outcome.evaluated = scan.rows
        else:
            _table_level(outcome, context)
    return Evaluation(version=version, rows=scan.rows, outcomes=outcomes)


def _register(
    connection: duckdb.DuckDBPyConnection,
    scan: _Scan,
    compiled: CompiledSet,
    context: EvaluationContext,
    found: dict[str, Validator],
    *,
    streamed: bool,
) -> str:
    """Register the tables the query reads; return what stands for the rows."""
    register_division_lookup(connection, context.divisions)
    if compiled.needs_stored:
        connection.register(STORED, scan.dataset)
    for name, table in compiled.tables.items():
        connection.register(name, table)
    if streamed:
        connection.register(TABLE, scan.reader())
        return TABLE
    scan.rows = scan.dataset.count_rows()
    return register_direct(connection, scan.dataset, compiled, context, found)


def _connect(threads: int | None) -> duckdb.DuckDBPyConnection:
    config: dict[str, Any] = {
        "enable_external_access": False,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        # Keep the scanned rows on the probe side of every join, so failing rows
        # come out in storage order however small the table is.
        "disabled_optimizers": "build_side_probe_side",
    }
    if threads is not None:
        config["threads"] = threads
    return duckdb.connect(":memory:", config=config)


def _missing_file(error: Exception) -> bool:
    text = str(error).lower()
    return "no such file" in text or ("not found" in text and "file" in text)


def _plain_type(data_type: pa.DataType) -> bool:
    """Arrow types whose Python values :func:`jsonable_value` returns unchanged."""
    return bool(
        pa.types.is_null(data_type)
        or pa.types.is_boolean(data_type)
        or pa.types.is_integer(data_type)
        or pa.types.is_floating(data_type)
        or pa.types.is_string(data_type)
        or pa.types.is_large_string(data_type)
        or pa.types.is_string_view(data_type)
    )


def _jsonable_column(column: pa.Array) -> list[Any]:
    """:func:`jsonable_value` of every value of ``column``, converted column by column."""
    values: list[Any] = column.to_pylist()
    if _plain_type(column.type):
        return values
    return [jsonable_value(value) for value in values]


def _collect(  # noqa: PLR0917 (one case per rule kind)
    batch: pa.RecordBatch,
    compiled: CompiledSet,
    outcomes: list[RuleOutcome],
    outputs: list[str],
    encrypted: frozenset[str],
    cap: int,
) -> None:
    """Count each rule's failures in ``batch`` and keep its first failing rows.

    Values are converted a column at a time, and a reason that depends on the value
    is computed once per distinct failing value."""
    for index, outcome in enumerate(outcomes):
        failing = pc.invert(batch.column(f"gd_p{index}"))
        count = pc.sum(failing).as_py() or 0
        if not count:
            continue
        outcome.failed += count
        room = cap - len(outcome.failures)
        if room <= 0:
            continue
        rule = outcome.spec
        checked = list(compiled.row_rules[index].outputs)
        names = list(dict.fromkeys([*compiled.key_columns, *checked]))
        first = checked[0] if len(checked) == 1 else None
        # The reason reads the plain value of an encrypted column (its stored form else).
        reason_column = None
        if first is not None and rule.kind in _VALUE_REASONS:
            reason_column = PLAIN_PREFIX + first if first in encrypted else first
        wanted = list(dict.fromkeys([*names, *([reason_column] if reason_column else [])]))
        kept = batch.select(wanted).filter(failing).slice(0, room)
        converted = {name: _jsonable_column(kept.column(name)) for name in names}
        keys = [converted[name] for name in compiled.key_columns]
        values = [converted[name] for name in checked]
        if reason_column is None:
            # Most reasons do not depend on the value: computed once per rule.
            fixed = reason_for(rule, None, sensitive=False)
            reasons: list[str] = [fixed] * kept.num_rows
        else:
            sensitive = first in encrypted
            known: dict[Any, str] = {}
            reasons = []
            for value in kept.column(reason_column).to_pylist():
                reason = known.get(value)
                if reason is None:
                    reason = reason_for(rule, value, sensitive=sensitive)
                    known[value] = reason
                reasons.append(reason)
        key_names, checked_names = compiled.key_columns, checked
        for row, reason in enumerate(reasons):
            outcome.failures.append(
                FailingRow(
                    key={k: column[row] for k, column in zip(key_names, keys, strict=True)},
                    values={
                        k: column[row] for k, column in zip(checked_names, values, strict=True)
                    },
                    reason=reason,
                )
            )
    _ = outputs


def _table_level(outcome: RuleOutcome, context: EvaluationContext) -> None:
    """A freshness rule without a column: the version itself is one evaluated item."""
    days = outcome.spec.max_age_days or context.default_max_age_days
    outcome.evaluated = 1
    committed = context.commit_time
    assert days is not None  # noqa: S101 (checked when compiled)
    if committed is not None and committed >= context.now - timedelta(days=days):
        return
    outcome.failed = 1
    when = f"{committed:%Y-%m-%d %H:%M}" if committed else "未知"
    outcome.failures.append(
        FailingRow(
            key={},
            values={"committed_at": when},
            reason=f"数据版本写入于 {when}，超过 {days} 天未更新",
        )
    )
