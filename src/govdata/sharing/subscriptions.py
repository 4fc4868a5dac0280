"""Subscriptions (S4): committed versions become change batches for each subscriber.

1. The run that commits a version writes a ``CommittedVersion`` outbox row in the
   same transaction that records its success (:func:`record_committed_version`,
   called by the aggregation runner), so no committed version can be missed.
2. The dispatcher (:func:`dispatch`, every ``subscription_dispatch_seconds`` in
   ``govdata serve``, or ``govdata sharing dispatch``) makes, for every active
   subscription behind the newest committed version, one batch from the version
   its last batch reached to the newest: inserted, updated and deleted rows by
   key, masked and scoped by the grant, with SHA-256 and SM3 digests. A grant
   that is no longer live gets no batch. With the nats transport the batch is
   then published to JetStream (again on the next pass if publishing failed).
3. Consumers acknowledge batches (``subscription_ack``, or a JetStream ack,
   whose floor the dispatcher reads back), which moves the subscription's
   acknowledged version. What is not acknowledged is delivered again: a pull
   returns the oldest unacknowledged batch once ``subscription_redelivery_seconds``
   have passed since it was last handed over (JetStream's ``ack_wait`` likewise).
4. A subscription whose oldest batch stays unacknowledged for
   ``subscription_stall_seconds`` is flagged ``stalled``: it gets no new batches
   until it acknowledges, and then catches up in one batch.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from govdata.actions import Context
from govdata.aggregation.models import Run
from govdata.db import Database, utcnow
from govdata.errors import GovdataError
from govdata.events import record_event
from govdata.settings import Settings
from govdata.sharing.bulk import run_delivery, system_context, unfinished_deliveries
from govdata.sharing.changes import batch_digests, change_set
from govdata.sharing.delivery_events import BatchDelivered, SubscriptionFlagged
from govdata.sharing.delivery_models import ChangeBatch, CommittedVersion, Subscription
from govdata.sharing.granted_data import granted_table, refuse_unless_usable
from govdata.sharing.models import Grant
from govdata.sharing.transports import ChangeTransport, OutgoingBatch, transport_for

if TYPE_CHECKING:
    from govdata.services import Services

log = logging.getLogger(__name__)


def record_committed_version(session: Session, run: Run) -> None:
    """The outbox row of a run that committed a version of a source's table."""
    if run.source_id is None or run.version is None:
        return
    session.add(
        CommittedVersion(
            source_id=run.source_id, run_id=run.id, version=run.version, committed_at=utcnow()
        )
    )


def latest_committed(session: Session, source_id: str) -> int | None:
    return session.scalar(
        select(func.max(CommittedVersion.version)).where(CommittedVersion.source_id == source_id)
    )


@dataclass
class DispatchReport:
    batches: list[str] = field(default_factory=list)
    published: int = 0
    flagged: list[str] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)


def batch_body(batch: ChangeBatch, subscription: Subscription) -> dict[str, object]:
    """What a consumer receives: the batch, its versions, rows and digests."""
    return {
        "batch_id": batch.id,
        "subscription_id": subscription.id,
        "grant_id": subscription.grant_id,
        "sequence": batch.sequence,
        "from_version": batch.from_version,
        "to_version": batch.to_version,
        "counts": {"inserted": batch.inserted, "updated": batch.updated, "deleted": batch.deleted},
        "changes": batch.payload,
        "sha256": batch.sha256,
        "sm3": batch.sm3,
        "created_at": batch.created_at.isoformat(),
    }


def make_batch(
    ctx: Context, subscription: Subscription, grant: Grant, to_version: int
) -> ChangeBatch:
    granted = granted_table(ctx.session, ctx.services.lake, grant)
    changes = change_set(ctx, granted, subscription.batched_version, to_version)
    body = changes.body()
    sha256, sm3 = batch_digests(body)
    batch = ChangeBatch(
        subscription_id=subscription.id,
        sequence=subscription.next_sequence,
        from_version=subscription.batched_version,
        to_version=to_version,
        inserted=len(changes.inserted),
        updated=len(changes.updated),
        deleted=len(changes.deleted),
        payload=body,
        sha256=sha256,
        sm3=sm3,
        status="pending",
        deliveries=0,
        created_at=utcnow(),
    )
    ctx.session.add(batch)
    subscription.next_sequence += 1
    subscription.batched_version = to_version
    ctx.session.flush()
    return batch


