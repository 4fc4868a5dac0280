"""Starting, retrying and following runs; the quarantine of each run."""

from __future__ import annotations

from pathlib import Path

import duckdb
from sqlalchemy import select

from govdata.access.enforce import require_grade
from govdata.access.policy import GradedResource, ReadKind
from govdata.actions import ActionSet, Context
from govdata.aggregation.events import RunRequested
from govdata.aggregation.grading import library_resources, record_read, source_resource
from govdata.aggregation.models import Library, Run, Source
from govdata.aggregation.presenters import run_out
from govdata.aggregation.runner import is_stale, mark_interrupted, quarantine_dir
from govdata.aggregation.schemas import (
    QuarantinePage,
    QuarantineQuery,
    RunListQuery,
    RunOut,
    RunRef,
    RunStart,
)
from govdata.aggregation.store import ACTIVE_RUN_STATES, get_run, get_source, org_ref
from govdata.audit.guard import ReadAttempt, guard_read
from govdata.db import utcnow
from govdata.errors import Conflict, InvalidInput, NotFound
from govdata.events import record_event

actions = ActionSet("aggregation-runs")


def _active_run(ctx: Context, source: Source) -> Run | None:
    """The source's queued or running run, reaping one whose process is gone."""
    for run in ctx.session.scalars(
        select(Run).where(Run.source_id == source.id, Run.status.in_(ACTIVE_RUN_STATES))
    ):
        if is_stale(run, ctx.settings, utcnow()):
            mark_interrupted(run, utcnow())
            continue
        return run
    return None


def queue_run(
    ctx: Context, source: Source, *, trigger: str, strategy: str, retry_of: str | None
) -> Run:
    """A new queued run of a source, started once the caller's transaction commits."""
    if source.mode != "physical":
        raise InvalidInput("逻辑接入的数据源不归集入库，按需查询即可", code="source_is_logical")
    if source.state != "active":
        raise Conflict("数据源已停用", code="source_disabled")
    active = _active_run(ctx, source)
    if active is not None:
        raise Conflict(
            f"该数据源已有进行中的归集任务（{active.id}），每张表同时只能有一个写入任务",
            code="run_in_progress",
        )
    return enqueue(
        ctx,
        Run(
            source_id=source.id,
            organisation_id=source.organisation_id,
            trigger=trigger,
            retry_of=retry_of,
            strategy=strategy,
        ),
    )


def enqueue(ctx: Context, run: Run) -> Run:
    """Queue a run (of a source or a library) and start it once the caller commits."""
    run.status = "queued"
    run.requested_by = ctx.actor.name
    ctx.session.add(run)
    ctx.session.flush()
    record_event(
        ctx,
        RunRequested(
            subject_id=run.id,
            source_id=run.source_id,
            library_id=run.library_id,
            trigger=run.trigger,
            strategy=run.strategy,
        ),
    )
    run_id = run.id
    jobs = ctx.services.jobs
    ctx.after_commit(lambda: jobs.dispatch(run_id))
    return run


@actions.register(
    "run_start",
    RunStart,
    example={"source_id": "<source id>"},
    summary="Start a load of a physical source now (full, incremental or change detection).",
)
def run_start(ctx: Context, data: RunStart) -> RunOut:
    ctx.authorize_somewhere("aggregation:run:start")
    source = get_source(ctx, data.source_id, for_update=True)
    ctx.authorize("aggregation:run:start", org_ref(ctx.session, source.organisation_id))
    strategy = data.strategy or source.strategy
    if strategy != "full" and not source.key_columns:
        raise InvalidInput("该数据源未声明主键列，只能全量归集", code="key_required")
    if strategy == "incremental" and not source.updated_column:
        raise InvalidInput("该数据源未声明更新时间列，不能按时间戳增量归集", code="key_required")
    return run_out(queue_run(ctx, source, trigger="manual", strategy=strategy, retry_of=None))


@actions.register(
    "run_retry",
    RunRef,
    example={"id": "<run id>"},
    summary="Run a failed or interrupted load again, as a new run that points to it.",
)
def run_retry(ctx: Context, data: RunRef) -> RunOut:
    ctx.authorize_somewhere("aggregation:run:start")
    run = get_run(ctx.session, data.id, for_update=True)
    ctx.authorize("aggregation:run:start", org_ref(ctx.session, run.organisation_id))
    if is_stale(run, ctx.settings, utcnow()):
        mark_interrupted(run, utcnow())
    if run.status not in {"failed", "interrupted"}:
        raise Conflict("只有失败或中断的任务可以重试", code="run_not_retryable")
    if run.source_id is None:
        raise InvalidInput("数据库建设任务请重新发起构建", code="run_not_retryable")
    source = get_source(ctx, run.source_id, for_update=True)
    return run_out(queue_run(ctx, source, trigger="retry", strategy=run.strategy, retry_of=run.id))


