"""Turning sources and runs into their API shapes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.aggregation.models import Run, Source
from govdata.aggregation.schemas import RunOut, SourceOut
from govdata.aggregation.store import declared_columns, location_of, shown_location
from govdata.catalog.models import CatalogEntry
from govdata.db import utcnow
from govdata.orgs.models import Organisation
from govdata.secretbox import SecretBox


def run_out(run: Run) -> RunOut:
    rate: float | None = None
    left: float | None = None
    if run.started_at is not None:
        end = run.finished_at or run.heartbeat_at or utcnow()
        elapsed = max((end - run.started_at).total_seconds(), 0.001)
        rate = run.rows_read / elapsed if run.rows_read else None
        if run.status == "running" and run.bytes_total and run.bytes_read:
            per_byte = elapsed / run.bytes_read
            left = max(run.bytes_total - run.bytes_read, 0) * per_byte
    return RunOut(
        id=run.id,
        source_id=run.source_id,
        library_id=run.library_id,
        trigger=run.trigger,
        retry_of=run.retry_of,
        strategy=run.strategy,
        status=run.status,
        requested_by=run.requested_by,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        rows_read=run.rows_read,
        rows_written=run.rows_written,
        rows_quarantined=run.rows_quarantined,
        rows_inserted=run.rows_inserted,
        rows_updated=run.rows_updated,
        rows_deleted=run.rows_deleted,
        bytes_read=run.bytes_read,
        bytes_total=run.bytes_total,
        rows_per_second=round(rate, 1) if rate is not None else None,
        seconds_left=round(left, 1) if left is not None else None,
        version=run.version,
        checksum=run.checksum,
        reason_counts=dict(run.reason_counts or {}),
        error_code=run.error_code,
        error_message=run.error_message,
    )


def latest_run(session: Session, source_id: str) -> Run | None:
    return session.scalar(
        select(Run)
        .where(Run.source_id == source_id)
        .order_by(Run.created_at.desc(), Run.id.desc())
        .limit(1)
    )


def current_version(session: Session, source_id: str) -> int | None:
    return session.scalar(
        select(Run.version)
        .where(Run.source_id == source_id, Run.status == "succeeded", Run.version.is_not(None))
        .order_by(Run.finished_at.desc())
        .limit(1)
    )


def source_out(session: Session, box: SecretBox, source: Source) -> SourceOut:
    org = session.get(Organisation, source.organisation_id)
    entry = session.get(CatalogEntry, source.entry_id)
    assert org is not None and entry is not None  # noqa: S101 (foreign keys)
    last = latest_run(session, source.id)
    return SourceOut(
        id=source.id,
        organisation_id=org.id,
        organisation_name=org.name,
        entry_id=entry.id,
        resource_code=entry.resource_code,
        name=source.name,
        kind=source.kind,
        mode=source.mode,
        location=shown_location(location_of(box, source), source.kind),
        options=dict(source.options),
        columns=declared_columns(source),
        strategy=source.strategy,
        key_columns=list(source.key_columns),
        updated_column=source.updated_column,
        drift_policy=source.drift_policy,
        max_bad_ratio=source.max_bad_ratio,
        schedule=source.schedule,
        next_run_at=source.next_run_at,
        table_name=source.table_name,
        state=source.state,
        current_version=current_version(session, source.id),
        last_run=run_out(last) if last is not None else None,
        created_at=source.created_at,
    )