def _make_batches(db: Database, settings: Settings, services: Services) -> list[str]:
    with db.transaction() as session:
        now = utcnow()
        session.execute(
            update(CommittedVersion)
            .where(CommittedVersion.dispatched_at.is_(None))
            .values(dispatched_at=now)
        )
        ids = list(
            session.scalars(
                select(Subscription.id)
                .where(Subscription.status == "active")
                .order_by(Subscription.created_at)
            )
        )
    made: list[str] = []
    for subscription_id in ids:
        try:
            with db.transaction() as session:
                subscription = session.get(Subscription, subscription_id, with_for_update=True)
                if subscription is None or subscription.status != "active":
                    continue
                newest = latest_committed(session, subscription.source_id)
                if newest is None or newest <= subscription.batched_version:
                    continue
                grant = session.get(Grant, subscription.grant_id)
                assert grant is not None  # noqa: S101 (foreign key)
                refuse_unless_usable(grant, "subscription")
                ctx = system_context(session, settings, services)
                made.append(make_batch(ctx, subscription, grant, newest).id)
        except GovdataError as error:
            # A grant no longer live (or data gone) delivers nothing; the pull says why.
            log.info("no batch for subscription %s: %s", subscription_id, error.error_code)
    return made


def _publish(
    db: Database,
    settings: Settings,
    services: Services,
    transport: ChangeTransport,
    report: DispatchReport,
) -> None:
    with db.transaction() as session:
        rows = session.execute(
            select(ChangeBatch, Subscription)
            .join(Subscription, Subscription.id == ChangeBatch.subscription_id)
            .where(
                Subscription.transport == transport.name,
                Subscription.status != "cancelled",
                ChangeBatch.status == "pending",
                ChangeBatch.stream_sequence.is_(None),
            )
            .order_by(ChangeBatch.subscription_id, ChangeBatch.sequence)
        ).all()
        outgoing = [
            OutgoingBatch(batch.id, subscription.id, batch_body(batch, subscription))
            for batch, subscription in rows
        ]
    sequences = transport.publish(outgoing)
    if not sequences:
        return
    with db.transaction() as session:
        for batch_id, sequence in sequences.items():
            batch = session.get(ChangeBatch, batch_id)
            subscription = session.get(Subscription, batch.subscription_id) if batch else None
            if batch is None or subscription is None:
                continue
            batch.stream_sequence = sequence
            mark_delivered(system_context(session, settings, services), subscription, batch)
            report.published += 1


def mark_delivered(ctx: Context, subscription: Subscription, batch: ChangeBatch) -> None:
    """A batch handed over: the first time is ledgered, every time counted."""
    first = batch.deliveries == 0
    batch.deliveries += 1
    batch.delivered_at = utcnow()
    if not first:
        return
    grant = ctx.session.get(Grant, subscription.grant_id)
    assert grant is not None  # noqa: S101
    record_event(
        ctx,
        BatchDelivered(
            subject_id=batch.id,
            subscription_id=subscription.id,
            grant_id=subscription.grant_id,
            grantee_id=subscription.grantee_org_id,
            transport=subscription.transport,
            sequence=batch.sequence,
            from_version=batch.from_version,
            to_version=batch.to_version,
            inserted=batch.inserted,
            updated=batch.updated,
            deleted=batch.deleted,
            sha256=batch.sha256,
            sm3=batch.sm3,
        ),
    )


