"""Applications for shared data (S1): apply, review, escalate, decide; refusal grounds.

A consumer department's officer applies for a published catalog entry, stating
the purpose, the legal basis, the information items, the rows (division
codes), the period, the delivery methods and the applications that will call.
无条件共享 entries are granted at once, on the terms applied for; 有条件共享
entries wait for the holder's review, due within ``share_review_working_days``
working days; 不予共享 entries cannot be applied for. A refusal cites a ground
from the list the authority maintains (非因法定事由不得拒绝). An overdue review
may be escalated by the authority over the holder, which then decides it.
Every step is an event in the same transaction, and every event is ledgered.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from govdata.accounts.models import Application
from govdata.actions import ActionSet, Context
from govdata.aggregation.store import org_ref
from govdata.catalog.grading import data_resource
from govdata.catalog.models import CatalogEntry
from govdata.catalog.vocab import ShareType
from govdata.db import new_id, utcnow
from govdata.errors import Conflict, Forbidden, InvalidInput, NotFound
from govdata.events import record_event
from govdata.sharing.events import (
    ApplicationDecided,
    ApplicationEscalated,
    ApplicationSubmitted,
    GroundsChanged,
)
from govdata.sharing.models import RefusalGround, ShareApplication
from govdata.sharing.schemas import (
    ApplicationListQuery,
    ApplicationOut,
    ApplicationPage,
    ApplicationRef,
    GroundOut,
    GroundsQuery,
    GroundsSet,
    ShareApply,
    ShareApprove,
    ShareEscalate,
    ShareReview,
)
from govdata.sharing.store import (
    GrantTerms,
    entry_name,
    issue_grant,
    number,
    org_name,
    party_may_read,
)
from govdata.sharing.terms import (
    check_fields,
    check_methods,
    check_period,
    field_terms,
    published_items,
    today,
    within,
)

actions = ActionSet("sharing")

STATUS_LABELS = {
    "pending": "待审核",
    "escalated": "已督办",
    "approved": "已同意",
    "refused": "已拒绝",
}
DECIDED_AS_LABELS = {
    "provider": "提供部门",
    "authority": "主管部门",
    "policy": "无条件共享自动授权",
}
AWAITING_REVIEW = ("pending",)


def _overdue(app: ShareApplication, day: date) -> bool:
    return app.status in AWAITING_REVIEW and app.due_on is not None and day > app.due_on


def _get(ctx: Context, app_id: str, *, for_update: bool = False) -> ShareApplication:
    query = select(ShareApplication).where(
        (ShareApplication.id == app_id) | (ShareApplication.number == app_id)
    )
    if for_update:
        query = query.with_for_update()
    app = ctx.session.scalar(query)
    if app is None:
        raise NotFound("共享申请不存在", code="share_application_not_found")
    return app


def _may_read(ctx: Context, app: ShareApplication) -> bool:
    return party_may_read(ctx, app.consumer_org_id, app.holder_org_id)


def _ground_label(ctx: Context, code: str | None) -> str | None:
    if code is None:
        return None
    ground = ctx.session.get(RefusalGround, code)
    return ground.label if ground else code


def _out(ctx: Context, app: ShareApplication, day: date | None = None) -> ApplicationOut:
    session = ctx.session
    return ApplicationOut(
        id=app.id,
        number=app.number,
        entry_id=app.entry_id,
        entry_name=entry_name(session, app.entry_id),
        entry_version=app.entry_version,
        share_type=app.share_type,
        holder_org_id=app.holder_org_id,
        holder_name=org_name(session, app.holder_org_id),
        consumer_org_id=app.consumer_org_id,
        consumer_name=org_name(session, app.consumer_org_id),
        applicant=app.applicant,
        purpose=app.purpose,
        legal_basis=app.legal_basis,
        fields=list(app.fields),
        division_column=app.division_column,
        division_codes=list(app.division_codes),
        starts_on=app.starts_on,
        ends_on=app.ends_on,
        methods=list(app.methods),
        application_ids=list(app.application_ids),
        status=app.status,
        due_on=app.due_on,
        overdue=_overdue(app, day or today()),
        escalated_at=app.escalated_at,
        decided_at=app.decided_at,
        decided_by=app.decided_by,
        decided_as=app.decided_as,
        refusal_ground=app.refusal_ground,
        refusal_label=_ground_label(ctx, app.refusal_ground),
        decision_note=app.decision_note,
        grant_id=app.grant_id,
        created_at=app.created_at,
    )


def _facts(app: ShareApplication) -> dict[str, str]:
    return {
        "subject_id": app.id,
        "entry_id": app.entry_id,
        "holder_id": app.holder_org_id,
        "consumer_id": app.consumer_org_id,
        "status": app.status,
    }


def _check_applications(ctx: Context, consumer_id: str, app_ids: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(app_ids))
    found = {
        a.id: a for a in ctx.session.scalars(select(Application).where(Application.id.in_(wanted)))
    }
    bad = [
        app_id
        for app_id in wanted
        if app_id not in found
        or found[app_id].organisation_id != consumer_id
        or not found[app_id].is_active
    ]
    if bad:
        raise InvalidInput(
            "只能指定本部门已登记且启用的应用",
            code="share_application_invalid",
            fields={"application_ids": ",".join(bad)},
        )
    return wanted


def _entry(ctx: Context, entry_id: str) -> CatalogEntry:
    entry = ctx.session.get(CatalogEntry, entry_id)
    if entry is None:
        raise NotFound("目录不存在", fields={"entry_id": entry_id})
    return entry


@actions.register(
    "share_apply",
    ShareApply,
    example={
        "entry_id": "<catalog entry id>",
        "purpose": "办理社会保险待遇资格认证",
        "legal_basis": "《社会保险法》第七十四条",
        "fields": ["公民身份号码", "姓名"],
        "division_column": "division_code",
        "division_codes": ["150100"],
        "ends_on": "2027-12-31",
        "methods": ["query", "verify"],
        "application_ids": [],
    },
    summary="Apply for a catalog entry's data: purpose, legal basis, items, rows, period, "
    "methods, applications. 无条件共享 is granted at once; 有条件共享 goes to the holder.",
)
def share_apply(ctx: Context, data: ShareApply) -> ApplicationOut:
    ctx.authorize_somewhere("sharing:apply")
    consumer_id = ctx.actor.organisation_id
    if consumer_id is None:
        raise Forbidden("只有部门的人员可以申请共享", code="share_needs_department")
    ctx.authorize("sharing:apply", org_ref(ctx.session, consumer_id))
    entry = _entry(ctx, data.entry_id)
    version, items = published_items(ctx.session, entry)
    if version.share_type == ShareType.NONE.value:
        raise Conflict(
            "该目录为不予共享，不能申请", code="share_not_shareable", fields={"entry_id": entry.id}
        )
    if entry.organisation_id == consumer_id:
        raise Conflict("本部门的数据无需申请共享", code="share_own_entry")
    fields = check_fields(items, data.fields)
    methods = check_methods(version, data.methods)
    starts_on = data.starts_on or today()
    check_period(starts_on, data.ends_on)
    if data.division_codes and not data.division_column:
        raise InvalidInput(
            "按行政区划限定范围时须指明区划代码列", fields={"division_column": "必填"}
        )
    app_ids = _check_applications(ctx, consumer_id, data.application_ids)
    day = today()
    conditional = version.share_type == ShareType.CONDITIONAL.value
    app_id = new_id()
    app = ShareApplication(
        id=app_id,
        number=number("GX", app_id),
        entry_id=entry.id,
        entry_version=version.number,
        share_type=version.share_type,
        holder_org_id=entry.organisation_id,
        consumer_org_id=consumer_id,
        applicant=ctx.actor.name,
        purpose=data.purpose,
        legal_basis=data.legal_basis,
        fields=fields,
        division_column=data.division_column,
        division_codes=list(dict.fromkeys(data.division_codes)),
        starts_on=starts_on,
        ends_on=data.ends_on,
        methods=methods,
        application_ids=app_ids,
        status="pending",
        due_on=(
            ctx.services.calendar.add_working_days(day, ctx.settings.share_review_working_days)
            if conditional
            else None
        ),
        escalation_note="",
        decision_note="",
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    ctx.session.add(app)
    ctx.session.flush()
    record_event(
        ctx,
        ApplicationSubmitted(
            **_facts(app),
            share_type=app.share_type,
            fields=fields,
            purpose=app.purpose,
            legal_basis=app.legal_basis,
            due_on=str(app.due_on) if app.due_on else None,
        ),
    )
    if not conditional:
        _approve(
            ctx, app, entry, ShareApprove(), decided_as="policy", note="无条件共享，按申请授权"
        )
    return _out(ctx, app, day)


def _approve(
    ctx: Context,
    app: ShareApplication,
    entry: CatalogEntry,
    terms: ShareApprove,
    *,
    decided_as: str,
    note: str,
) -> None:
    _version, items = published_items(ctx.session, entry)
    names = {item.name for item in items}
    applied = [name for name in app.fields if name in names]
    fields = field_terms(items, applied, terms.fields)
    codes = list(app.division_codes)
    if terms.division_codes is not None:
        wider = within(terms.division_codes, app.division_codes)
        if wider:
            raise InvalidInput(
                f"授权的区划超出申请范围：{'、'.join(wider)}",
                code="share_scope_wider",
                fields={"division_codes": ",".join(wider)},
            )
        codes = list(dict.fromkeys(terms.division_codes))
    methods = list(app.methods)
    if terms.methods is not None:
        extra = [m for m in terms.methods if m not in app.methods]
        if extra or not terms.methods:
            raise InvalidInput(
                "授权的共享方式须在申请范围内且至少一种",
                code="share_methods_wider",
                fields={"methods": ",".join(extra)},
            )
        methods = list(dict.fromkeys(terms.methods))
    ends_on = app.ends_on
    if terms.ends_on is not None:
        if terms.ends_on > app.ends_on:
            raise InvalidInput(
                "授权期限不能长于申请期限", code="share_period_wider", fields={"ends_on": "过长"}
            )
        check_period(app.starts_on, terms.ends_on)
        ends_on = terms.ends_on
    grant = issue_grant(
        ctx,
        origin="application",
        entry=entry,
        grantee_id=app.consumer_org_id,
        ceiling=data_resource(ctx.session, entry.id).effective_grade,
        application_id=app.id,
        terms=GrantTerms(
            fields=fields,
            division_column=app.division_column,
            division_codes=codes,
            application_ids=list(app.application_ids),
            methods=methods,
            starts_on=app.starts_on,
            ends_on=ends_on,
            quotas=terms.quotas,
        ),
    )
    _decide(ctx, app, "approved", decided_as=decided_as, note=note, grant_id=grant.id)


def _decide(
    ctx: Context,
    app: ShareApplication,
    status: str,
    *,
    decided_as: str,
    note: str,
    ground: str | None = None,
    grant_id: str | None = None,
) -> None:
    day = today()
    on_time = app.due_on is None or day <= app.due_on
    app.status = status
    app.decided_at = utcnow()
    app.decided_by = ctx.actor.name
    app.decided_as = decided_as
    app.refusal_ground = ground
    app.decision_note = note
    app.grant_id = grant_id
    app.updated_at = utcnow()
    record_event(
        ctx,
        ApplicationDecided(
            **_facts(app),
            decision=status,
            decided_as=decided_as,
            refusal_ground=ground,
            note=note,
            on_time=on_time,
            grant_id=grant_id,
        ),
    )


def _refuse(ctx: Context, app: ShareApplication, data: ShareReview, decided_as: str) -> None:
    if not data.ground:
        raise InvalidInput(
            "拒绝共享须引用法定事由（非因法定事由不得拒绝）",
            code="share_ground_required",
            fields={"ground": "必填"},
        )
    ground = ctx.session.get(RefusalGround, data.ground)
    if ground is None or not ground.active:
        raise InvalidInput(
            "所引用的事由不在法定事由清单中",
            code="share_ground_unknown",
            fields={"ground": data.ground},
        )
    _decide(ctx, app, "refused", decided_as=decided_as, note=data.note, ground=ground.code)


def _require_status(app: ShareApplication, *allowed: str) -> None:
    if app.status not in allowed:
        wanted = "、".join(STATUS_LABELS[s] for s in allowed)
        raise Conflict(
            f"申请当前为“{STATUS_LABELS[app.status]}”，此操作只适用于“{wanted}”的申请",
            code="share_wrong_status",
            fields={"status": app.status},
        )


def _settle(ctx: Context, app: ShareApplication, data: ShareReview, decided_as: str) -> None:
    if data.decision == "refuse":
        _refuse(ctx, app, data, decided_as)
        return
    if data.ground:
        raise InvalidInput("同意共享时不应引用拒绝事由", fields={"ground": "仅用于拒绝"})
    terms = ShareApprove.model_validate(data.model_dump(include=set(ShareApprove.model_fields)))
    _approve(ctx, app, _entry(ctx, app.entry_id), terms, decided_as=decided_as, note=data.note)


REVIEW_EXAMPLE = {
    "id": "<application id>",
    "decision": "approve",
    "fields": [{"name": "公民身份号码", "strategy": "hash"}, {"name": "姓名"}],
    "quotas": {"calls_per_day": 5000, "rows_per_call": 100, "rows_per_day": 50000},
    "note": "同意，身份证号以密钥散列提供",
}


@actions.register(
    "share_review",
    ShareReview,
    example=REVIEW_EXAMPLE,
    summary="The holder approves (fields with their masking, rows, methods, period, quotas) "
    "or refuses citing a listed legal ground.",
)
def share_review(ctx: Context, data: ShareReview) -> ApplicationOut:
    ctx.authorize_somewhere("sharing:review")
    app = _get(ctx, data.id, for_update=True)
    ctx.authorize("sharing:review", org_ref(ctx.session, app.holder_org_id))
    _require_status(app, "pending")
    _settle(ctx, app, data, "provider")
    return _out(ctx, app)


@actions.register(
    "share_escalate",
    ShareEscalate,
    example={"id": "<application id>", "note": "逾期未审核，提请裁决"},
    summary="The authority over the holder takes up a review that is past its due day.",
)
def share_escalate(ctx: Context, data: ShareEscalate) -> ApplicationOut:
    ctx.authorize_somewhere("sharing:escalate")
    app = _get(ctx, data.id, for_update=True)
    ctx.authorize("sharing:escalate", org_ref(ctx.session, app.holder_org_id))
    _require_status(app, "pending")
    day = today()
    if not _overdue(app, day):
        raise Conflict(
            "只有逾期未审核的申请可以督办",
            code="share_not_overdue",
            fields={"due_on": str(app.due_on)},
        )
    app.status = "escalated"
    app.escalated_at = utcnow()
    app.escalation_note = data.note
    app.updated_at = utcnow()
    record_event(ctx, ApplicationEscalated(**_facts(app), due_on=str(app.due_on), note=data.note))
    return _out(ctx, app, day)


@actions.register(
    "share_decide",
    ShareReview,
    example=REVIEW_EXAMPLE | {"decision": "refuse", "ground": "purpose_unrelated", "fields": None},
    summary="The authority decides an escalated application: approve on terms, or refuse "
    "citing a listed legal ground.",
)
def share_decide(ctx: Context, data: ShareReview) -> ApplicationOut:
    ctx.authorize_somewhere("sharing:escalate")
    app = _get(ctx, data.id, for_update=True)
    ctx.authorize("sharing:escalate", org_ref(ctx.session, app.holder_org_id))
    _require_status(app, "escalated")
    _settle(ctx, app, data, "authority")
    return _out(ctx, app)


@actions.register(
    "share_application_get",
    ApplicationRef,
    example={"id": "<application id>"},
    summary="One application, to its two parties, their authorities and auditors.",
    read_only=True,
)
def share_application_get(ctx: Context, data: ApplicationRef) -> ApplicationOut:
    ctx.authorize_somewhere("sharing:read")
    app = _get(ctx, data.id)
    if not _may_read(ctx, app):
        ctx.authorize("sharing:read", org_ref(ctx.session, app.holder_org_id))
    return _out(ctx, app)


@actions.register(
    "share_application_list",
    ApplicationListQuery,
    example={"status": "pending", "overdue": True},
    summary="Applications the caller may see, newest first; overdue ones are reviews past "
    "their due day (the authority's escalation list).",
    read_only=True,
)
def share_application_list(ctx: Context, data: ApplicationListQuery) -> ApplicationPage:
    ctx.authorize_somewhere("sharing:read")
    day = today()
    query = select(ShareApplication).order_by(
        ShareApplication.created_at.desc(), ShareApplication.id
    )
    if data.status:
        query = query.where(ShareApplication.status == data.status)
    if data.entry_id:
        query = query.where(ShareApplication.entry_id == data.entry_id)
    if data.overdue is not None:
        late = ShareApplication.status.in_(AWAITING_REVIEW) & (ShareApplication.due_on < day)
        query = query.where(late if data.overdue else ~late)
    visible = []
    for app in ctx.session.scalars(query):
        if data.role == "consumer":
            seen = ctx.can("sharing:read", org_ref(ctx.session, app.consumer_org_id))
        elif data.role == "holder":
            seen = ctx.can("sharing:read", org_ref(ctx.session, app.holder_org_id))
        else:
            seen = _may_read(ctx, app)
        if seen:
            visible.append(app)
    page = visible[data.offset : data.offset + data.limit]
    return ApplicationPage(applications=[_out(ctx, a, day) for a in page], total=len(visible))


@actions.register(
    "share_grounds_list",
    GroundsQuery,
    example={"include_retired": False},
    summary="The legal grounds a refusal may cite.",
    read_only=True,
)
def share_grounds_list(ctx: Context, data: GroundsQuery) -> list[GroundOut]:
    ctx.authorize("sharing:grounds:read")
    return _grounds(ctx, include_retired=data.include_retired)


def _grounds(ctx: Context, *, include_retired: bool) -> list[GroundOut]:
    query = select(RefusalGround).order_by(RefusalGround.position, RefusalGround.code)
    if not include_retired:
        query = query.where(RefusalGround.active.is_(True))
    return [
        GroundOut(code=g.code, label=g.label, basis=g.basis, active=g.active)
        for g in ctx.session.scalars(query)
    ]


@actions.register(
    "share_grounds_set",
    GroundsSet,
    example={
        "grounds": [
            {"code": "state_secret", "label": "涉及国家秘密", "basis": "《保守国家秘密法》"}
        ]
    },
    summary="The authority maintains the list of legal grounds; grounds left out are retired, "
    "never deleted.",
)
def share_grounds_set(ctx: Context, data: GroundsSet) -> list[GroundOut]:
    ctx.authorize("sharing:grounds:manage")
    codes = [g.code for g in data.grounds]
    if len(set(codes)) != len(codes):
        raise InvalidInput("事由代码不能重复", fields={"grounds": "重复"})
    stored = {g.code: g for g in ctx.session.scalars(select(RefusalGround))}
    for position, item in enumerate(data.grounds):
        ground = stored.get(item.code)
        if ground is None:
            ground = RefusalGround(code=item.code)
            ctx.session.add(ground)
        ground.label = item.label
        ground.basis = item.basis
        ground.position = position
        ground.active = True
        ground.updated_by = ctx.actor.name
        ground.updated_at = utcnow()
    retired = sorted(code for code, g in stored.items() if code not in codes and g.active)
    for code in retired:
        stored[code].active = False
        stored[code].updated_by = ctx.actor.name
        stored[code].updated_at = utcnow()
    ctx.session.flush()
    record_event(ctx, GroundsChanged(subject_id="sharing-grounds", active=codes, retired=retired))
    return _grounds(ctx, include_retired=False)
