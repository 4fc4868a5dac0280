"""Running quality checks, following them, and opening their failing rows.

A check runs in the request (the version is pinned, read once, and the
database is written only at the end, so no write lock is held while it
scans). Whatever goes wrong while evaluating (a rule that no longer fits the
table, SQL that fails, a table that changed mid-run) is kept on a failed run
with its stable code and message, and no results: no partial scores.
"""

from __future__ import annotations

import base64
from typing import Any

import pyarrow as pa
from sqlalchemy import func, insert, select

from govdata.access.enforce import authorize_read, authorize_somewhere_to_read, require_grade
from govdata.access.policy import Decision, ReadKind
from govdata.actions import ActionSet, Context
from govdata.aggregation.grading import library_resources, record_read, source_resource
from govdata.aggregation.masked_reads import mask_page, sensitive_by_checks, sensitive_columns
from govdata.aggregation.store import org_ref
from govdata.audit.guard import ReadAttempt, guard_read
from govdata.db import utcnow
from govdata.errors import GovdataError, InvalidInput, NotFound
from govdata.events import record_event
from govdata.lake.protection import TableProtection, protection_for_reading
from govdata.lake.tables import LakeTable
from govdata.orgs.models import Organisation
from govdata.quality.engine import DEFAULT_FAILURE_CAP, Evaluation, evaluate
from govdata.quality.events import QualityRunFinished
from govdata.quality.models import QualityFailure, QualityRuleResult, QualityRun
from govdata.quality.rule_actions import key_columns_for
from govdata.quality.schemas import (
    FailureOut,
    FailurePage,
    FailureQuery,
    QualityRunOut,
    RunListQuery,
    RunRef,
    RunStart,
)
from govdata.quality.store import (
    Resource,
    evaluation_context,
    find_resource,
    get_run,
    results_of,
    rule_set_of,
    run_out,
    spec_of,
)

actions = ActionSet("quality-runs")


def _record(ctx: Context, run: QualityRun, evaluation: Evaluation) -> list[QualityRuleResult]:
    results: list[QualityRuleResult] = []
    failures: list[dict[str, Any]] = []
    for position, outcome in enumerate(evaluation.outcomes):
        dimension, sub = outcome.spec.measure
        results.append(
            QualityRuleResult(
                run_id=run.id,
                position=position,
                rule_code=outcome.spec.code,
                rule_name=outcome.spec.label[:200],
                kind=outcome.spec.kind.value,
                dimension=dimension.value,
                sub_indicator=sub,
                columns=outcome.spec.checked_columns,
                evaluated=outcome.evaluated,
                passed=outcome.passed,
                failed=outcome.failed,
                score=outcome.score,
                failures_kept=len(outcome.failures),
            )
        )
        failures.extend(
            {
                "run_id": run.id,
                "rule_code": outcome.spec.code,
                "row_key": row.key,
                "row_values": row.values,
                "reason": row.reason,
            }
            for row in outcome.failures
        )
    ctx.session.add_all(results)
    if failures:
        ctx.session.execute(insert(QualityFailure), failures)
    run.evaluated = sum(r.evaluated for r in results)
    run.passed = sum(r.passed for r in results)
    run.score = None if run.evaluated == 0 else run.passed / run.evaluated
    run.rows_evaluated = evaluation.rows
    return results


def execute_check(ctx: Context, resource: Resource, version: int | None) -> QualityRun:
    """Evaluate the resource's rules over one version and record the run (either way)."""
    rule_set = rule_set_of(ctx.session, resource)
    if rule_set is None:
        raise NotFound("该资源尚未设置质量规则", code="quality_rules_not_set")
    lake = LakeTable(ctx.services.lake, resource.table_name)
    if not lake.exists():
        raise NotFound("该资源尚未归集入库，没有可检查的数据", code="lake_table_not_found")
    pinned = version if version is not None else lake.version()
    assert pinned is not None  # noqa: S101 (the table exists)
    spec = spec_of(rule_set)
    run = QualityRun(
        rule_set_id=rule_set.id,
        source_id=resource.source_id,
        library_id=resource.library_id,
        organisation_id=resource.organisation_id,
        entry_id=resource.entry_id,
        rule_set_number=rule_set.number,
        rules=rule_set.spec,
        status="running",
        lake_version=pinned,
        requested_by=ctx.actor.name,
        started_at=utcnow(),
    )
    try:
        protection = protection_for_reading(ctx.session, ctx.services.keystore, lake, pinned)
        evaluation = evaluate(
            lake,
            pinned,
            spec,
            key_columns=key_columns_for(resource, spec),
            context=evaluation_context(ctx, resource, spec, lake, pinned),
            protection=protection,
            cap=DEFAULT_FAILURE_CAP,
        )
    except GovdataError as error:
        run.status = "failed"
        run.error_code = error.error_code
        run.error_message = error.message
        ctx.session.add(run)
        ctx.session.flush()
    else:
        run.status = "succeeded"
        ctx.session.add(run)
        ctx.session.flush()
        _record(ctx, run, evaluation)
    run.finished_at = utcnow()
    ctx.session.flush()
    record_event(
        ctx,
        QualityRunFinished(
            subject_id=run.id,
            source_id=run.source_id,
            library_id=run.library_id,
            status=run.status,
            version=run.lake_version,
            score=run.score,
            error_code=run.error_code,
        ),
    )
    return run


