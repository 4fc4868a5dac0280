"""Review actions: the queue, the pre-check, publish or return with reasons (C4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select

from govdata.actions import ActionSet, Context
from govdata.catalog.events import EntryPublished, EntryReturned, ObligationFulfilled
from govdata.catalog.models import CatalogEntry, EntryVersion, Obligation
from govdata.catalog.precheck import precheck
from govdata.catalog.presenters import entry_brief
from govdata.catalog.schemas import EntryId, EntryOut, EntryPage, Problem, QueueQuery, ReviewInput
from govdata.catalog.store import (
    current_entry_out,
    enqueue_for_index,
    entries_with_version,
    get_entry,
    published_version,
    working_version,
)
from govdata.catalog.vocab import VersionStatus
from govdata.db import utcnow
from govdata.errors import Conflict, InvalidInput
from govdata.events import record_event
from govdata.orgs.scopes import scoped_listing
from govdata.orgs.services import BEIJING

actions = ActionSet("catalog-review")


@actions.register(
    "review_queue",
    QueueQuery,
    example={"limit": 50},
    summary="Submitted versions awaiting review in the caller's scope, oldest first.",
    read_only=True,
)
def review_queue(ctx: Context, data: QueueQuery) -> EntryPage:
    ctx.authorize_somewhere("catalog:entry:review")
    query = entries_with_version("latest").where(
        CatalogEntry.status == VersionStatus.SUBMITTED.value
    )
    query = scoped_listing(ctx, query, "catalog:entry:review", None)
    total = ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = ctx.session.execute(
        query.order_by(EntryVersion.submitted_at, CatalogEntry.id)
        .offset(data.offset)
        .limit(data.limit)
    )
    return EntryPage(
        total=total, entries=[entry_brief(entry, version, org) for entry, version, org in rows]
    )


@actions.register(
    "entry_precheck",
    EntryId,
    example={"id": "<entry id>"},
    summary="What the platform's pre-check finds in the entry's working version.",
    read_only=True,
)
def entry_precheck(ctx: Context, data: EntryId) -> list[Problem]:
    ctx.authorize_somewhere("catalog:entry:read_working")
    entry, provider = get_entry(ctx.session, data.id)
    ctx.authorize("catalog:entry:read_working", provider.ref)
    version = working_version(ctx.session, entry)
    if version is None:
        return []
    return precheck(ctx.session, entry, version)


@actions.register(
    "entry_review",
    ReviewInput,
    example={"id": "<entry id>", "decision": "return", "reasons": ["摘要未说明数据范围"]},
    summary="Publish the submitted version, or return it for correction with reasons.",
)
def entry_review(ctx: Context, data: ReviewInput) -> EntryOut:
    ctx.authorize_somewhere("catalog:entry:review")
    entry, provider = get_entry(ctx.session, data.id, for_update=True)
    ctx.authorize("catalog:entry:review", provider.ref)
    version = working_version(ctx.session, entry)
    if version is None or version.status != VersionStatus.SUBMITTED:
        raise Conflict("该目录没有待审核的版本", code="entry_not_submitted")
    reviewed_at = utcnow()
    version.reviewed_at = reviewed_at
    version.reviewed_by = ctx.actor.name
    version.review_reasons = list(data.reasons)
    if data.decision == "return":
        version.status = VersionStatus.RETURNED.value
        entry.status = version.status
        entry.updated_at = reviewed_at
        record_event(
            ctx,
            EntryReturned(
                subject_id=entry.id,
                resource_code=entry.resource_code,
                number=version.number,
                reasons=list(data.reasons),
            ),
        )
        return current_entry_out(ctx.session, entry, provider)
    problems = precheck(ctx.session, entry, version)
    if problems:
        raise InvalidInput(
            "目录未通过预检，不能发布",
            code="precheck_failed",
            fields={p.field: p.message for p in problems},
        )
    previous = published_version(ctx.session, entry)
    if previous is not None:
        previous.status = VersionStatus.SUPERSEDED.value
    version.status = VersionStatus.PUBLISHED.value
    version.publish_date = reviewed_at.astimezone(BEIJING).date()
    entry.status = version.status
    entry.published_number = version.number
    entry.updated_at = reviewed_at
    _fulfil_obligations(ctx, entry, version, reviewed_at, first=previous is None)
    enqueue_for_index(ctx, entry)
    record_event(
        ctx,
        EntryPublished(
            subject_id=entry.id,
            resource_code=entry.resource_code,
            number=version.number,
            organisation_id=entry.organisation_id,
        ),
    )
    return current_entry_out(ctx.session, entry, provider)


def _fulfil_obligations(
    ctx: Context, entry: CatalogEntry, version: EntryVersion, at: datetime, *, first: bool
) -> None:
    """Publishing settles (C6): the registration of the systems' resources this version
    links; any update owed on this entry; and, at an entry's first publication, the
    oldest registration owed by its department for a new resource not tied to a system."""
    system_ids = {r.system_id for r in version.resources if r.system_id}
    conditions = [(Obligation.kind == "update") & (Obligation.entry_id == entry.id)]
    if system_ids:
        conditions.append((Obligation.kind == "register") & Obligation.system_id.in_(system_ids))
    open_ones = list(
        ctx.session.scalars(
            select(Obligation).where(Obligation.fulfilled_at.is_(None), or_(*conditions))
        )
    )
    if first:
        owed = ctx.session.scalar(
            select(Obligation)
            .where(
                Obligation.fulfilled_at.is_(None),
                Obligation.kind == "register",
                Obligation.organisation_id == entry.organisation_id,
                Obligation.system_id.is_(None),
                Obligation.entry_id.is_(None),
            )
            .order_by(Obligation.started_on, Obligation.id)
            .limit(1)
        )
        if owed is not None:
            open_ones.append(owed)
    for obligation in open_ones:
        obligation.fulfilled_at = at
        obligation.fulfilled_by_entry_id = entry.id
        record_event(
            ctx,
            ObligationFulfilled(subject_id=obligation.id, kind=obligation.kind, entry_id=entry.id),
        )
