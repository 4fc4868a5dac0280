"""Finding sources and runs, and turning a source row into what reads it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from govdata.actions import Context
from govdata.aggregation.columns import ColumnSpec
from govdata.aggregation.models import Run, Source
from govdata.aggregation.sources.base import SourceSpec
from govdata.authz import OrgRef
from govdata.errors import InvalidInput, NotFound
from govdata.orgs.models import Organisation
from govdata.secretbox import SecretBox
from govdata.settings import Settings

ACTIVE_RUN_STATES = ("queued", "running")
_FILE_NAME = re.compile(r"^[^/\\\x00]+(?:/[^/\\\x00]+)*$")


def get_source(ctx: Context, source_id: str, *, for_update: bool = False) -> Source:
    query = select(Source).where(Source.id == source_id)
    if for_update:
        query = query.with_for_update()
    source = ctx.session.scalar(query)
    if source is None:
        raise NotFound("数据源不存在", code="source_not_found")
    return source


def get_run(session: Session, run_id: str, *, for_update: bool = False) -> Run:
    query = select(Run).where(Run.id == run_id)
    if for_update:
        query = query.with_for_update()
    run = session.scalar(query)
    if run is None:
        raise NotFound("归集任务不存在", code="run_not_found")
    return run


def org_ref(session: Session, organisation_id: str) -> OrgRef:
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound("机构不存在", code="organisation_not_found")
    return org.ref


def declared_columns(source: Source) -> list[ColumnSpec]:
    return [ColumnSpec.model_validate(column) for column in source.columns]


def inbox_path(settings: Settings, name: str) -> Path:
    """A file in the node's inbox; names cannot climb out of it."""
    if not _FILE_NAME.match(name) or any(part in {"..", "."} for part in name.split("/")):
        raise InvalidInput("文件名无效", fields={"location": "须为收件目录内的相对文件名"})
    root = settings.inbox_dir.resolve()
    path = (root / name).resolve()
    if root not in path.parents:
        raise InvalidInput("文件名无效", fields={"location": "须为收件目录内的相对文件名"})
    return path


def seal_location(box: SecretBox, source_id: str, location: str) -> str:
    return box.seal(location.encode(), source_id.encode()).hex()


def location_of(box: SecretBox, source: Source) -> str:
    if not source.location_sealed:
        return source.location
    return box.open(bytes.fromhex(source.location), source.id.encode()).decode()


def shown_location(location: str, kind: str) -> str:
    """A location fit to show: database URLs without their password."""
    if kind != "sql":
        return location
    try:
        return make_url(location).render_as_string(hide_password=True)
    except ArgumentError:
        return "（无效的连接地址）"


def reader_spec(settings: Settings, box: SecretBox, source: Source) -> SourceSpec:
    location = location_of(box, source)
    if source.kind in {"csv", "xlsx", "json", "jsonl", "parquet"}:
        location = str(inbox_path(settings, location))
    options: dict[str, Any] = dict(source.options)
    return SourceSpec(kind=source.kind, location=location, options=options)  # type: ignore[arg-type]


def describe(source: Source) -> str:
    """How the source reads in commit metadata: kind and location without secrets."""
    shown = "（数据库连接已加密保存）" if source.location_sealed else source.location
    return f"{source.kind}:{shown}"
