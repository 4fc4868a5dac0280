"""What left the node from one source's table: the deliveries under each grant (G5).

A grant names a catalog entry; the data it delivers is the lake table of the
entry's physical source, and every delivery records which source and version it
read. For one source this module gathers, per grant of its entry that the
reader may see (``may_see``, the caller's ``sharing:read`` on either party, the
rule of :func:`govdata.sharing.store.party_may_read`):

* bulk deliveries (S3): the newest few one by one (version, rows, target,
  status), the older ones summed up;
* service calls (S2, S3): summed up in the database from the
  ``sharing:delivery:served`` events (count per service, rows, versions read,
  last call), never one per call: services answer millions of calls;
* subscriptions (S4): each with the newest version batched, delivered and
  acknowledged, and its number of batches.

Grants the reader may not see are left out entirely, counts included, so a
reader learns nothing of other departments' grants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata.aggregation.models import Source
from govdata.events import EventRecord
from govdata.sharing.delivery_models import BulkDelivery, ChangeBatch, Subscription
from govdata.sharing.models import Grant
from govdata.sharing.service_events import ServiceDelivered
from govdata.sharing.store import org_name

# Bulk deliveries shown one by one per grant; older ones are summed up in one node.
BULK_SHOWN = 5


@dataclass(frozen=True)
class BulkFacts:
    delivery_id: str
    version: int
    rows: int
    target: str  # files | database
    target_table: str | None
    status: str
    at: datetime  # finished, else created


@dataclass(frozen=True)
class EarlierBulk:
    """Bulk deliveries older than the ones shown: how many, rows, versions."""

    count: int
    rows: int
    versions: list[int]
    last_at: datetime


@dataclass(frozen=True)
class ServiceFacts:
    calls: int
    calls_by_service: dict[str, int]
    rows: int
    versions: list[int]
    last_at: datetime


@dataclass(frozen=True)
class SubscriptionFacts:
    subscription_id: str
    transport: str
    status: str
    batched_version: int
    delivered_version: int | None
    acked_version: int
    batches: int
    last_delivered_at: datetime | None


@dataclass
class GrantDeliveries:
    grant: Grant
    grantee_name: str
    bulk: list[BulkFacts] = field(default_factory=list)
    earlier_bulk: EarlierBulk | None = None
    services: ServiceFacts | None = None
    subscriptions: list[SubscriptionFacts] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return bool(self.bulk or self.earlier_bulk or self.services or self.subscriptions)


def visible_grants(
    session: Session, source: Source, may_see: Callable[[Grant], bool]
) -> list[Grant]:
    """Grants of the source's entry the reader may see (a logical source delivers nothing)."""
    if source.mode != "physical":
        return []
    grants = session.scalars(
        select(Grant).where(Grant.entry_id == source.entry_id).order_by(Grant.created_at, Grant.id)
    ).all()
    return [grant for grant in grants if may_see(grant)]


def _bulk(session: Session, source: Source, found: GrantDeliveries) -> None:
    of_grant = (BulkDelivery.grant_id == found.grant.id, BulkDelivery.source_id == source.id)
    newest = session.scalars(
        select(BulkDelivery)
        .where(*of_grant)
        .order_by(BulkDelivery.created_at.desc(), BulkDelivery.id)
        .limit(BULK_SHOWN)
    ).all()
    found.bulk = [
        BulkFacts(
            delivery_id=delivery.id,
            version=delivery.version,
            rows=delivery.rows,
            target=delivery.target,
            target_table=delivery.target_table,
            status=delivery.status,
            at=delivery.finished_at or delivery.created_at,
        )
        for delivery in newest
    ]
    if len(newest) < BULK_SHOWN:
        return
    shown = [delivery.id for delivery in newest]
    older = (*of_grant, BulkDelivery.id.not_in(shown))
    count, rows, last_at = session.execute(
        select(
            func.count(BulkDelivery.id),
            func.coalesce(func.sum(BulkDelivery.rows), 0),
            func.max(func.coalesce(BulkDelivery.finished_at, BulkDelivery.created_at)),
        ).where(*older)
    ).one()
    if not count:
        return
    versions = session.scalars(
        select(BulkDelivery.version).where(*older).distinct().order_by(BulkDelivery.version)
    ).all()
    found.earlier_bulk = EarlierBulk(
        count=int(count), rows=int(rows), versions=list(versions), last_at=last_at
    )


