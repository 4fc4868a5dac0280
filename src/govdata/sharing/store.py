"""Grants as stored: issuing one, showing one, and the grant source the grade
decision takes them from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.actions import Context
from govdata.aggregation.store import org_ref
from govdata.audit.lookups import LOOKUP_PURPOSE
from govdata.catalog.models import CatalogEntry, EntryVersion
from govdata.crypto.datakeys import DataKeys
from govdata.db import new_id, utcnow
from govdata.errors import NotFound
from govdata.events import record_event
from govdata.grades import Grade
from govdata.orgs.models import Organisation
from govdata.sharing.callable_sources import callable_sources
from govdata.sharing.events import GrantIssued
from govdata.sharing.models import Grant
from govdata.sharing.reads import HASH_PURPOSE
from govdata.sharing.schemas import FieldTermOut, GrantOut, GrantSourceOut, Quotas
from govdata.sharing.terms import today


@dataclass(frozen=True)
class GrantTerms:
    """Everything a grant carries besides who and what (for issuing one)."""

    fields: list[dict[str, str]]
    division_column: str | None
    division_codes: list[str]
    application_ids: list[str]
    methods: list[str]
    starts_on: date
    ends_on: date
    quotas: Quotas


def party_may_read(ctx: Context, *org_ids: str) -> bool:
    """Whether the caller may follow what concerns either party (``sharing:read``):
    the grantee's or the holder's side, their authorities, auditors."""
    return any(ctx.can("sharing:read", org_ref(ctx.session, org_id)) for org_id in org_ids)


def number(prefix: str, object_id: str) -> str:
    return f"{prefix}{today():%Y%m%d}-{object_id[:8].upper()}"


def entry_name(session: Session, entry_id: str) -> str:
    entry = session.get(CatalogEntry, entry_id)
    if entry is None or entry.published_number is None:
        return ""
    name = session.scalar(
        select(EntryVersion.name).where(
            EntryVersion.entry_id == entry_id, EntryVersion.number == entry.published_number
        )
    )
    return name or ""


def org_name(session: Session, org_id: str) -> str:
    org = session.get(Organisation, org_id)
    return org.name if org else ""


def ensure_service_keys(ctx: Context) -> None:
    """The data keys every service call uses (the grant's hash masking, the audit
    trail's pseudonyms of looked-up values) exist before any call: calls read
    without the write lock and cannot create them."""
    keys = DataKeys(ctx.session, ctx.services.keystore)
    keys.for_writing(HASH_PURPOSE)
    keys.for_writing(LOOKUP_PURPOSE)


def issue_grant(
    ctx: Context,
    *,
    origin: str,
    entry: CatalogEntry,
    grantee_id: str,
    ceiling: Grade,
    terms: GrantTerms,
    application_id: str | None = None,
) -> Grant:
    grant_id = new_id()
    grant = Grant(
        id=grant_id,
        number=number("SQ", grant_id),
        origin=origin,
        application_id=application_id,
        entry_id=entry.id,
        holder_org_id=entry.organisation_id,
        grantee_org_id=grantee_id,
        ceiling=ceiling.value,
        fields=terms.fields,
        division_column=terms.division_column,
        division_codes=terms.division_codes,
        application_ids=terms.application_ids,
        methods=terms.methods,
        starts_on=terms.starts_on,
        ends_on=terms.ends_on,
        calls_per_day=terms.quotas.calls_per_day,
        rows_per_call=terms.quotas.rows_per_call,
        rows_per_day=terms.quotas.rows_per_day,
        status="active",
        status_note="",
        created_at=utcnow(),
        created_by=ctx.actor.name,
        updated_at=utcnow(),
    )
    ctx.session.add(grant)
    ctx.session.flush()
    ensure_service_keys(ctx)
    record_event(
        ctx,
        GrantIssued(
            **grant_facts(grant),
            origin=origin,
            application_id=application_id,
            ceiling=grant.ceiling,
            fields=grant.fields,
            division_column=grant.division_column,
            division_codes=grant.division_codes,
            application_ids=grant.application_ids,
            methods=grant.methods,
            starts_on=str(grant.starts_on),
            ends_on=str(grant.ends_on),
            calls_per_day=grant.calls_per_day,
            rows_per_call=grant.rows_per_call,
            rows_per_day=grant.rows_per_day,
        ),
    )
    return grant


def grant_facts(grant: Grant) -> dict[str, Any]:
    """The fields every grant event carries."""
    return {
        "subject_id": grant.id,
        "entry_id": grant.entry_id,
        "holder_id": grant.holder_org_id,
        "grantee_id": grant.grantee_org_id,
        "status": grant.status,
    }


def is_live(grant: Grant, day: date) -> bool:
    """Active, started and not past its end day."""
    return grant.status == "active" and grant.starts_on <= day <= grant.ends_on


def get_grant(session: Session, grant_id: str, *, for_update: bool = False) -> Grant:
    query = select(Grant).where((Grant.id == grant_id) | (Grant.number == grant_id))
    if for_update:
        query = query.with_for_update()
    grant = session.scalar(query)
    if grant is None:
        raise NotFound("共享授权不存在", code="grant_not_found")
    return grant


def grant_out(
    session: Session,
    grant: Grant,
    day: date | None = None,
    sources: list[GrantSourceOut] | None = None,
) -> GrantOut:
    """``sources``: the entry's callable sources when the caller looked them up for many
    grants at once (``callable_sources``)."""
    if sources is None:
        sources = callable_sources(session, [grant.entry_id])[grant.entry_id]
    return GrantOut(
        id=grant.id,
        number=grant.number,
        origin=grant.origin,
        application_id=grant.application_id,
        entry_id=grant.entry_id,
        entry_name=entry_name(session, grant.entry_id),
        holder_org_id=grant.holder_org_id,
        holder_name=org_name(session, grant.holder_org_id),
        grantee_org_id=grant.grantee_org_id,
        grantee_name=org_name(session, grant.grantee_org_id),
        ceiling=grant.ceiling,
        fields=[FieldTermOut(name=f["name"], strategy=f["strategy"]) for f in grant.fields],
        division_column=grant.division_column,
        division_codes=list(grant.division_codes),
        application_ids=list(grant.application_ids),
        methods=list(grant.methods),
        starts_on=grant.starts_on,
        ends_on=grant.ends_on,
        calls_per_day=grant.calls_per_day,
        rows_per_call=grant.rows_per_call,
        rows_per_day=grant.rows_per_day,
        sources=sources,
        status=grant.status,
        status_note=grant.status_note,
        live=is_live(grant, day or today()),
        created_at=grant.created_at,
        created_by=grant.created_by,
    )


def stored_grant(session: Session, grant_id: str | None) -> Grant | None:
    """The stored grant behind a decision's ``grant_id`` (None for hand-made grants)."""
    return session.get(Grant, grant_id) if grant_id else None
