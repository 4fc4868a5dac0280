"""Comparison runs: starting one, following it, and opening its conflicts.

A run executes in the request (synchronously): every input is pinned to a
version first, then read once and compared in DuckDB, and the database is
written only at the end. Whatever goes wrong while reading or comparing (a
table without the key column, an unknown column, a missing version, a value
that fails to decrypt) is kept on a failed run with its stable code and
message, and no results: no partial counts, no conflicts.
"""

from __future__ import annotations

import base64
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from govdata.access.enforce import require_grade
from govdata.access.policy import ReadKind
from govdata.actions import ActionSet, Context
from govdata.aggregation.grading import record_read
from govdata.aggregation.masked_reads import audience_of, mask_page
from govdata.aggregation.store import org_ref
from govdata.audit.guard import ReadAttempt, guard_read
from govdata.db import utcnow
from govdata.errors import GovdataError, InvalidInput, NotFound
from govdata.events import record_event
from govdata.lake.tables import LakeTable
from govdata.masking.kinds import SensitiveKind
from govdata.orgs.models import Organisation
from govdata.verification import store
from govdata.verification.authority_actions import designations_of
from govdata.verification.compare import TableData, compare
from govdata.verification.events import VerificationRunFinished
from govdata.verification.models import VerificationConflict, VerificationRun
from govdata.verification.permissions import READ, RUN
from govdata.verification.schemas import (
    ConflictOut,
    ConflictPage,
    ConflictQuery,
    Evidence,
    RunListQuery,
    RunRef,
    RunStart,
    VerificationRunOut,
)
from govdata.verification.tables import (
    Table,
    check_columns,
    find_table,
    pinned_version,
    plain_reader,
)

actions = ActionSet("verification-runs")


def _fields(data: RunStart) -> list[str]:
    return list(dict.fromkeys(name for table in data.tables for name in table.fields))


def _execute(
    ctx: Context, run: VerificationRun, data: RunStart, tables: list[Table], pinned: list[int]
) -> None:
    """Pin (into ``pinned``), read and compare; record the results (raises on failure)."""
    fields = _fields(data)
    readers: list[TableData] = []
    for table, given in zip(tables, data.tables, strict=True):
        lake = LakeTable(ctx.services.lake, table.table_name)
        version = pinned_version(lake, given.version, table.name)
        pinned.append(version)
        key_column = given.key_column or data.key
        check_columns(lake, version, table.name, key_column, list(given.fields.values()))
        columns = [key_column, *given.fields.values()]
        reader = plain_reader(
            ctx.session,
            ctx.services.keystore,
            ctx.services.lake,
            table_name=table.table_name,
            version=version,
            columns=columns,
        )
        readers.append(TableData(reader, key_column, dict(given.fields)))
    comparison = compare(readers, fields, run.authorities, sample_limit=data.sample_limit)
    store.save_results(ctx.session, ctx.services.keystore, run, comparison)