@actions.register(
    "quality_run_start",
    RunStart,
    example={"source_id": "<source id>"},
    summary="Check a resource's current (or given) version against its rules; returns the "
    "finished run (succeeded with scores, or failed with its reason).",
)
def quality_run_start(ctx: Context, data: RunStart) -> QualityRunOut:
    ctx.authorize_somewhere("quality:run:start")
    resource = find_resource(ctx.session, data.source_id, data.library_id)
    ctx.authorize("quality:run:start", org_ref(ctx.session, resource.organisation_id))
    run = execute_check(ctx, resource, data.version)
    return run_out(run, results_of(ctx.session, [run.id]).get(run.id, []), detail=True)


@actions.register(
    "quality_run_get",
    RunRef,
    example={"id": "<quality run id>"},
    summary="One quality run with its per-rule results.",
    read_only=True,
)
def quality_run_get(ctx: Context, data: RunRef) -> QualityRunOut:
    ctx.authorize_somewhere("quality:read")
    run = get_run(ctx.session, data.id)
    ctx.authorize("quality:read", org_ref(ctx.session, run.organisation_id))
    return run_out(run, results_of(ctx.session, [run.id]).get(run.id, []), detail=True)


@actions.register(
    "quality_run_list",
    RunListQuery,
    example={},
    summary="Quality runs the caller may see, newest first.",
    read_only=True,
)
def quality_run_list(ctx: Context, data: RunListQuery) -> list[QualityRunOut]:
    ctx.authorize_somewhere("quality:read")
    query = (
        select(QualityRun, Organisation)
        .join(Organisation, Organisation.id == QualityRun.organisation_id)
        .order_by(QualityRun.started_at.desc())
    )
    if data.source_id is not None:
        query = query.where(QualityRun.source_id == data.source_id)
    if data.library_id is not None:
        query = query.where(QualityRun.library_id == data.library_id)
    if data.status is not None:
        query = query.where(QualityRun.status == data.status)
    runs = [
        run
        for run, org in ctx.session.execute(query.limit(data.limit * 4)).all()
        if ctx.can("quality:read", org.ref)
    ][: data.limit]
    results = results_of(ctx.session, [run.id for run in runs])
    return [run_out(run, results.get(run.id, []), detail=False) for run in runs]


# -- failing rows ----------------------------------------------------------------------


def _authorized_run(ctx: Context, run_id: str) -> tuple[QualityRun, Resource, Decision]:
    """The run whose failing rows (data values) the caller may read: the resource's
    read permission, in scope or by grant, and the grade."""
    run = ctx.session.get(QualityRun, run_id)
    if run is not None and run.library_id is not None:
        ctx.authorize_somewhere("library:read")
        resource = find_resource(ctx.session, None, run.library_id)
        ctx.authorize("library:read", org_ref(ctx.session, resource.organisation_id))
        assert resource.library is not None  # noqa: S101
        decision = require_grade(
            ctx, library_resources(ctx.session, resource.library), ReadKind.VALUES
        )
        return run, resource, decision
    authorize_somewhere_to_read(ctx, "aggregation:data:read")
    if run is None or run.source_id is None:
        raise NotFound("质量检查记录不存在", code="quality_run_not_found")
    resource = find_resource(ctx.session, run.source_id, None)
    assert resource.source is not None  # noqa: S101
    decision = authorize_read(
        ctx, "aggregation:data:read", source_resource(ctx.session, resource.source), ReadKind.VALUES
    )
    return run, resource, decision


