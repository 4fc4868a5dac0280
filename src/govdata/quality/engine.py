"""Evaluating a rule set over one version of a lake table, in one scan.

When no needed column is encrypted, DuckDB reads the version's files itself on
every core (:mod:`.direct`). Otherwise the needed columns are scanned batch by
batch, encrypted ones decrypted on the way (the stored ciphertext is kept
beside the plain value), and handed to DuckDB as a stream. One query computes every row
rule's predicate and returns only the rows failing at least one of them; the
failures are counted exactly per rule and, per rule, at most ``cap`` failing
rows are kept with their keys, the values checked and a reason.

A uniqueness rule also scans its column(s) of the stored version (equal
ciphertexts are equal values: encryption is deterministic), grouped by their
``hash``: the rows whose hash occurs more than once are candidates, and the
candidates, grouped by value after the scan, give exactly the rows whose value
occurs more than once (:meth:`.compile._Compiler.unique`). A freshness rule
without a column is decided on the version's commit time.

Failing keys and values of encrypted columns are kept in their stored form
(``{"enc": base64}``), never in plain text; they are decrypted when an
authorised reader opens the failing rows (:mod:`.run_actions`).

A table that gets a new version while it is being evaluated, or whose files go
missing, fails the evaluation (``quality_table_changed``): no partial scores.
"""

from __future__ import annotations

import base64
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    FLAGGED,
    FLAGGED_ORDER,
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
from govdata.quality.reasons import reason_for, reasons_for
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
        _run(connection, compiled, source, row_outcomes, encrypted, cap)
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


def _run(  # noqa: PLR0917 (the query's parts and where its rows go)
    connection: duckdb.DuckDBPyConnection,
    compiled: CompiledSet,
    source: str,
    outcomes: list[RuleOutcome],
    encrypted: frozenset[str],
    cap: int,
) -> None:
    """Run the one query over ``source`` and count and keep each row rule's failures."""
    query, outputs = _query(compiled, encrypted, source)
    result = connection.sql(query).to_arrow_reader(BATCH_ROWS)
    # Rules whose predicate marks candidates: their rows wait for the confirmation.
    candidates: dict[int, list[pa.RecordBatch]] = {
        index: [] for index, rule in enumerate(compiled.row_rules) if rule.confirm
    }
    for batch in result:
        _collect(batch, compiled, outcomes, outputs, encrypted, cap, candidates)
    for index, batches in candidates.items():
        _confirm(connection, compiled, index, batches, outcomes[index], encrypted, cap)


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
        # come out in storage order however small the table is. And keep the filter
        # on the rules' verdicts above the projection that computes them: pushed
        # down, every predicate is inlined into the filter and computed again, for
        # the rows that come out, by the projection above it.
        "disabled_optimizers": "build_side_probe_side,filter_pushdown",
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
    candidates: dict[int, list[pa.RecordBatch]] | None = None,
) -> None:
    """Count each rule's failures in ``batch`` and keep its first failing rows.

    Values are converted a column at a time (each column once per rule), a reason that
    depends on the value is computed once per distinct failing value, and the kept rows
    are built without a Python step per value and column. The cyclic garbage collector
    is paused meanwhile: the rows are many small new objects and no cycles, and each of
    its passes would walk the whole heap again and again."""
    with _gc_paused():
        for index, outcome in enumerate(outcomes):
            if candidates is not None and index in candidates:
                _flagged(batch, compiled, index, encrypted, candidates[index])
            else:
                _collect_rule(batch, compiled, index, outcome, encrypted, cap)
    _ = outputs


def _flagged(
    batch: pa.RecordBatch,
    compiled: CompiledSet,
    index: int,
    encrypted: frozenset[str],
    into: list[pa.RecordBatch],
) -> None:
    """Keep the rows of ``batch`` the rule's predicate marks, with the columns its failing
    rows record, for :func:`_confirm`."""
    flagged = pc.invert(batch.column(f"gd_p{index}"))
    if not pc.any(flagged).as_py():
        return
    wanted = _wanted(compiled, index, encrypted)[2]
    into.append(batch.select(wanted).filter(flagged))


