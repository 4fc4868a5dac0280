"""Grants (S1) and data return (S5): read, suspend, resume, renew, revoke, return.

A grant is changed only by the holder's provider officers or the authority over
the holder, and every change is an event that is ledgered. Suspended and revoked
grants allow nothing (:class:`govdata.sharing.store.DatabaseGrants` leaves them
out of the grade decision); revocation is final. Data return (数据回流/属地返还)
creates one grant per local department, each limited to the rows of that
department's own division.
"""

from __future__ import annotations

from sqlalchemy import select

from govdata.actions import ActionSet, Context
from govdata.aggregation.store import org_ref
from govdata.catalog.grading import data_resource
from govdata.catalog.models import CatalogEntry
from govdata.catalog.vocab import ShareType
from govdata.db import utcnow
from govdata.errors import Conflict, InvalidInput, NotFound
from govdata.events import record_event
from govdata.orgs.models import Organisation
from govdata.sharing.callable_sources import callable_sources
from govdata.sharing.events import (
    DataReturned,
    GrantRenewed,
    GrantResumed,
    GrantRevoked,
    GrantSuspended,
)
from govdata.sharing.models import Grant
from govdata.sharing.schemas import (
    GrantChange,
    GrantListQuery,
    GrantOut,
    GrantPage,
    GrantRef,
    GrantRenew,
    GrantResume,
    ReturnOut,
    ShareReturn,
)
from govdata.sharing.store import (
    GrantTerms,
    get_grant,
    grant_facts,
    grant_out,
    issue_grant,
    party_may_read,
)
from govdata.sharing.terms import check_methods, check_period, field_terms, published_items, today

actions = ActionSet("sharing-grants")

GRANT_STATUS_LABELS = {"active": "有效", "suspended": "已暂停", "revoked": "已撤销"}
ORIGIN_LABELS = {"application": "共享申请", "return": "数据回流"}


def _may_read(ctx: Context, grant: Grant) -> bool:
    return party_may_read(ctx, grant.grantee_org_id, grant.holder_org_id)


@actions.register(
    "grant_get",
    GrantRef,
    example={"id": "<grant id>"},
    summary="One grant with everything it allows: fields and masking, rows, applications, "
    "methods, period and quotas.",
    read_only=True,
)
def grant_get(ctx: Context, data: GrantRef) -> GrantOut:
    ctx.authorize_somewhere("sharing:read")
    grant = get_grant(ctx.session, data.id)
    if not _may_read(ctx, grant):
        ctx.authorize("sharing:read", org_ref(ctx.session, grant.holder_org_id))
    return grant_out(ctx.session, grant)


@actions.register(
    "grant_list",
    GrantListQuery,
    example={"status": "active"},
    summary="Grants the caller may see (as grantee, holder, authority or auditor), newest first.",
    read_only=True,
)
def grant_list(ctx: Context, data: GrantListQuery) -> GrantPage:
    ctx.authorize_somewhere("sharing:read")
    query = select(Grant).order_by(Grant.created_at.desc(), Grant.id)
    if data.status:
        query = query.where(Grant.status == data.status)
    if data.origin:
        query = query.where(Grant.origin == data.origin)
    if data.entry_id:
        query = query.where(Grant.entry_id == data.entry_id)
    if data.grantee_id:
        query = query.where(Grant.grantee_org_id == data.grantee_id)
    visible = [grant for grant in ctx.session.scalars(query) if _may_read(ctx, grant)]
    day = today()
    page = visible[data.offset : data.offset + data.limit]
    sources = callable_sources(ctx.session, {grant.entry_id for grant in page})
    return GrantPage(
        grants=[grant_out(ctx.session, g, day, sources[g.entry_id]) for g in page],
        total=len(visible),
    )


def _managed(ctx: Context, grant_id: str, *allowed: str) -> Grant:
    ctx.authorize_somewhere("sharing:grant:manage")
    grant = get_grant(ctx.session, grant_id, for_update=True)
    ctx.authorize("sharing:grant:manage", org_ref(ctx.session, grant.holder_org_id))
    if grant.status not in allowed:
        wanted = "、".join(GRANT_STATUS_LABELS[s] for s in allowed)
        raise Conflict(
            f"授权当前为“{GRANT_STATUS_LABELS[grant.status]}”，此操作只适用于“{wanted}”的授权",
            code="grant_wrong_status",
            fields={"status": grant.status},
        )
    grant.updated_at = utcnow()
    return grant


@actions.register(
    "grant_suspend",
    GrantChange,
    example={"id": "<grant id>", "reason": "调用异常，暂停核查"},
    summary="Suspend a grant: it allows nothing until resumed.",
)
def grant_suspend(ctx: Context, data: GrantChange) -> GrantOut:
    grant = _managed(ctx, data.id, "active")
    grant.status = "suspended"
    grant.status_note = data.reason
    record_event(ctx, GrantSuspended(**grant_facts(grant), reason=data.reason))
    return grant_out(ctx.session, grant)


@actions.register(
    "grant_resume",
    GrantResume,
    example={"id": "<grant id>", "note": "核查完毕，恢复"},
    summary="Resume a suspended grant.",
)
def grant_resume(ctx: Context, data: GrantResume) -> GrantOut:
    grant = _managed(ctx, data.id, "suspended")
    grant.status = "active"
    grant.status_note = data.note
    record_event(ctx, GrantResumed(**grant_facts(grant), note=data.note))
    return grant_out(ctx.session, grant)