def _plain(rows: list[QualityFailure], protection: TableProtection | None) -> list[dict[str, Any]]:
    """Key and values of each row in plain text (stored forms decrypted)."""
    merged = [{**row.row_key, **row.row_values} for row in rows]
    names = list(dict.fromkeys(name for row in merged for name in row))
    columns: dict[str, list[Any]] = {name: [row.get(name) for row in merged] for name in names}
    for name, values in columns.items():
        if not any(isinstance(v, dict) and "enc" in v for v in values):
            continue
        if protection is None or name not in protection.columns:
            columns[name] = ["（无法解密）" if isinstance(v, dict) else v for v in values]
            continue
        stored = pa.array(
            [base64.b64decode(v["enc"]) if isinstance(v, dict) else None for v in values],
            pa.binary(),
        )
        plain = protection.decrypt(pa.table({name: stored})).column(name).to_pylist()
        columns[name] = [
            p if isinstance(v, dict) else v for v, p in zip(values, plain, strict=True)
        ]
    return [{name: columns[name][i] for name in names} for i in range(len(merged))]


@actions.register(
    "quality_failures",
    FailureQuery,
    example={"run_id": "<quality run id>", "rule": "id_valid"},
    summary="Failing rows of a quality run (optionally of one rule), keys and values "
    "decrypted and masked for the reader; recorded as a data read.",
)
def quality_failures(ctx: Context, data: FailureQuery) -> FailurePage:
    run, resource, decision = _authorized_run(ctx, data.run_id)
    condition = [QualityFailure.run_id == run.id]
    total_failed = 0
    results = results_of(ctx.session, [run.id]).get(run.id, [])
    if data.rule is not None:
        if data.rule not in {r.rule_code for r in results}:
            raise InvalidInput(f"本次检查没有规则“{data.rule}”", fields={"rule": data.rule})
        condition.append(QualityFailure.rule_code == data.rule)
        total_failed = sum(r.failed for r in results if r.rule_code == data.rule)
    else:
        total_failed = sum(r.failed for r in results)
    release = guard_read(
        ctx,
        ReadAttempt(
            action="quality_failures",
            subject_id=resource.id,
            holder_id=resource.organisation_id,
            grade=decision.grade.value if decision.grade else None,
            rows=data.limit,
            version=run.lake_version,
            where={"run_id": run.id, "rule": data.rule or ""},
            offset=data.offset,
        ),
    )
    kept = ctx.session.scalar(select(func.count()).select_from(QualityFailure).where(*condition))
    rows = list(
        ctx.session.scalars(
            select(QualityFailure)
            .where(*condition)
            .order_by(QualityFailure.id)
            .offset(data.offset)
            .limit(data.limit)
        )
    )
    protection = None
    lake = LakeTable(ctx.services.lake, resource.table_name)
    if rows and lake.exists():
        protection = protection_for_reading(
            ctx.session, ctx.services.keystore, lake, run.lake_version
        )
    plain = _plain(rows, protection)
    names = list(dict.fromkeys(name for row in plain for name in row))
    table = pa.table(
        {name: pa.array([_text(row.get(name)) for row in plain], pa.string()) for name in names}
    )
    if resource.source is not None:
        sensitive = sensitive_columns(ctx.session, resource.source, resource.columns)
    else:
        sensitive = sensitive_by_checks(resource.columns)
    page = mask_page(table, sensitive, decision)
    shown = page.table.to_pylist()
    record_read(
        ctx,
        decision,
        release=release,
        page=page,
        subject_id=resource.id,
        source_id=resource.source_id,
        library_id=resource.library_id,
        mode="quality-failures",
        version=run.lake_version,
        where={"rule": data.rule or ""},
        rows=len(rows),
        purpose="quality",
        run_id=run.id,
    )
    return FailurePage(
        run_id=run.id,
        rule=data.rule,
        total_kept=int(kept or 0),
        total_failed=total_failed,
        rows=[
            FailureOut(
                rule_code=row.rule_code,
                key={k: shown[i].get(k) for k in row.row_key},
                values={k: shown[i].get(k) for k in row.row_values},
                reason=row.reason,
            )
            for i, row in enumerate(rows)
        ],
        audience=page.audience.value,
        masked=page.masked,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
