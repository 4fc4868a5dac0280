"""Designating authoritative sources: which table is the authority for which field.

One field of one subject kind has at most one authority per organisation (一数一源).
A request naming two authorities for one field, or a new authority for a field
that already has another, is a contradictory setting and is refused
(``authority_conflict``) unless ``replace`` says the old one is to go.
"""

from __future__ import annotations

from sqlalchemy import select

from govdata.actions import ActionSet, Context
from govdata.aggregation.store import org_ref
from govdata.errors import Conflict, NotFound
from govdata.events import record_event
from govdata.orgs.models import Organisation
from govdata.verification.events import AuthoritiesChanged
from govdata.verification.models import VerificationAuthority
from govdata.verification.permissions import MANAGE, READ
from govdata.verification.schemas import AuthorityListQuery, AuthorityOut, AuthoritySet
from govdata.verification.tables import find_table

actions = ActionSet("verification-authorities")


def _out(row: VerificationAuthority, table_name: str) -> AuthorityOut:
    return AuthorityOut(
        id=row.id,
        organisation_id=row.organisation_id,
        subject_kind=row.subject_kind,
        field=row.field,
        source_id=row.source_id,
        library_id=row.library_id,
        table_name=table_name,
        note=row.note,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _ref(row: VerificationAuthority) -> tuple[str, str]:
    if row.source_id is not None:
        return ("source", row.source_id)
    return ("library", row.library_id or "")


def designations_of(
    ctx: Context, organisation_id: str, subject_kind: str
) -> dict[str, tuple[str, str]]:
    """field → (kind, id) of its authoritative table."""
    rows = ctx.session.scalars(
        select(VerificationAuthority).where(
            VerificationAuthority.organisation_id == organisation_id,
            VerificationAuthority.subject_kind == subject_kind,
        )
    )
    return {row.field: _ref(row) for row in rows}


@actions.register(
    "verification_authority_set",
    AuthoritySet,
    example={
        "organisation_id": "<organisation id>",
        "subject_kind": "person",
        "designations": [{"field": "address", "source_id": "<source id>"}],
    },
    summary="Designate the authoritative source (or library) of fields of a subject kind; "
    "two authorities for one field are refused as authority_conflict.",
)
def verification_authority_set(ctx: Context, data: AuthoritySet) -> list[AuthorityOut]:
    ctx.authorize_somewhere(MANAGE)
    org = ctx.session.get(Organisation, data.organisation_id)
    if org is None:
        raise NotFound("机构不存在", code="organisation_not_found")
    ctx.authorize(MANAGE, org.ref)
    wanted: dict[str, tuple[str, str]] = {}
    for designation in data.designations:
        earlier = wanted.get(designation.field)
        if earlier is not None and earlier != designation.ref:
            raise Conflict(
                f"字段“{designation.field}”被指定了两个权威来源",
                code="authority_conflict",
                fields={"field": designation.field},
            )
        wanted[designation.field] = designation.ref
    tables = {}
    for designation in data.designations:
        table = find_table(ctx.session, *designation.ref)
        tables[designation.ref] = table
    existing = {
        row.field: row
        for row in ctx.session.scalars(
            select(VerificationAuthority).where(
                VerificationAuthority.organisation_id == org.id,
                VerificationAuthority.subject_kind == data.subject_kind,
                VerificationAuthority.field.in_(sorted(wanted)),
            )
        )
    }
    contradicted = sorted(
        name for name, row in existing.items() if _ref(row) != wanted[name] and not data.replace
    )
    if contradicted:
        raise Conflict(
            f"字段已有其他权威来源：{'、'.join(contradicted)}（如需更换请设置 replace）",
            code="authority_conflict",
            fields={"field": "、".join(contradicted)},
        )
    notes = {designation.field: designation.note for designation in data.designations}
    changed: dict[str, str] = {}
    for name, (kind, table_id) in wanted.items():
        row = existing.get(name)
        if row is None:
            row = VerificationAuthority(
                organisation_id=org.id,
                subject_kind=data.subject_kind,
                field=name,
                created_by=ctx.actor.name,
            )
            ctx.session.add(row)
        elif _ref(row) == (kind, table_id) and row.note == notes[name]:
            continue
        row.source_id = table_id if kind == "source" else None
        row.library_id = table_id if kind == "library" else None
        row.note = notes[name]
        changed[name] = f"{kind}:{table_id}"
    ctx.session.flush()
    if changed:
        record_event(
            ctx,
            AuthoritiesChanged(
                subject_id=org.id,
                organisation_id=org.id,
                subject_kind=data.subject_kind,
                designations=changed,
            ),
        )
    rows = ctx.session.scalars(
        select(VerificationAuthority)
        .where(
            VerificationAuthority.organisation_id == org.id,
            VerificationAuthority.subject_kind == data.subject_kind,
        )
        .order_by(VerificationAuthority.field)
    )
    return [_out(row, find_table(ctx.session, *_ref(row)).name) for row in rows]


@actions.register(
    "verification_authority_list",
    AuthorityListQuery,
    example={"subject_kind": "person"},
    summary="Authoritative sources designated in the organisations the caller may see.",
    read_only=True,
)
def verification_authority_list(ctx: Context, data: AuthorityListQuery) -> list[AuthorityOut]:
    ctx.authorize_somewhere(READ)
    if data.organisation_id is not None:
        ctx.authorize(READ, org_ref(ctx.session, data.organisation_id))
    query = select(VerificationAuthority, Organisation).join(
        Organisation, Organisation.id == VerificationAuthority.organisation_id
    )
    if data.organisation_id is not None:
        query = query.where(VerificationAuthority.organisation_id == data.organisation_id)
    if data.subject_kind is not None:
        query = query.where(VerificationAuthority.subject_kind == data.subject_kind)
    query = query.order_by(
        VerificationAuthority.organisation_id,
        VerificationAuthority.subject_kind,
        VerificationAuthority.field,
    )
    return [
        _out(row, find_table(ctx.session, *_ref(row)).name)
        for row, org in ctx.session.execute(query).all()
        if ctx.can(READ, org.ref)
    ]