@actions.register(
    "verification_run_start",
    RunStart,
    example={
        "organisation_id": "<organisation id>",
        "subject_kind": "person",
        "key": "id_number",
        "tables": [
            {"source_id": "<source id>", "fields": {"address": "address"}},
            {"library_id": "<library id>", "fields": {"address": "address"}},
        ],
    },
    summary="Compare fields for the same keys across sources and libraries at pinned "
    "versions (synchronous); returns the finished run: counts per field, or the reason "
    "it failed.",
)
def verification_run_start(ctx: Context, data: RunStart) -> VerificationRunOut:
    ctx.authorize_somewhere(RUN)
    org = ctx.session.get(Organisation, data.organisation_id)
    if org is None:
        raise NotFound("机构不存在", code="organisation_not_found")
    ctx.authorize(RUN, org.ref)
    tables = [find_table(ctx.session, *given.ref) for given in data.tables]
    for table in tables:  # the run reads each input's data inside the platform
        ctx.authorize(RUN, org_ref(ctx.session, table.organisation_id))
    designated = designations_of(ctx, org.id, data.subject_kind)
    positions = {(table.kind, table.id): index for index, table in enumerate(tables)}
    authorities: dict[str, Any] = {}
    for name in _fields(data):
        index = positions.get(designated[name]) if name in designated else None
        # An authority that is an input but does not map the field resolves nothing.
        if index is not None and name not in data.tables[index].fields:
            index = None
        authorities[name] = index
    run = VerificationRun(
        organisation_id=org.id,
        subject_kind=data.subject_kind,
        key=data.key,
        inputs=[
            {
                "kind": table.kind,
                "id": table.id,
                "name": table.name,
                "organisation_id": table.organisation_id,
                "version": given.version,
                "key_column": given.key_column or data.key,
                "fields": dict(given.fields),
            }
            for table, given in zip(tables, data.tables, strict=True)
        ],
        authorities=authorities,
        sample_limit=data.sample_limit,
        status="running",
        requested_by=ctx.actor.name,
        started_at=utcnow(),
    )
    ctx.session.add(run)
    ctx.session.flush()
    pinned: list[int] = []
    try:
        # A savepoint: a failure leaves no counts, conflicts or keys behind.
        with ctx.session.begin_nested():
            _execute(ctx, run, data, tables, pinned)
    except GovdataError as error:
        run.status, run.error_code, run.error_message = "failed", error.error_code, error.message
    except (duckdb.Error, pa.ArrowException) as error:
        run.status, run.error_code = "failed", "verification_failed"
        run.error_message = f"比对执行失败：{type(error).__name__}"
    else:
        run.status = "succeeded"
    if run.status == "failed":
        run.keys_total = run.conflicts_total = 0
    run.inputs = [
        {**item, "version": pinned[index] if index < len(pinned) else item["version"]}
        for index, item in enumerate(run.inputs)
    ]
    flag_modified(run, "inputs")
    run.finished_at = utcnow()
    ctx.session.flush()
    record_event(
        ctx,
        VerificationRunFinished(
            subject_id=run.id,
            organisation_id=org.id,
            status=run.status,
            inputs=[table.ref for table in tables],
            conflicts=run.conflicts_total,
            error_code=run.error_code,
        ),
    )
    return store.run_out(ctx.session, run)


@actions.register(
    "verification_run_get",
    RunRef,
    example={"id": "<verification run id>"},
    summary="One comparison run: its inputs with their versions, and counts per field.",
    read_only=True,
)
def verification_run_get(ctx: Context, data: RunRef) -> VerificationRunOut:
    ctx.authorize_somewhere(READ)
    run = store.get_run(ctx.session, data.id)
    ctx.authorize(READ, org_ref(ctx.session, run.organisation_id))
    return store.run_out(ctx.session, run)


@actions.register(
    "verification_run_list",
    RunListQuery,
    example={},
    summary="Comparison runs the caller may see, newest first.",
    read_only=True,
)
def verification_run_list(ctx: Context, data: RunListQuery) -> list[VerificationRunOut]:
    ctx.authorize_somewhere(READ)
    query = (
        select(VerificationRun, Organisation)
        .join(Organisation, Organisation.id == VerificationRun.organisation_id)
        .order_by(VerificationRun.started_at.desc(), VerificationRun.id)
    )
    if data.organisation_id is not None:
        query = query.where(VerificationRun.organisation_id == data.organisation_id)
    if data.status is not None:
        query = query.where(VerificationRun.status == data.status)
    runs = [
        run
        for run, org in ctx.session.execute(query.limit(data.limit * 4)).all()
        if ctx.can(READ, org.ref)
    ][: data.limit]
    return [store.run_out(ctx.session, run) for run in runs]


# -- conflicts ---------------------------------------------------------------------------


def _sensitivity(
    ctx: Context, run: VerificationRun, tables: list[Table]
) -> tuple[SensitiveKind | None, bool, dict[str, tuple[bool, SensitiveKind | None]]]:
    """Whether the key and each field are sensitive in any input, and their kinds."""
    key_kind: SensitiveKind | None = None
    key_sensitive = False
    fields: dict[str, tuple[bool, SensitiveKind | None]] = {}
    for item, table in zip(run.inputs, tables, strict=True):
        sensitive = table.sensitive(ctx.session)
        if item["key_column"] in sensitive:
            key_sensitive = True
            key_kind = key_kind or sensitive[item["key_column"]]
        for name, column in item["fields"].items():
            was, kind = fields.get(name, (False, None))
            if column in sensitive:
                fields[name] = (True, kind or sensitive[column])
            else:
                fields[name] = (was, kind)
    return key_kind, key_sensitive, fields