def _services(session: Session, source: Source, by_grant: dict[str, GrantDeliveries]) -> None:
    """One aggregate query over the service deliveries of every visible grant."""
    if not by_grant:
        return
    data = EventRecord.data
    # The JSON fields are extracted once, in a subquery, and grouped on outside:
    # PostgreSQL would not match a GROUP BY on a repeated expression whose path
    # is a separate bound parameter.
    calls = (
        select(
            EventRecord.subject_id.label("grant_id"),
            data["service"].as_string().label("service"),
            data["version"].as_integer().label("version"),
            data["rows"].as_integer().label("rows"),
            EventRecord.occurred_at.label("occurred_at"),
        )
        .where(
            EventRecord.name == ServiceDelivered.name,
            EventRecord.subject_id.in_(sorted(by_grant)),
            data["source_id"].as_string() == source.id,
        )
        .subquery()
    )
    rows = session.execute(
        select(
            calls.c.grant_id,
            calls.c.service,
            calls.c.version,
            func.count(),
            func.coalesce(func.sum(calls.c.rows), 0),
            func.max(calls.c.occurred_at),
        ).group_by(calls.c.grant_id, calls.c.service, calls.c.version)
    ).all()
    totals: dict[str, tuple[dict[str, int], int, set[int], datetime]] = {}
    for grant_id, service_name, read_version, calls, delivered, last_at in rows:
        by_service, rows_sum, versions, latest = totals.get(grant_id, ({}, 0, set(), last_at))
        by_service[service_name] = by_service.get(service_name, 0) + int(calls)
        versions.add(int(read_version))
        totals[grant_id] = (by_service, rows_sum + int(delivered), versions, max(latest, last_at))
    for grant_id, (by_service, rows_sum, versions, latest) in totals.items():
        by_grant[grant_id].services = ServiceFacts(
            calls=sum(by_service.values()),
            calls_by_service=dict(sorted(by_service.items())),
            rows=rows_sum,
            versions=sorted(versions),
            last_at=latest,
        )


def _subscriptions(session: Session, source: Source, found: GrantDeliveries) -> None:
    subscriptions = session.scalars(
        select(Subscription)
        .where(Subscription.grant_id == found.grant.id, Subscription.source_id == source.id)
        .order_by(Subscription.created_at, Subscription.id)
    ).all()
    for subscription in subscriptions:
        delivered = ChangeBatch.subscription_id == subscription.id
        count, newest, last_at = session.execute(
            select(
                func.count(ChangeBatch.id),
                func.max(ChangeBatch.to_version).filter(ChangeBatch.delivered_at.is_not(None)),
                func.max(ChangeBatch.delivered_at),
            ).where(delivered)
        ).one()
        found.subscriptions.append(
            SubscriptionFacts(
                subscription_id=subscription.id,
                transport=subscription.transport,
                status=subscription.status,
                batched_version=subscription.batched_version,
                delivered_version=newest,
                acked_version=subscription.acked_version,
                batches=int(count),
                last_delivered_at=last_at,
            )
        )


def deliveries_from(
    session: Session, source: Source, may_see: Callable[[Grant], bool]
) -> list[GrantDeliveries]:
    """Per visible grant of the source's entry, what was delivered from its table."""
    found = [
        GrantDeliveries(grant=grant, grantee_name=org_name(session, grant.grantee_org_id))
        for grant in visible_grants(session, source, may_see)
    ]
    for grant_deliveries in found:
        _bulk(session, source, grant_deliveries)
        _subscriptions(session, source, grant_deliveries)
    _services(session, source, {g.grant.id: g for g in found})
    return found
