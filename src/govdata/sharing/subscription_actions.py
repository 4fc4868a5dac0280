"""Subscription actions (S4): subscribe to a granted table, pull and acknowledge batches.

Only the grantee's consumer officers subscribe, pull, acknowledge and cancel,
under a live grant carrying ``subscription`` and within its ceiling; the parties,
their authorities and auditors list subscriptions with their last acknowledged
version and lag. Pulling and acknowledging are for the outbox transport; with
nats the consumer reads and acknowledges on JetStream.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from govdata.actions import ActionSet, Context
from govdata.aggregation.store import org_ref
from govdata.db import utcnow
from govdata.errors import Conflict, InvalidInput, NotFound
from govdata.events import record_event
from govdata.sharing.delivery_events import (
    BatchAcknowledged,
    SubscriptionCancelled,
    SubscriptionCreated,
)
from govdata.sharing.delivery_models import ChangeBatch, Subscription
from govdata.sharing.delivery_schemas import (
    BatchOut,
    PendingBatchOut,
    PendingBatchPage,
    PendingBatchQuery,
    PullOut,
    SubscriptionAck,
    SubscriptionCreate,
    SubscriptionListQuery,
    SubscriptionOut,
    SubscriptionPage,
    SubscriptionRef,
)
from govdata.sharing.granted_data import RECEIVE, grant_for_receiving, granted_table
from govdata.sharing.models import Grant
from govdata.sharing.store import entry_name, party_may_read
from govdata.sharing.subscriptions import (
    acknowledge_through,
    batch_body,
    latest_committed,
    mark_delivered,
)
from govdata.sharing.transports import transport_for

actions = ActionSet("sharing-subscriptions")

SUBSCRIPTION_STATUS_LABELS = {"active": "正常", "stalled": "长时间未确认", "cancelled": "已取消"}


def subscription_out(ctx: Context, subscription: Subscription) -> SubscriptionOut:
    grant = ctx.session.get(Grant, subscription.grant_id)
    assert grant is not None  # noqa: S101 (foreign key)
    latest = latest_committed(ctx.session, subscription.source_id)
    pending, oldest = ctx.session.execute(
        select(func.count(ChangeBatch.id), func.min(ChangeBatch.created_at)).where(
            ChangeBatch.subscription_id == subscription.id, ChangeBatch.status == "pending"
        )
    ).one()
    newest = max(latest or 0, subscription.batched_version)
    return SubscriptionOut(
        id=subscription.id,
        grant_id=grant.id,
        grant_number=grant.number,
        entry_name=entry_name(ctx.session, grant.entry_id),
        source_id=subscription.source_id,
        grantee_org_id=subscription.grantee_org_id,
        transport=subscription.transport,
        status=subscription.status,
        status_note=subscription.status_note,
        start_version=subscription.start_version,
        batched_version=subscription.batched_version,
        acked_version=subscription.acked_version,
        latest_version=latest,
        lag_versions=max(newest - subscription.acked_version, 0),
        pending_batches=int(pending or 0),
        oldest_pending_at=oldest,
        last_ack_at=subscription.last_ack_at,
        flagged_at=subscription.flagged_at,
        created_at=subscription.created_at,
        created_by=subscription.created_by,
    )


def _facts(subscription: Subscription) -> dict[str, str]:
    return {
        "subject_id": subscription.id,
        "grant_id": subscription.grant_id,
        "source_id": subscription.source_id,
        "grantee_id": subscription.grantee_org_id,
        "status": subscription.status,
    }


@actions.register(
    "subscription_create",
    SubscriptionCreate,
    example={"grant_id": "00000000-0000-0000-0000-000000000000"},
    summary="Subscribe to a granted table: every version committed from now on arrives "
    "as a change batch (outbox pull API, or NATS JetStream).",
)
def subscription_create(ctx: Context, data: SubscriptionCreate) -> SubscriptionOut:
    grant, _decision = grant_for_receiving(ctx, data.grant_id, "subscription")
    granted = granted_table(ctx.session, ctx.services.lake, grant)
    existing = ctx.session.scalar(
        select(Subscription.id).where(
            Subscription.grant_id == grant.id, Subscription.status != "cancelled"
        )
    )
    if existing is not None:
        raise Conflict("该共享授权已有订阅", code="subscription_exists", fields={"id": existing})
    version = latest_committed(ctx.session, granted.source.id)
    current = granted.lake.version()
    start = max(v for v in (version, current, 0) if v is not None)
    transport = transport_for(ctx.settings)
    subscription = Subscription(
        grant_id=grant.id,
        source_id=granted.source.id,
        grantee_org_id=grant.grantee_org_id,
        transport=transport.name,
        status="active",
        status_note="",
        start_version=start,
        batched_version=start,
        acked_version=start,
        next_sequence=1,
        created_by=ctx.actor.name,
        created_at=utcnow(),
    )
    ctx.session.add(subscription)
    ctx.session.flush()
    transport.open_subscription(subscription.id)
    record_event(
        ctx,
        SubscriptionCreated(**_facts(subscription), transport=transport.name, start_version=start),
    )
    return subscription_out(ctx, subscription)


def _get(ctx: Context, subscription_id: str, *, for_update: bool = False) -> Subscription:
    query = select(Subscription).where(Subscription.id == subscription_id)
    if for_update:
        query = query.with_for_update()
    subscription = ctx.session.scalar(query)
    if subscription is None:
        raise NotFound("订阅不存在", code="subscription_not_found")
    return subscription


def _receiving(ctx: Context, subscription_id: str) -> Subscription:
    """The caller's own subscription, under a grant still live with ``subscription``."""
    ctx.authorize_somewhere(RECEIVE)
    subscription = _get(ctx, subscription_id, for_update=True)
    ctx.authorize(RECEIVE, org_ref(ctx.session, subscription.grantee_org_id))
    if subscription.status == "cancelled":
        raise Conflict("订阅已取消", code="subscription_cancelled")
    return subscription


