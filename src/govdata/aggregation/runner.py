"""Executing runs: claim, load with progress and heartbeat, record the outcome.

A run is claimed by moving it from ``queued`` to ``running`` under a row lock,
so two workers never execute the same run, and a source has at most one
active run (checked when runs are created), so each lake table has one
writer. Progress and a heartbeat are written in their own short transactions
about once a second. A run whose process died (killed, machine lost) keeps
``running`` with a stale heartbeat; :func:`reap_stale_runs` marks it
``interrupted``. Its table was never touched: the Delta commit is the last
step of a load.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.actions import Context
from govdata.aggregation.events import RunFinished
from govdata.aggregation.loading import (
    Loader,
    LoadOutcome,
    LoadPlan,
    LoadProgress,
    watermark_from_json,
    watermark_to_json,
)
from govdata.aggregation.models import Run, SchemaChange, Source
from govdata.aggregation.sources.base import Watermark
from govdata.aggregation.sources.registry import open_reader
from govdata.aggregation.store import declared_columns, describe, get_run, reader_spec
from govdata.authz import PolicyTable, system_actor
from govdata.db import Database, utcnow
from govdata.errors import GovdataError
from govdata.events import record_event
from govdata.lake.location import LocalLocation
from govdata.lake.locks import writer_lock
from govdata.lake.protection import protection_for_writing, written_key_version
from govdata.lake.tables import LakeTable
from govdata.lineage.emitting import announce
from govdata.settings import Settings
from govdata.sharing.subscriptions import record_committed_version

if TYPE_CHECKING:
    from govdata.services import Services

log = logging.getLogger(__name__)

HOST = socket.gethostname()
PROGRESS_INTERVAL_SECONDS = 1.0


def _system_context(session: Session, settings: Settings, services: Services) -> Context:
    return Context(
        session=session,
        actor=system_actor("aggregation-runner"),
        policy=PolicyTable(()),
        settings=settings,
        services=services,
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(run: Run, settings: Settings, now: datetime) -> bool:
    """A running run whose process is gone (same host) or silent for too long."""
    if run.status != "running":
        return False
    same_host = run.host == HOST and run.pid is not None and run.pid != os.getpid()
    if same_host and run.pid is not None and not _pid_alive(run.pid):
        return True
    beat = run.heartbeat_at or run.started_at or run.created_at
    return now - beat > timedelta(seconds=settings.run_stale_seconds)


def mark_interrupted(run: Run, now: datetime) -> None:
    run.status = "interrupted"
    run.finished_at = now
    run.error_code = "run_interrupted"
    run.error_message = "任务进程已中止（被终止、断电或失去联系）；数据表保持上一版本，可重试"


def reap_stale_runs(session: Session, settings: Settings) -> list[str]:
    now = utcnow()
    reaped = []
    for run in session.scalars(select(Run).where(Run.status == "running").with_for_update()):
        if is_stale(run, settings, now):
            mark_interrupted(run, now)
            reaped.append(run.id)
    return reaped


@dataclass
class _ProgressWriter:
    db: Database
    run_id: str
    on_progress: Callable[[LoadProgress], None] | None
    last: float = 0.0

    def __call__(self, progress: LoadProgress) -> None:
        if self.on_progress is not None:
            self.on_progress(progress)
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL_SECONDS:
            return
        self.last = now
        with self.db.transaction() as session:
            run = get_run(session, self.run_id)
            run.rows_read = progress.rows_read
            run.rows_written = progress.rows_written
            run.rows_quarantined = progress.rows_quarantined
            run.bytes_read = progress.bytes_read
            run.bytes_total = progress.bytes_total
            run.heartbeat_at = utcnow()


def _claim(db: Database, run_id: str) -> bool:
    with db.transaction() as session:
        run = get_run(session, run_id, for_update=True)
        if run.status != "queued":
            return False
        run.status = "running"
        run.started_at = run.heartbeat_at = utcnow()
        run.host = HOST
        run.pid = os.getpid()
    return True


def quarantine_dir(settings: Settings, run_id: str) -> Path:
    return settings.quarantine_dir / run_id


def execute_run(
    run_id: str,
    settings: Settings,
    db: Database,
    services: Services,
    on_progress: Callable[[LoadProgress], None] | None = None,
) -> Run:
    """Execute a queued run to its end; returns the run as finished."""
    if not _claim(db, run_id):
        with db.transaction() as session:
            return get_run(session, run_id)
    announce(db, settings, services, run_id, ending=False)
    with db.transaction() as session:
        run = get_run(session, run_id)
        if run.library_id is not None:
            from govdata.libraries.build import build_plan  # noqa: PLC0415 (libraries build on aggregation)

            work: Callable[[], LoadOutcome] = build_plan(session, settings, services, run)
        else:
            work = _source_work(
                session,
                settings=settings,
                services=services,
                run=run,
                db=db,
                on_progress=on_progress,
            )
    try:
        outcome = work()
    except GovdataError as error:
        _finish_failed(db, settings, services, run_id, code=error.error_code, message=error.message)
    except Exception as error:
        log.exception("aggregation run %s failed", run_id)
        _finish_failed(
            db, settings, services, run_id, code="run_crashed", message=f"内部错误：{error}"[:1000]
        )
    else:
        _finish_succeeded(db, settings, services, run_id, outcome)
    announce(db, settings, services, run_id, ending=True)
    with db.transaction() as session:
        return get_run(session, run_id)


def _source_work(
    session: Session,
    *,
    settings: Settings,
    services: Services,
    run: Run,
    db: Database,
    on_progress: Callable[[LoadProgress], None] | None,
) -> Callable[[], LoadOutcome]:
    source = session.get(Source, run.source_id)
    assert source is not None  # noqa: S101 (foreign key)
    columns = declared_columns(source)
    watermark = watermark_from_json(source.watermark) if run.strategy == "incremental" else None
    plan = LoadPlan(
        table_uri=services.lake.table_uri(source.table_name),
        storage_options=services.lake.storage_options(),
        write_in_place=isinstance(services.lake, LocalLocation),
        columns=columns,
        strategy=run.strategy,  # type: ignore[arg-type]
        run_id=run.id,
        source_id=source.id,
        source_description=describe(source),
        quarantine_dir=quarantine_dir(settings, run.id),
        key_columns=tuple(source.key_columns),
        updated_column=source.updated_column,
        watermark=watermark,
        drift_policy=source.drift_policy,  # type: ignore[arg-type]
        max_bad_ratio=source.max_bad_ratio,
        ignored_source_columns=tuple(source.options.get("ignore_columns", ())),
    )
    protection = protection_for_writing(
        session,
        services.keystore,
        source.table_name,
        [column.name for column in columns if column.is_encrypted],
    )
    lake = LakeTable(services.lake, source.table_name)
    spec = reader_spec(settings, services.secretbox, source)
    updated_source = None
    if watermark is not None and source.updated_column:
        updated_source = next(c.source_name for c in columns if c.name == source.updated_column)
    progress = _ProgressWriter(db, run.id, on_progress)

    def work() -> LoadOutcome:
        reader = open_reader(
            spec,
            watermark=Watermark(updated_source, watermark) if updated_source else None,
        )
        with writer_lock(services.lake, source.table_name), reader:
            protected = plan
            if protection is not None:
                # A merge keeps the key version the table's values were written with.
                keep = written_key_version(lake) if plan.strategy != "full" else None
                protected = replace(plan, protection=protection.keeping(keep))
            return Loader(protected, reader, progress).run()

    return work


def _record_finish(ctx: Context, run: Run) -> None:
    record_event(
        ctx,
        RunFinished(
            subject_id=run.id,
            status=run.status,
            version=run.version,
            rows_written=run.rows_written,
            rows_quarantined=run.rows_quarantined,
            error_code=run.error_code,
            source_id=run.source_id,
            library_id=run.library_id,
            checksum=run.checksum,
        ),
    )


def _finish_failed(
    db: Database, settings: Settings, services: Services, run_id: str, *, code: str, message: str
) -> None:
    with db.transaction() as session:
        run = get_run(session, run_id, for_update=True)
        run.status = "failed"
        run.finished_at = utcnow()
        run.error_code = code
        run.error_message = message
        _record_finish(_system_context(session, settings, services), run)


def _finish_succeeded(
    db: Database, settings: Settings, services: Services, run_id: str, outcome: LoadOutcome
) -> None:
    with db.transaction() as session:
        run = get_run(session, run_id, for_update=True)
        run.status = "succeeded"
        run.finished_at = utcnow()
        run.rows_read = outcome.rows_read
        run.rows_written = outcome.rows_written
        run.rows_quarantined = outcome.rows_quarantined
        run.rows_inserted = outcome.inserted
        run.rows_updated = outcome.updated
        run.rows_deleted = outcome.deleted
        run.version = outcome.version
        run.checksum = outcome.checksum
        run.reason_counts = outcome.reason_counts
        if run.source_id is not None:
            source = session.get(Source, run.source_id, with_for_update=True)
            assert source is not None  # noqa: S101 (foreign key)
            if source.updated_column and outcome.watermark is not None:
                source.watermark = watermark_to_json(outcome.watermark)
            if outcome.drift:
                source.columns = [c.model_dump(mode="json") for c in outcome.columns]
                for change in outcome.drift:
                    session.add(
                        SchemaChange(
                            source_id=source.id,
                            run_id=run.id,
                            change=change.change,
                            column=change.column,
                            applied=True,
                            detail=change.detail,
                        )
                    )
            source.updated_at = utcnow()
        # The subscriptions' outbox, in the transaction that records the new version.
        record_committed_version(session, run)
        _record_finish(_system_context(session, settings, services), run)