@actions.register(
    "grant_renew",
    GrantRenew,
    example={"id": "<grant id>", "ends_on": "2028-12-31", "note": "续期一年"},
    summary="Give a grant a new end date (expired grants included; revoked ones never).",
)
def grant_renew(ctx: Context, data: GrantRenew) -> GrantOut:
    grant = _managed(ctx, data.id, "active", "suspended")
    check_period(grant.starts_on, data.ends_on)
    previous = grant.ends_on
    grant.ends_on = data.ends_on
    record_event(
        ctx,
        GrantRenewed(
            **grant_facts(grant),
            previous_ends_on=str(previous),
            ends_on=str(data.ends_on),
            note=data.note,
        ),
    )
    return grant_out(ctx.session, grant)


@actions.register(
    "grant_revoke",
    GrantChange,
    example={"id": "<grant id>", "reason": "使用部门超范围使用数据"},
    summary="Revoke a grant for good.",
)
def grant_revoke(ctx: Context, data: GrantChange) -> GrantOut:
    grant = _managed(ctx, data.id, "active", "suspended")
    grant.status = "revoked"
    grant.status_note = data.reason
    record_event(ctx, GrantRevoked(**grant_facts(grant), reason=data.reason))
    return grant_out(ctx.session, grant)


def _local_departments(ctx: Context, holder: Organisation, data: ShareReturn) -> list[Organisation]:
    """The departments named, or found by level, all below the holder's region."""
    region = ctx.session.get(Organisation, holder.parent_id) if holder.parent_id else None
    region_path = region.path if region else holder.path
    if data.department_ids:
        found = {
            org.id: org
            for org in ctx.session.scalars(
                select(Organisation).where(Organisation.id.in_(data.department_ids))
            )
        }
        missing = [i for i in data.department_ids if i not in found]
        if missing:
            raise NotFound("部门不存在", fields={"department_ids": ",".join(missing)})
        departments = [found[i] for i in dict.fromkeys(data.department_ids)]
    elif data.level is not None:
        query = select(Organisation).where(
            Organisation.kind == "department",
            Organisation.level == data.level.value,
            Organisation.path.startswith(region_path),
        )
        departments = [
            org
            for org in ctx.session.scalars(query.order_by(Organisation.division_code))
            if not data.department_name or org.name.endswith(data.department_name)
        ]
        if not departments:
            raise InvalidInput("该层级下没有符合条件的部门", fields={"level": data.level.value})
    else:
        raise InvalidInput("请指定回流的部门或区划层级", fields={"department_ids": "必填"})
    outside = [
        org.name
        for org in departments
        if org.kind != "department"
        or org.id == holder.id
        or not org.path.startswith(region_path)
        or org.division_code == holder.division_code
    ]
    if outside:
        raise InvalidInput(
            f"只能回流给本地区下级的部门：{'、'.join(outside)}",
            code="share_return_not_local",
            fields={"department_ids": "、".join(outside)},
        )
    return departments


@actions.register(
    "share_return",
    ShareReturn,
    example={
        "entry_id": "<catalog entry id>",
        "level": "prefecture",
        "department_name": "市场监督管理局",
        "division_column": "division_code",
        "ends_on": "2027-12-31",
    },
    summary="Data return (数据回流): grant an entry to local departments, one grant each, "
    "limited to the rows of that department's own division.",
)
def share_return(ctx: Context, data: ShareReturn) -> ReturnOut:
    ctx.authorize_somewhere("sharing:return")
    entry = ctx.session.get(CatalogEntry, data.entry_id)
    if entry is None:
        raise NotFound("目录不存在", fields={"entry_id": data.entry_id})
    holder = ctx.session.get(Organisation, entry.organisation_id)
    assert holder is not None  # noqa: S101 (foreign key)
    ctx.authorize("sharing:return", holder.ref)
    version, items = published_items(ctx.session, entry)
    if version.share_type == ShareType.NONE.value:
        raise Conflict(
            "该目录为不予共享，不能回流", code="share_not_shareable", fields={"entry_id": entry.id}
        )
    departments = _local_departments(ctx, holder, data)
    held = set(
        ctx.session.scalars(
            select(Grant.grantee_org_id).where(
                Grant.entry_id == entry.id,
                Grant.origin == "return",
                Grant.status != "revoked",
                Grant.grantee_org_id.in_([d.id for d in departments]),
                Grant.ends_on >= today(),
            )
        )
    )
    if held:
        names = [d.name for d in departments if d.id in held]
        raise Conflict(
            f"这些部门已有该目录的回流授权：{'、'.join(names)}",
            code="share_return_exists",
            fields={"department_ids": ",".join(sorted(held))},
        )
    fields = field_terms(items, [item.name for item in items], data.fields)
    methods = check_methods(version, data.methods)
    starts_on = data.starts_on or today()
    check_period(starts_on, data.ends_on)
    ceiling = data_resource(ctx.session, entry.id).effective_grade
    grants = [
        issue_grant(
            ctx,
            origin="return",
            entry=entry,
            grantee_id=department.id,
            ceiling=ceiling,
            terms=GrantTerms(
                fields=fields,
                division_column=data.division_column,
                division_codes=[department.division_code],
                application_ids=[],
                methods=methods,
                starts_on=starts_on,
                ends_on=data.ends_on,
                quotas=data.quotas,
            ),
        )
        for department in departments
    ]
    record_event(
        ctx,
        DataReturned(
            subject_id=entry.id,
            entry_id=entry.id,
            holder_id=holder.id,
            grant_ids=[g.id for g in grants],
            grantee_ids=[d.id for d in departments],
        ),
    )
    day = today()
    sources = callable_sources(ctx.session, [entry.id])[entry.id]
    return ReturnOut(
        entry_id=entry.id, grants=[grant_out(ctx.session, g, day, sources) for g in grants]
    )