@actions.register(
    "subscription_list",
    SubscriptionListQuery,
    example={"status": "active"},
    summary="Subscriptions the caller may follow, with the last acknowledged version and lag.",
    read_only=True,
)
def subscription_list(ctx: Context, data: SubscriptionListQuery) -> SubscriptionPage:
    ctx.authorize_somewhere("sharing:read")
    query = select(Subscription, Grant).join(Grant, Grant.id == Subscription.grant_id)
    if data.grant_id:
        query = query.where(Subscription.grant_id == data.grant_id)
    if data.status:
        query = query.where(Subscription.status == data.status)
    rows = ctx.session.execute(query.order_by(Subscription.created_at.desc()).limit(2000)).all()
    found = []
    for subscription, grant in rows:
        if party_may_read(ctx, subscription.grantee_org_id, grant.holder_org_id):
            found.append(subscription_out(ctx, subscription))
        if len(found) >= data.limit:
            break
    return SubscriptionPage(subscriptions=found)


@actions.register(
    "subscription_batch_list",
    PendingBatchQuery,
    example={"id": "00000000-0000-0000-0000-000000000000"},
    summary="A subscription's batches waiting for acknowledgement, oldest first: versions, "
    "counts, digests and deliveries, never their rows.",
    read_only=True,
)
def subscription_batch_list(ctx: Context, data: PendingBatchQuery) -> PendingBatchPage:
    ctx.authorize_somewhere("sharing:read")
    subscription = _get(ctx, data.id)
    grant = ctx.session.get(Grant, subscription.grant_id)
    assert grant is not None  # noqa: S101 (foreign key)
    if not party_may_read(ctx, grant.grantee_org_id, grant.holder_org_id):
        ctx.authorize("sharing:read", org_ref(ctx.session, grant.grantee_org_id))
    batches = ctx.session.scalars(
        select(ChangeBatch)
        .where(ChangeBatch.subscription_id == subscription.id, ChangeBatch.status == "pending")
        .order_by(ChangeBatch.sequence)
        .limit(data.limit)
    )
    return PendingBatchPage(
        subscription=subscription_out(ctx, subscription),
        batches=[
            PendingBatchOut(
                batch_id=batch.id,
                sequence=batch.sequence,
                from_version=batch.from_version,
                to_version=batch.to_version,
                counts={
                    "inserted": batch.inserted,
                    "updated": batch.updated,
                    "deleted": batch.deleted,
                },
                sha256=batch.sha256,
                sm3=batch.sm3,
                created_at=batch.created_at,
                deliveries=batch.deliveries,
                delivered_at=batch.delivered_at,
            )
            for batch in batches
        ],
    )