def acknowledge_through(subscription: Subscription, batches: list[ChangeBatch]) -> None:
    """Acknowledge ``batches`` (in sequence order): the version moves to the last one's."""
    now = utcnow()
    for batch in batches:
        batch.status = "acked"
        batch.acked_at = now
    if batches:
        subscription.acked_version = max(subscription.acked_version, batches[-1].to_version)
        subscription.last_ack_at = now
        if subscription.status == "stalled":
            subscription.status = "active"
            subscription.status_note = ""


def _sync_acknowledgements(db: Database, transport: ChangeTransport) -> None:
    with db.transaction() as session:
        ids = list(
            session.scalars(
                select(Subscription.id).where(
                    Subscription.transport == transport.name, Subscription.status != "cancelled"
                )
            )
        )
    floors = transport.acknowledged(ids)
    if not floors:
        return
    with db.transaction() as session:
        for subscription_id, floor in floors.items():
            subscription = session.get(Subscription, subscription_id, with_for_update=True)
            assert subscription is not None  # noqa: S101
            acked = list(
                session.scalars(
                    select(ChangeBatch)
                    .where(
                        ChangeBatch.subscription_id == subscription_id,
                        ChangeBatch.status == "pending",
                        ChangeBatch.stream_sequence <= floor,
                    )
                    .order_by(ChangeBatch.sequence)
                )
            )
            acknowledge_through(subscription, acked)


def _flag_stalled(db: Database, settings: Settings, services: Services) -> list[str]:
    limit = utcnow() - timedelta(seconds=settings.subscription_stall_seconds)
    flagged: list[str] = []
    with db.transaction() as session:
        oldest = (
            select(ChangeBatch.subscription_id, func.min(ChangeBatch.created_at).label("since"))
            .where(ChangeBatch.status == "pending")
            .group_by(ChangeBatch.subscription_id)
            .subquery()
        )
        rows = session.execute(
            select(Subscription, oldest.c.since)
            .join(oldest, oldest.c.subscription_id == Subscription.id)
            .where(Subscription.status == "active", oldest.c.since <= limit)
        ).all()
        ctx = system_context(session, settings, services)
        for subscription, since in rows:
            subscription.status = "stalled"
            subscription.flagged_at = utcnow()
            subscription.status_note = "订阅方长时间未确认变更批次"
            record_event(
                ctx,
                SubscriptionFlagged(
                    subject_id=subscription.id,
                    grant_id=subscription.grant_id,
                    source_id=subscription.source_id,
                    grantee_id=subscription.grantee_org_id,
                    status=subscription.status,
                    acked_version=subscription.acked_version,
                    oldest_pending_since=since.isoformat(),
                ),
            )
            flagged.append(subscription.id)
    return flagged


def dispatch(
    db: Database,
    settings: Settings,
    services: Services,
    transport: ChangeTransport | None = None,
) -> DispatchReport:
    """One pass: batches for new versions, publishing, acknowledgements, flags."""
    transport = transport or transport_for(settings)
    report = DispatchReport()
    if transport.name == "nats":
        _sync_acknowledgements(db, transport)
    report.batches = _make_batches(db, settings, services)
    if transport.name == "nats":
        _publish(db, settings, services, transport, report)
    report.flagged = _flag_stalled(db, settings, services)
    return report


def run_deliveries(db: Database, settings: Settings, services: Services) -> list[str]:
    """Run every queued delivery and resume every interrupted one."""
    done = []
    for delivery_id in unfinished_deliveries(db):
        run_delivery(db, settings, services, delivery_id)
        done.append(delivery_id)
    return done


class DispatcherThread:
    """``govdata serve``'s background dispatcher: batches, publishing, flags, deliveries."""

    def __init__(self, db: Database, settings: Settings, services: Services) -> None:
        self.db = db
        self.settings = settings
        self.services = services
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="govdata-dispatcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                dispatch(self.db, self.settings, self.services)
                run_deliveries(self.db, self.settings, self.services)
            except Exception:  # the loop must survive a bad pass; it is logged
                log.exception("subscription dispatch failed")
            self._stop.wait(self.settings.subscription_dispatch_seconds)