@actions.register(
    "verification_conflicts",
    ConflictQuery,
    example={"run_id": "<verification run id>", "field": "address"},
    summary="Conflicting keys of a run with every input's value and the authoritative "
    "resolution, decrypted and masked for the reader; recorded as a data read.",
)
def verification_conflicts(ctx: Context, data: ConflictQuery) -> ConflictPage:
    ctx.authorize_somewhere(READ)
    run = store.get_run(ctx.session, data.run_id)
    ctx.authorize(READ, org_ref(ctx.session, run.organisation_id))
    tables = [find_table(ctx.session, item["kind"], item["id"]) for item in run.inputs]
    resources = [resource for table in tables for resource in table.resources(ctx.session)]
    decision = require_grade(ctx, resources, ReadKind.VALUES)
    known = {name for item in run.inputs for name in item["fields"]}
    if data.field is not None and data.field not in known:
        raise InvalidInput(f"本次比对没有字段“{data.field}”", fields={"field": data.field})
    condition = [VerificationConflict.run_id == run.id]
    if data.field is not None:
        condition.append(VerificationConflict.field == data.field)
    release = guard_read(
        ctx,
        ReadAttempt(
            action="verification_conflicts",
            subject_id=run.id,
            holder_id=run.organisation_id,
            grade=decision.grade.value if decision.grade else None,
            rows=data.limit,
            where={"run_id": run.id, "field": data.field or ""},
            offset=data.offset,
        ),
    )
    total = ctx.session.scalar(
        select(func.count()).select_from(VerificationConflict).where(*condition)
    )
    rows = list(
        ctx.session.scalars(
            select(VerificationConflict)
            .where(*condition)
            .order_by(VerificationConflict.field, VerificationConflict.position)
            .offset(data.offset)
            .limit(data.limit)
        )
    )
    key_kind, key_sensitive, field_kinds = _sensitivity(ctx, run, tables)
    audience = audience_of(decision).value
    masked: dict[str, str] = {}
    shown: list[ConflictOut] = []
    if rows:
        keys = store.reading_keys(ctx.session, ctx.services.keystore)
        for name in dict.fromkeys(row.field for row in rows):
            group = [row for row in rows if row.field == name]
            out, what = _shown(
                group,
                keys=keys,
                run=run,
                key_sensitive=key_sensitive,
                key_kind=key_kind,
                field_kinds=field_kinds,
                decision=decision,
            )
            shown.extend(out)
            for column, how in what.items():
                masked[name if column != "key" else run.key] = how
    record_read(
        ctx,
        decision,
        release=release,
        subject_id=run.id,
        source_id=None,
        library_id=None,
        mode="verification-conflicts",
        version=None,
        where={"field": data.field or ""},
        rows=len(rows),
        purpose="verification",
        run_id=run.id,
        audience=audience,
        masked=masked,
    )
    return ConflictPage(
        run_id=run.id,
        field=data.field,
        total=int(total or 0),
        rows=shown,
        audience=audience,
        masked=masked,
    )


def _shown(
    group: list[VerificationConflict],
    *,
    keys: Any,
    run: VerificationRun,
    key_sensitive: bool,
    key_kind: SensitiveKind | None,
    field_kinds: dict[str, tuple[bool, SensitiveKind | None]],
    decision: Any,
) -> tuple[list[ConflictOut], dict[str, str]]:
    """One field's conflicts opened, as one table masked a column at a time."""
    inputs = sorted({int(index) for row in group for index in row.evidence})
    plain_keys = store.unseal([row.key_value for row in group], keys, "key")
    resolved = store.unseal([row.resolved_value for row in group], keys, "value")
    columns: dict[str, list[str | None]] = {"key": plain_keys, "resolved": resolved}
    for index in inputs:
        sealed = [row.evidence.get(str(index)) for row in group]
        columns[f"v{index}"] = store.unseal(
            [None if value is None else base64.b64decode(value) for value in sealed],
            keys,
            "value",
        )
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    sensitive: dict[str, SensitiveKind | None] = {"key": key_kind} if key_sensitive else {}
    field_sensitive, field_kind = field_kinds.get(group[0].field, (False, None))
    if field_sensitive:
        sensitive |= dict.fromkeys(["resolved", *(f"v{i}" for i in inputs)], field_kind)
    page = mask_page(table, sensitive, decision)
    opened = page.table.to_pylist()
    out = [
        ConflictOut(
            field=row.field,
            key=values["key"],
            values=[
                Evidence(
                    table=index,
                    name=run.inputs[index]["name"],
                    version=run.inputs[index]["version"],
                    value=values[f"v{index}"],
                )
                for index in sorted(int(i) for i in row.evidence)
            ],
            resolution=row.resolution,
            authority=row.authority,
            resolved_value=values["resolved"],
        )
        for row, values in zip(group, opened, strict=True)
    ]
    what = {("key" if name == "key" else "value"): how for name, how in page.masked.items()}
    return out, what