@actions.register(
    "run_get",
    RunRef,
    example={"id": "<run id>"},
    summary="A run with its progress (rows read, written, quarantined, rate, time left).",
    read_only=True,
)
def run_get(ctx: Context, data: RunRef) -> RunOut:
    ctx.authorize_somewhere("aggregation:run:read")
    run = get_run(ctx.session, data.id)
    ctx.authorize("aggregation:run:read", org_ref(ctx.session, run.organisation_id))
    out = run_out(run)
    if is_stale(run, ctx.settings, utcnow()):
        out.status = "interrupted"
        out.error_code = "run_interrupted"
    return out


@actions.register(
    "run_list",
    RunListQuery,
    example={"source_id": "<source id>"},
    summary="Run history, newest first.",
    read_only=True,
)
def run_list(ctx: Context, data: RunListQuery) -> list[RunOut]:
    ctx.authorize_somewhere("aggregation:run:read")
    query = select(Run).order_by(Run.created_at.desc(), Run.id)
    if data.source_id is not None:
        query = query.where(Run.source_id == data.source_id)
    if data.library_id is not None:
        query = query.where(Run.library_id == data.library_id)
    if data.status is not None:
        query = query.where(Run.status == data.status)
    shown: list[RunOut] = []
    skipped = 0
    refs: dict[str, bool] = {}
    for run in ctx.session.scalars(query):
        allowed = refs.get(run.organisation_id)
        if allowed is None:
            allowed = ctx.can("aggregation:run:read", org_ref(ctx.session, run.organisation_id))
            refs[run.organisation_id] = allowed
        if not allowed:
            continue
        if skipped < data.offset:
            skipped += 1
            continue
        shown.append(run_out(run))
        if len(shown) >= data.limit:
            break
    return shown


def run_resources(ctx: Context, run: Run) -> list[GradedResource]:
    """The data a run's quarantine holds: its source's, or its library's members'."""
    if run.source_id is not None:
        return [source_resource(ctx.session, get_source(ctx, run.source_id))]
    library = ctx.session.get(Library, run.library_id) if run.library_id else None
    if library is None:  # pragma: no cover - a run has a source or a library
        raise NotFound("库不存在", code="library_not_found")
    return library_resources(ctx.session, library)


def quarantine_files(directory: Path) -> list[str]:
    return sorted(str(path) for path in directory.glob("part-*.parquet"))


@actions.register(
    "quarantine_page",
    QuarantineQuery,
    example={"run_id": "<run id>"},
    summary="Rows a run quarantined: source row number, reasons and the values as read "
    "(raw values: decided by the data's grade like any read of the data; every read "
    "recorded).",
)
def quarantine_page(ctx: Context, data: QuarantineQuery) -> QuarantinePage:
    ctx.authorize_somewhere("aggregation:run:read")
    run = get_run(ctx.session, data.run_id)
    ctx.authorize("aggregation:run:read", org_ref(ctx.session, run.organisation_id))
    decision = require_grade(ctx, run_resources(ctx, run), ReadKind.VALUES)
    # Quarantined rows are raw data: the behaviour rules apply before any is read (X6).
    release = guard_read(
        ctx,
        ReadAttempt(
            action="quarantine_page",
            subject_id=run.id,
            holder_id=run.organisation_id,
            grade=decision.grade.value if decision.grade else None,
            rows=data.limit,
            offset=data.offset,
        ),
    )
    files = quarantine_files(quarantine_dir(ctx.settings, run.id))
    if not files:
        return QuarantinePage(run_id=run.id, total=0, columns=[], rows=[])
    connection = duckdb.connect()
    try:
        counted = connection.sql(
            "SELECT count(*) FROM read_parquet($files, union_by_name = true)",
            params={"files": files},
        ).fetchall()
        total = int(counted[0][0]) if counted else 0
        page = connection.sql(
            "SELECT * FROM read_parquet($files, union_by_name = true) "
            "ORDER BY _gd_row LIMIT $limit OFFSET $offset",
            params={"files": files, "limit": data.limit, "offset": data.offset},
        ).to_arrow_table()
    finally:
        connection.close()
    rows = page.to_pylist()
    # Quarantined values are raw data: the read is recorded like any other (X5, X6).
    record_read(
        ctx,
        decision,
        release=release,
        subject_id=run.source_id or run.library_id or run.id,
        source_id=run.source_id,
        library_id=run.library_id,
        mode="quarantine",
        version=run.version,
        where={"offset": str(data.offset)},
        rows=len(rows),
        purpose="quarantine",
        run_id=run.id,
    )
    return QuarantinePage(run_id=run.id, total=total, columns=page.schema.names, rows=rows)