@actions.register(
    "subscription_cancel",
    SubscriptionRef,
    example={"id": "00000000-0000-0000-0000-000000000000"},
    summary="Cancel a subscription (final); its unacknowledged batches are dropped.",
)
def subscription_cancel(ctx: Context, data: SubscriptionRef) -> SubscriptionOut:
    subscription = _receiving(ctx, data.id)
    subscription.status = "cancelled"
    subscription.cancelled_at = utcnow()
    record_event(ctx, SubscriptionCancelled(**_facts(subscription), reason="订阅方取消"))
    transport = transport_for(ctx.settings, subscription.transport)
    ctx.after_commit(lambda: transport.close_subscription(subscription.id))
    return subscription_out(ctx, subscription)


@actions.register(
    "subscription_pull",
    SubscriptionRef,
    example={"id": "00000000-0000-0000-0000-000000000000"},
    summary="The next change batch of an outbox subscription (the oldest unacknowledged; "
    "delivered again when not acknowledged in time).",
)
def subscription_pull(ctx: Context, data: SubscriptionRef) -> PullOut:
    subscription = _receiving(ctx, data.id)
    grant_for_receiving(ctx, subscription.grant_id, "subscription")
    if subscription.transport != "outbox":
        raise InvalidInput(
            "该订阅通过 NATS JetStream 接收，请在消息服务上拉取和确认",
            code="subscription_uses_nats",
        )
    batch = ctx.session.scalar(
        select(ChangeBatch)
        .where(ChangeBatch.subscription_id == subscription.id, ChangeBatch.status == "pending")
        .order_by(ChangeBatch.sequence)
        .limit(1)
    )
    if batch is None:
        return PullOut(
            batch=None, in_flight=False, subscription=subscription_out(ctx, subscription)
        )
    wait = timedelta(seconds=ctx.settings.subscription_redelivery_seconds)
    if batch.delivered_at is not None and utcnow() - batch.delivered_at < wait:
        return PullOut(batch=None, in_flight=True, subscription=subscription_out(ctx, subscription))
    mark_delivered(ctx, subscription, batch)
    body = batch_body(batch, subscription)
    return PullOut(
        batch=BatchOut.model_validate(body | {"deliveries": batch.deliveries}),
        in_flight=False,
        subscription=subscription_out(ctx, subscription),
    )


@actions.register(
    "subscription_ack",
    SubscriptionAck,
    example={"id": "00000000-0000-0000-0000-000000000000", "sequence": 1},
    summary="Acknowledge an outbox subscription's batches up to a sequence number; the "
    "subscription's acknowledged version moves to that batch's version.",
)
def subscription_ack(ctx: Context, data: SubscriptionAck) -> SubscriptionOut:
    subscription = _receiving(ctx, data.id)
    if subscription.transport != "outbox":
        raise InvalidInput("该订阅通过 NATS JetStream 确认", code="subscription_uses_nats")
    target = ctx.session.scalar(
        select(ChangeBatch).where(
            ChangeBatch.subscription_id == subscription.id, ChangeBatch.sequence == data.sequence
        )
    )
    if target is None or target.deliveries == 0:
        raise InvalidInput(
            "只能确认已收到的批次", code="batch_not_delivered", fields={"sequence": "未交付"}
        )
    batches = list(
        ctx.session.scalars(
            select(ChangeBatch)
            .where(
                ChangeBatch.subscription_id == subscription.id,
                ChangeBatch.status == "pending",
                ChangeBatch.sequence <= data.sequence,
            )
            .order_by(ChangeBatch.sequence)
        )
    )
    acknowledge_through(subscription, batches)
    if batches:
        record_event(
            ctx,
            BatchAcknowledged(
                subject_id=subscription.id,
                subscription_id=subscription.id,
                sequence=data.sequence,
                to_version=subscription.acked_version,
            ),
        )
    return subscription_out(ctx, subscription)
