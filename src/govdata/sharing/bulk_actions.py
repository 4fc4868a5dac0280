"""Bulk delivery actions (S3): start a delivery under a grant, follow it, download it.

Starting plans the parts and records the delivery; the dispatcher of ``govdata
serve`` (or ``govdata sharing deliver``) runs it after the commit. Only the
grantee's consumer officers start and download deliveries, only under a live
grant carrying ``bulk``, and only within the grant's ceiling; the parties, their
authorities and auditors follow them.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from govdata.actions import ActionSet, Context
from govdata.aggregation.store import org_ref
from govdata.errors import Conflict, InvalidInput, NotFound
from govdata.events import record_event
from govdata.sharing.bulk import (
    MANIFEST_NAME,
    delivery_dir,
    plan_parts,
    seal_target_url,
)
from govdata.sharing.delivery_events import DeliveryStarted
from govdata.sharing.delivery_models import BulkDelivery, DeliveryPart
from govdata.sharing.delivery_schemas import (
    DeliveryFile,
    DeliveryFileOut,
    DeliveryFileRef,
    DeliveryListQuery,
    DeliveryOut,
    DeliveryPage,
    DeliveryRef,
    DeliveryStart,
)
from govdata.sharing.granted_data import RECEIVE, check_where, grant_for_receiving, granted_table
from govdata.sharing.models import Grant
from govdata.sharing.store import entry_name, party_may_read

actions = ActionSet("sharing-deliveries")

DELIVERY_STATUS_LABELS = {
    "queued": "排队中",
    "running": "交付中",
    "succeeded": "已完成",
    "failed": "失败",
}
MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".parquet": "application/vnd.apache.parquet",
    ".json": "application/json",
}


def delivery_out(ctx: Context, delivery: BulkDelivery) -> DeliveryOut:
    grant = ctx.session.get(Grant, delivery.grant_id)
    assert grant is not None  # noqa: S101 (foreign key)
    parts = ctx.session.scalars(
        select(DeliveryPart)
        .where(DeliveryPart.delivery_id == delivery.id)
        .order_by(DeliveryPart.number)
    ).all()
    files = [DeliveryFileOut.model_validate(f) for part in parts for f in part.files]
    if delivery.manifest_sha256 and delivery.manifest_sm3:
        manifest = delivery_dir(ctx.settings, delivery.id) / MANIFEST_NAME
        size = manifest.stat().st_size if manifest.exists() else 0
        files.append(
            DeliveryFileOut(
                name=MANIFEST_NAME,
                rows=delivery.rows,
                size=size,
                sha256=delivery.manifest_sha256,
                sm3=delivery.manifest_sm3,
            )
        )
    return DeliveryOut(
        id=delivery.id,
        grant_id=grant.id,
        grant_number=grant.number,
        entry_name=entry_name(ctx.session, grant.entry_id),
        source_id=delivery.source_id,
        grantee_org_id=delivery.grantee_org_id,
        target=delivery.target,
        target_table=delivery.target_table,
        where=dict(delivery.where),
        version=delivery.version,
        status=delivery.status,
        parts_total=delivery.parts_total,
        parts_done=delivery.parts_done,
        rows=delivery.rows,
        columns=list(delivery.columns),
        masked=dict(delivery.masked),
        checksum=delivery.checksum,
        manifest_sha256=delivery.manifest_sha256,
        manifest_sm3=delivery.manifest_sm3,
        files=files,
        error_code=delivery.error_code,
        error_message=delivery.error_message,
        requested_by=delivery.requested_by,
        created_at=delivery.created_at,
        finished_at=delivery.finished_at,
    )


def _check_target(data: DeliveryStart) -> str | None:
    if data.target == "files":
        return None
    if data.database_url is None or not data.table_name:
        raise InvalidInput(
            "写入接收方数据库须提供数据库地址和表名",
            fields={"database_url": "必填", "table_name": "必填"},
        )
    url = data.database_url.get_secret_value()
    try:
        make_url(url)
    except ArgumentError:
        raise InvalidInput("数据库地址格式不正确", fields={"database_url": "格式不正确"}) from None
    return url


@actions.register(
    "delivery_start",
    DeliveryStart,
    example={"grant_id": "00000000-0000-0000-0000-000000000000", "target": "files"},
    summary="Start a bulk delivery of a granted table (or a filtered extract): files "
    "(CSV and Parquet with checksums and a manifest) or rows written into the grantee's "
    "database; run in resumable parts by the dispatcher.",
)
def delivery_start(ctx: Context, data: DeliveryStart) -> DeliveryOut:
    grant, _decision = grant_for_receiving(ctx, data.grant_id, "bulk")
    url = _check_target(data)
    granted = granted_table(ctx.session, ctx.services.lake, grant)
    check_where(granted, data.where)
    version = data.version if data.version is not None else granted.lake.version()
    assert version is not None  # noqa: S101 (granted tables exist)
    parts = plan_parts(granted.lake, version, ctx.settings.delivery_part_rows)
    delivery = BulkDelivery(
        grant_id=grant.id,
        source_id=granted.source.id,
        grantee_org_id=grant.grantee_org_id,
        target=data.target,
        target_table=data.table_name if url else None,
        where=dict(data.where),
        version=version,
        status="queued",
        parts_total=len(parts),
        parts_done=0,
        rows=0,
        columns=[],
        masked={},
        requested_by=ctx.actor.name,
        requested_by_id=ctx.actor.id,
    )
    ctx.session.add(delivery)
    ctx.session.flush()
    if url is not None:
        delivery.target_url = seal_target_url(ctx.services, delivery.id, url)
    for number, part in enumerate(parts, start=1):
        ctx.session.add(
            DeliveryPart(
                delivery_id=delivery.id,
                number=number,
                file_path=part.file_path,
                row_start=part.row_start,
                row_end=part.row_end,
                status="pending",
                rows=0,
                files=[],
            )
        )
    ctx.session.flush()
    record_event(
        ctx,
        DeliveryStarted(
            subject_id=delivery.id,
            grant_id=grant.id,
            source_id=granted.source.id,
            grantee_id=grant.grantee_org_id,
            target=data.target,
            version=version,
            parts=len(parts),
        ),
    )
    return delivery_out(ctx, delivery)


def _readable(ctx: Context, delivery: BulkDelivery) -> None:
    grant = ctx.session.get(Grant, delivery.grant_id)
    assert grant is not None  # noqa: S101
    holder = org_ref(ctx.session, grant.holder_org_id)
    if not ctx.can("sharing:read", holder):
        ctx.authorize("sharing:read", org_ref(ctx.session, delivery.grantee_org_id))
    else:
        ctx.authorize("sharing:read", holder)


def _get(ctx: Context, delivery_id: str) -> BulkDelivery:
    delivery = ctx.session.get(BulkDelivery, delivery_id)
    if delivery is None:
        raise NotFound("批量交付不存在", code="delivery_not_found")
    return delivery


@actions.register(
    "delivery_get",
    DeliveryRef,
    example={"id": "00000000-0000-0000-0000-000000000000"},
    summary="One bulk delivery: its parts' progress, rows, checksums and files.",
    read_only=True,
)
def delivery_get(ctx: Context, data: DeliveryRef) -> DeliveryOut:
    ctx.authorize_somewhere("sharing:read")
    delivery = _get(ctx, data.id)
    _readable(ctx, delivery)
    return delivery_out(ctx, delivery)


@actions.register(
    "delivery_list",
    DeliveryListQuery,
    example={"status": "succeeded"},
    summary="Bulk deliveries the caller may follow (grantee's or holder's side), newest first.",
    read_only=True,
)
def delivery_list(ctx: Context, data: DeliveryListQuery) -> DeliveryPage:
    ctx.authorize_somewhere("sharing:read")
    query = select(BulkDelivery, Grant).join(Grant, Grant.id == BulkDelivery.grant_id)
    if data.grant_id:
        query = query.where(BulkDelivery.grant_id == data.grant_id)
    if data.status:
        query = query.where(BulkDelivery.status == data.status)
    rows = ctx.session.execute(query.order_by(BulkDelivery.created_at.desc()).limit(2000)).all()
    found = []
    for delivery, grant in rows:
        if party_may_read(ctx, delivery.grantee_org_id, grant.holder_org_id):
            found.append(delivery_out(ctx, delivery))
        if len(found) >= data.limit:
            break
    return DeliveryPage(deliveries=found)


@actions.register(
    "delivery_file",
    DeliveryFileRef,
    example={"id": "00000000-0000-0000-0000-000000000000", "name": "manifest.json"},
    summary="A file of a finished bulk delivery, for its download route (the grantee's "
    "consumer officers, while the grant is live).",
    read_only=True,
)
def delivery_file(ctx: Context, data: DeliveryFileRef) -> DeliveryFile:
    ctx.authorize_somewhere(RECEIVE)
    delivery = _get(ctx, data.id)
    grant_for_receiving(ctx, delivery.grant_id, "bulk")
    if delivery.status != "succeeded" or delivery.target != "files":
        raise Conflict("交付尚未完成，不能下载", code="delivery_not_ready")
    path = delivery_dir(ctx.settings, delivery.id) / data.name
    if not path.is_file():
        raise NotFound("交付文件不存在", code="delivery_file_missing")
    return DeliveryFile(
        path=str(path), name=data.name, media_type=MEDIA_TYPES[Path(data.name).suffix]
    )
