"""Registering and maintaining data sources (数据源)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from govdata.actions import ActionSet, Context
from govdata.aggregation.events import SourceChanged, SourceRegistered
from govdata.aggregation.models import SchemaChange, Source
from govdata.aggregation.presenters import source_out
from govdata.aggregation.schedule import check_schedule, next_run
from govdata.aggregation.schemas import (
    FILE_KINDS,
    InboxFile,
    InboxStore,
    SchemaChangeOut,
    SourceCreate,
    SourceListQuery,
    SourceOut,
    SourceRef,
    SourceUpdate,
)
from govdata.aggregation.store import get_source, inbox_path, org_ref, seal_location
from govdata.catalog.models import CatalogEntry
from govdata.db import new_id, utcnow
from govdata.errors import InvalidInput, NotFound
from govdata.events import record_event
from govdata.orgs.models import Organisation
from govdata.orgs.services import BEIJING

actions = ActionSet("aggregation-sources")

_EXAMPLE = {
    "entry_id": "<catalog entry id>",
    "name": "户籍人口（CSV）",
    "kind": "csv",
    "location": "population.csv",
    "columns": [
        {"name": "id_number", "label": "公民身份号码", "required": True, "check": "id_number"},
        {"name": "name", "label": "姓名", "required": True},
    ],
    "strategy": "full",
}


def _check_location(ctx: Context, data: SourceCreate) -> str:
    location = data.location.get_secret_value().strip()
    if not location:
        raise InvalidInput("数据源位置不能为空", fields={"location": "必填"})
    if data.kind in FILE_KINDS:
        inbox_path(ctx.settings, location)
    elif data.kind == "sql":
        try:
            make_url(location)
        except ArgumentError:
            raise InvalidInput(
                "数据库连接地址无效", fields={"location": "应为 SQLAlchemy URL"}
            ) from None
        if "table" not in data.options and "query" not in data.options:
            raise InvalidInput("数据库数据源须指定 table 或 query", fields={"options": "缺少"})
    elif not location.startswith(("http://", "https://")):
        raise InvalidInput("接口地址应以 http:// 或 https:// 开头", fields={"location": "无效"})
    return location


@actions.register(
    "source_register",
    SourceCreate,
    example=_EXAMPLE,
    summary="Register a data source for a catalog entry of the caller's department, with its "
    "declared columns and how it is aggregated (physical full/incremental, or logical access).",
)
def source_register(ctx: Context, data: SourceCreate) -> SourceOut:
    ctx.authorize_somewhere("aggregation:source:manage")
    entry = ctx.session.get(CatalogEntry, data.entry_id)
    if entry is None:
        raise NotFound("目录不存在", code="entry_not_found", fields={"entry_id": "不存在"})
    ctx.authorize("aggregation:source:manage", org_ref(ctx.session, entry.organisation_id))
    location = _check_location(ctx, data)
    schedule = check_schedule(data.schedule) if data.schedule else None
    source_id = new_id()
    sealed = data.kind == "sql"
    source = Source(
        id=source_id,
        organisation_id=entry.organisation_id,
        entry_id=entry.id,
        name=data.name,
        kind=data.kind,
        mode=data.mode,
        location=seal_location(ctx.services.secretbox, source_id, location) if sealed else location,
        location_sealed=sealed,
        options=dict(data.options),
        columns=[column.model_dump(mode="json") for column in data.columns],
        strategy=data.strategy,
        key_columns=list(data.key_columns),
        updated_column=data.updated_column,
        drift_policy=data.drift_policy,
        max_bad_ratio=data.max_bad_ratio,
        schedule=schedule,
        next_run_at=next_run(schedule, utcnow()) if schedule else None,
        table_name=f"src_{source_id.replace('-', '')[:24]}",
        created_by=ctx.actor.name,
    )
    ctx.session.add(source)
    ctx.session.flush()
    record_event(
        ctx,
        SourceRegistered(
            subject_id=source.id,
            organisation_id=source.organisation_id,
            entry_id=entry.id,
            kind=source.kind,
            mode=source.mode,
        ),
    )
    return source_out(ctx.session, ctx.services.secretbox, source)


@actions.register(
    "source_update",
    SourceUpdate,
    example={"id": "<source id>", "schedule": "0 2 * * *"},
    summary="Change a source's schedule, bad-row threshold, drift policy, state or options.",
)
def source_update(ctx: Context, data: SourceUpdate) -> SourceOut:
    ctx.authorize_somewhere("aggregation:source:manage")
    source = get_source(ctx, data.id, for_update=True)
    ctx.authorize("aggregation:source:manage", org_ref(ctx.session, source.organisation_id))
    changes: dict[str, str] = {}
    if "schedule" in data.model_fields_set:
        if data.schedule and source.mode == "logical":
            raise InvalidInput("逻辑接入的数据源不设定时归集", fields={"schedule": "不适用"})
        source.schedule = check_schedule(data.schedule) if data.schedule else None
        source.next_run_at = next_run(source.schedule, utcnow()) if source.schedule else None
        changes["schedule"] = source.schedule or ""
    if data.max_bad_ratio is not None:
        source.max_bad_ratio = data.max_bad_ratio
        changes["max_bad_ratio"] = str(data.max_bad_ratio)
    if data.drift_policy is not None:
        source.drift_policy = data.drift_policy
        changes["drift_policy"] = data.drift_policy
    if data.state is not None:
        source.state = data.state
        changes["state"] = data.state
    if data.options is not None:
        source.options = dict(data.options)
        changes["options"] = "changed"
    source.updated_at = utcnow()
    record_event(ctx, SourceChanged(subject_id=source.id, changes=changes))
    return source_out(ctx.session, ctx.services.secretbox, source)


@actions.register(
    "source_get",
    SourceRef,
    example={"id": "<source id>"},
    summary="A source with its declared columns, current version and last run.",
    read_only=True,
)
def source_get(ctx: Context, data: SourceRef) -> SourceOut:
    ctx.authorize_somewhere("aggregation:run:read")
    source = get_source(ctx, data.id)
    ctx.authorize("aggregation:run:read", org_ref(ctx.session, source.organisation_id))
    return source_out(ctx.session, ctx.services.secretbox, source)


@actions.register(
    "source_list",
    SourceListQuery,
    example={},
    summary="Sources the caller may see, newest first.",
    read_only=True,
)
def source_list(ctx: Context, data: SourceListQuery) -> list[SourceOut]:
    ctx.authorize_somewhere("aggregation:run:read")
    query = (
        select(Source, Organisation)
        .join(Organisation, Organisation.id == Source.organisation_id)
        .order_by(Source.created_at.desc(), Source.id)
    )
    if data.organisation_id is not None:
        query = query.where(Source.organisation_id == data.organisation_id)
    if data.entry_id is not None:
        query = query.where(Source.entry_id == data.entry_id)
    shown: list[SourceOut] = []
    skipped = 0
    for source, org in ctx.session.execute(query):
        if not ctx.can("aggregation:run:read", org.ref):
            continue
        if skipped < data.offset:
            skipped += 1
            continue
        shown.append(source_out(ctx.session, ctx.services.secretbox, source))
        if len(shown) >= data.limit:
            break
    return shown


@actions.register(
    "source_schema_changes",
    SourceRef,
    example={"id": "<source id>"},
    summary="Schema drift detected at a source and how it was handled.",
    read_only=True,
)
def source_schema_changes(ctx: Context, data: SourceRef) -> list[SchemaChangeOut]:
    ctx.authorize_somewhere("aggregation:run:read")
    source = get_source(ctx, data.id)
    ctx.authorize("aggregation:run:read", org_ref(ctx.session, source.organisation_id))
    rows = ctx.session.scalars(
        select(SchemaChange)
        .where(SchemaChange.source_id == source.id)
        .order_by(SchemaChange.created_at.desc())
    )
    return [
        SchemaChangeOut(
            id=row.id,
            run_id=row.run_id,
            change=row.change,
            column=row.column,
            applied=row.applied,
            detail=row.detail,
            created_at=row.created_at,
        )
        for row in rows
    ]


STAGING = ".partial"
_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def staging_dir(inbox: Path) -> Path:
    """Where uploads are streamed before ``inbox_store`` keeps them."""
    return inbox / STAGING


@actions.register(
    "inbox_store",
    InboxStore,
    example={"file_name": "人口.csv", "staged": "<inbox>/.partial/<upload id>"},
    summary="Keep an uploaded source file in the inbox under a name of its own; returns the "
    "location to register the source with. (Portal uploads; not a JSON route.)",
)
def inbox_store(ctx: Context, data: InboxStore) -> InboxFile:
    ctx.authorize_somewhere("aggregation:source:manage")
    inbox = ctx.settings.inbox_dir.resolve()
    staged = Path(data.staged).resolve()
    if staged.parent != staging_dir(inbox) or not staged.is_file():
        raise InvalidInput("上传的文件不存在", fields={"staged": "无效"})
    safe = _UNSAFE.sub("_", Path(data.file_name).name).strip("._") or "upload"
    day = datetime.now(BEIJING).strftime("%Y%m%d")
    location = f"uploads/{day}/{new_id()[:8]}-{safe[:120]}"
    target = inbox_path(ctx.settings, location)
    target.parent.mkdir(parents=True, exist_ok=True)
    staged.replace(target)
    return InboxFile(location=location, bytes=target.stat().st_size)