def _confirm(  # noqa: PLR0917 (the connection, the rule and where its rows go)
    connection: duckdb.DuckDBPyConnection,
    compiled: CompiledSet,
    index: int,
    batches: list[pa.RecordBatch],
    outcome: RuleOutcome,
    encrypted: frozenset[str],
    cap: int,
) -> None:
    """Count and keep the failing rows among a rule's candidates (``CompiledRule.confirm``)."""
    confirm = compiled.row_rules[index].confirm
    assert confirm is not None  # noqa: S101 (only such rules have candidates)
    if not batches:
        return
    flagged = pa.Table.from_batches(batches).combine_chunks()
    order = pa.array(range(flagged.num_rows), pa.int64())
    connection.register(FLAGGED, flagged.append_column(FLAGGED_ORDER, order))
    try:
        fails = connection.sql(confirm).to_arrow_table().column(0)
    finally:
        connection.unregister(FLAGGED)
    judged = flagged.append_column(f"gd_p{index}", pc.invert(fails)).combine_chunks()
    with _gc_paused():
        for batch in judged.to_batches():
            _collect_rule(batch, compiled, index, outcome, encrypted, cap)


def _wanted(
    compiled: CompiledSet, index: int, encrypted: frozenset[str]
) -> tuple[list[str], str | None, list[str]]:
    """The columns a rule's failing rows record (keys and checked columns), the column its
    reason reads if the reason depends on the value, and all of them."""
    rule = compiled.row_rules[index]
    names = list(dict.fromkeys([*compiled.key_columns, *rule.outputs]))
    first = rule.outputs[0] if len(rule.outputs) == 1 else None
    # The reason reads the plain value of an encrypted column (its stored form else).
    reason_column = None
    if first is not None and rule.spec.kind in _VALUE_REASONS:
        reason_column = PLAIN_PREFIX + first if first in encrypted else first
    wanted = list(dict.fromkeys([*names, *([reason_column] if reason_column else [])]))
    return names, reason_column, wanted


@contextmanager
def _gc_paused() -> Iterator[None]:
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _collect_rule(  # noqa: PLR0917 (the batch, the rule and where its rows go)
    batch: pa.RecordBatch,
    compiled: CompiledSet,
    index: int,
    outcome: RuleOutcome,
    encrypted: frozenset[str],
    cap: int,
) -> None:
    failing = pc.invert(batch.column(f"gd_p{index}"))
    count = pc.sum(failing).as_py() or 0
    if not count:
        return
    outcome.failed += count
    room = cap - len(outcome.failures)
    if room <= 0:
        return
    rule = outcome.spec
    checked = list(compiled.row_rules[index].outputs)
    names, reason_column, wanted = _wanted(compiled, index, encrypted)
    kept = batch.select(wanted).filter(failing).slice(0, room)
    converted = {name: _jsonable_column(kept.column(name)) for name in names}
    if reason_column is None:
        # Most reasons do not depend on the value: computed once per rule.
        reasons: list[str] = [reason_for(rule, None, sensitive=False)] * kept.num_rows
    else:
        reasons = reasons_for(
            rule, kept.column(reason_column).to_pylist(), sensitive=checked[0] in encrypted
        )
    outcome.failures.extend(
        map(
            FailingRow,
            _row_dicts(compiled.key_columns, converted, kept.num_rows),
            _row_dicts(checked, converted, kept.num_rows),
            reasons,
        )
    )


def _row_dicts(names: list[str], columns: dict[str, list[Any]], rows: int) -> list[dict[str, Any]]:
    """``{name: value}`` per row, from the converted columns (a name given twice keeps the
    last, as a dict display would)."""
    if not names:
        return [{} for _ in range(rows)]
    if len(names) == 1:
        name = names[0]
        return [{name: value} for value in columns[name]]
    rows_of = zip(*(columns[name] for name in names), strict=True)
    return [dict(zip(names, row, strict=True)) for row in rows_of]


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
