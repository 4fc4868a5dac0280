"""Objections to data (G6): file, answer, accept or dispute, escalate, resolve.

A consumer that can read a record files an objection naming the record (its
key), the field and the reason, with evidence; the holder's provider officers
must answer within ``objection_answer_working_days`` working days (statutory
calendar), either rejecting it with reasons or naming the corrected version of
the data, in which the field of that record must have changed. The reporter
accepts or disputes the answer; the authority over the holder escalates a
disputed or overdue objection and resolves it, naming who was responsible.
Every step is an event in the same transaction, and every event is ledgered.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from govdata.access.enforce import authorize_read
from govdata.access.policy import ReadKind
from govdata.actions import ActionSet, Context
from govdata.aggregation.grading import source_resource
from govdata.aggregation.models import Source
from govdata.aggregation.store import declared_columns, get_source, org_ref
from govdata.audit.history import beijing_day
from govdata.db import new_id, utcnow
from govdata.errors import Conflict, Forbidden, InvalidInput, NotFound
from govdata.events import record_event
from govdata.lake.protection import read_decrypted
from govdata.lake.tables import LakeTable
from govdata.objections.events import (
    ObjectionAccepted,
    ObjectionAnswered,
    ObjectionDisputed,
    ObjectionEscalated,
    ObjectionFiled,
    ObjectionResolved,
)
from govdata.objections.keys import open_key, seal_key
from govdata.objections.models import Objection, ObjectionStep
from govdata.objections.schemas import (
    ObjectionAnswer,
    ObjectionFile,
    ObjectionListQuery,
    ObjectionNote,
    ObjectionOut,
    ObjectionPage,
    ObjectionRef,
    ObjectionResolve,
    StepOut,
)

actions = ActionSet("objections")

STATUS_LABELS = {
    "open": "待答复",
    "answered": "已答复",
    "accepted": "已接受",
    "disputed": "有异议",
    "escalated": "已督办",
    "resolved": "已裁决",
}
# Statuses in which the holder still owes an answer (and can be late).
AWAITING_ANSWER = ("open",)


def _today() -> date:
    return beijing_day(utcnow())


def _overdue(objection: Objection, today: date) -> bool:
    return objection.status in AWAITING_ANSWER and today > objection.due_on


def _get(ctx: Context, objection_id: str, *, for_update: bool = False) -> Objection:
    query = select(Objection).where(
        (Objection.id == objection_id) | (Objection.number == objection_id)
    )
    if for_update:
        query = query.with_for_update()
    objection = ctx.session.scalar(query)
    if objection is None:
        raise NotFound("异议不存在", code="objection_not_found")
    return objection


def _may_read(ctx: Context, objection: Objection) -> bool:
    return any(
        ctx.can("objection:read", org_ref(ctx.session, org_id))
        for org_id in (objection.reporter_org_id, objection.holder_org_id)
    )


def _authorize_read(ctx: Context, objection: Objection) -> None:
    if not _may_read(ctx, objection):
        # Recorded as a refusal by ``authorize`` on the holder.
        ctx.authorize("objection:read", org_ref(ctx.session, objection.holder_org_id))


def _out(
    ctx: Context, objection: Objection, *, steps: bool = False, today: date | None = None
) -> ObjectionOut:
    source = ctx.session.get(Source, objection.source_id)
    history: list[StepOut] = []
    if steps:
        rows = ctx.session.scalars(
            select(ObjectionStep)
            .where(ObjectionStep.objection_id == objection.id)
            .order_by(ObjectionStep.at, ObjectionStep.id)
        )
        history = [StepOut(step=s.step, actor=s.actor, note=s.note, at=s.at) for s in rows]
    return ObjectionOut(
        id=objection.id,
        number=objection.number,
        source_id=objection.source_id,
        source_name=source.name if source else "",
        version=objection.version,
        record_key=open_key(ctx, objection.record_key),
        field=objection.field,
        reason=objection.reason,
        evidence=objection.evidence,
        reporter=objection.reporter,
        reporter_org_id=objection.reporter_org_id,
        holder_org_id=objection.holder_org_id,
        status=objection.status,
        due_on=objection.due_on,
        overdue=_overdue(objection, today or _today()),
        answer_kind=objection.answer_kind,
        answer=objection.answer,
        answered_on=objection.answered_on,
        fix_version=objection.fix_version,
        responsible=objection.responsible,
        resolution=objection.resolution,
        created_at=objection.created_at,
        steps=history,
    )


def _step(ctx: Context, objection: Objection, step: str, note: str = "") -> None:
    objection.updated_at = utcnow()
    ctx.session.add(
        ObjectionStep(
            id=new_id(),
            objection_id=objection.id,
            step=step,
            actor=ctx.actor.name,
            actor_org_id=ctx.actor.organisation_id,
            note=note,
            at=utcnow(),
        )
    )


def _facts(objection: Objection) -> dict[str, Any]:
    """The fields every step event carries."""
    return {
        "subject_id": objection.id,
        "source_id": objection.source_id,
        "version": objection.version,
        "holder_id": objection.holder_org_id,
        "reporter_org_id": objection.reporter_org_id,
        "status": objection.status,
    }


def _require_status(objection: Objection, *allowed: str) -> None:
    if objection.status not in allowed:
        wanted = "、".join(STATUS_LABELS[s] for s in allowed)
        raise Conflict(
            f"异议当前为“{STATUS_LABELS[objection.status]}”，此操作只适用于“{wanted}”的异议",
            code="objection_wrong_status",
            fields={"status": objection.status},
        )


def _record(ctx: Context, source: Source, version: int, key: dict[str, str]) -> dict[str, Any]:
    """The one row with this key in this version (its values, decrypted), or an error."""
    lake = LakeTable(ctx.services.lake, source.table_name)
    if not lake.exists():
        raise NotFound("该数据源尚未归集入库", code="lake_table_not_found")
    rows, total = read_decrypted(
        ctx.session, ctx.services.keystore, lake, version, where=key, limit=2
    )
    if total != 1:
        raise InvalidInput(
            "在该版本中找不到这条记录" if total == 0 else "记录标识对应多行，请给出完整的主键",
            code="objection_record_not_found" if total == 0 else "objection_key_ambiguous",
            fields={"record_key": "、".join(key)},
        )
    row: dict[str, Any] = rows.to_pylist()[0]
    return row


def _number(objection_id: str) -> str:
    return f"YY{_today():%Y%m%d}-{objection_id[:8].upper()}"


@actions.register(
    "objection_file",
    ObjectionFile,
    example={
        "source_id": "<source id>",
        "record_key": {"id_number": "150102199003071237"},
        "field": "address",
        "reason": "住址已变更，登记的仍是旧地址",
        "evidence": "2025年3月迁入证明",
    },
    summary="Report problem data: a record (by key), a field, the reason and evidence. "
    "The holder must answer within the configured working days.",
)
def objection_file(ctx: Context, data: ObjectionFile) -> ObjectionOut:
    ctx.authorize_somewhere("objection:file")
    source = get_source(ctx, data.source_id)
    # Objecting to a record means having been allowed to read it.
    authorize_read(
        ctx, "aggregation:data:read", source_resource(ctx.session, source), ReadKind.VALUES
    )
    reporter_org = ctx.actor.organisation_id
    if reporter_org is None:
        raise Forbidden("只有部门的人员或应用可以提出异议", code="objection_needs_department")
    ctx.authorize("objection:file", org_ref(ctx.session, reporter_org))
    names = {column.name for column in declared_columns(source)}
    unknown = [name for name in (*data.record_key, data.field) if name not in names]
    if unknown:
        raise InvalidInput(
            f"数据源没有列“{'、'.join(unknown)}”", fields={"columns": ",".join(unknown)}
        )
    if source.key_columns and set(data.record_key) != set(source.key_columns):
        raise InvalidInput(
            f"请用数据源的主键（{'、'.join(source.key_columns)}）标识记录",
            code="objection_key_columns",
            fields={"record_key": ",".join(source.key_columns)},
        )
    lake = LakeTable(ctx.services.lake, source.table_name)
    version = data.version if data.version is not None else lake.version()
    if version is None:
        raise NotFound("该数据源尚未归集入库", code="lake_table_not_found")
    _record(ctx, source, version, dict(data.record_key))
    today = _today()
    objection_id = new_id()
    objection = Objection(
        id=objection_id,
        number=_number(objection_id),
        source_id=source.id,
        version=version,
        record_key=seal_key(ctx, data.record_key),
        field=data.field,
        reason=data.reason,
        evidence=data.evidence,
        reporter_org_id=reporter_org,
        reporter=ctx.actor.name,
        holder_org_id=source.organisation_id,
        status="open",
        due_on=ctx.services.calendar.add_working_days(
            today, ctx.settings.objection_answer_working_days
        ),
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    ctx.session.add(objection)
    ctx.session.flush()
    _step(ctx, objection, "filed", data.reason)
    record_event(
        ctx, ObjectionFiled(**_facts(objection), field=data.field, due_on=str(objection.due_on))
    )
    return _out(ctx, objection, steps=True, today=today)


@actions.register(
    "objection_answer",
    ObjectionAnswer,
    example={"id": "<objection id>", "outcome": "corrected", "reply": "已更正", "fix_version": 3},
    summary="The holder answers: rejected with reasons, or corrected in a later version "
    "of the data in which the field of that record changed.",
)
def objection_answer(ctx: Context, data: ObjectionAnswer) -> ObjectionOut:
    ctx.authorize_somewhere("objection:answer")
    objection = _get(ctx, data.id, for_update=True)
    ctx.authorize("objection:answer", org_ref(ctx.session, objection.holder_org_id))
    _require_status(objection, "open", "escalated")
    if data.outcome == "corrected":
        _check_fix(ctx, objection, data.fix_version)
    elif data.fix_version is not None:
        raise InvalidInput("驳回的答复不应给出更正版本", fields={"fix_version": "仅用于已更正"})
    today = _today()
    objection.answer_kind = data.outcome
    objection.answer = data.reply
    objection.answered_on = today
    objection.fix_version = data.fix_version
    on_time = today <= objection.due_on
    objection.status = "answered"
    _step(ctx, objection, "answered", data.reply)
    record_event(
        ctx,
        ObjectionAnswered(
            **_facts(objection),
            answer_kind=data.outcome,
            fix_version=data.fix_version,
            on_time=on_time,
        ),
    )
    return _out(ctx, objection, steps=True, today=today)


def _check_fix(ctx: Context, objection: Objection, fix_version: int | None) -> None:
    """The corrected version exists, is later, and changed the field of that record."""
    if fix_version is None:
        raise InvalidInput("已更正的答复须给出更正后的数据版本", fields={"fix_version": "必填"})
    if fix_version <= objection.version:
        raise InvalidInput(
            f"更正版本须晚于异议针对的第 {objection.version} 版",
            code="objection_fix_not_later",
            fields={"fix_version": str(fix_version)},
        )
    source = ctx.session.get(Source, objection.source_id)
    assert source is not None  # noqa: S101 (foreign key)
    key = open_key(ctx, objection.record_key)
    before = _record(ctx, source, objection.version, key).get(objection.field)
    after = _record(ctx, source, fix_version, key).get(objection.field)
    if before == after:
        raise InvalidInput(
            f"第 {fix_version} 版中这条记录的“{objection.field}”没有变化，不能作为更正",
            code="objection_fix_unchanged",
            fields={"fix_version": str(fix_version)},
        )


def _reporter_step(ctx: Context, data: ObjectionNote, step: str) -> Objection:
    ctx.authorize_somewhere("objection:file")
    objection = _get(ctx, data.id, for_update=True)
    ctx.authorize("objection:file", org_ref(ctx.session, objection.reporter_org_id))
    _require_status(objection, "answered")
    _step(ctx, objection, step, data.note)
    return objection


@actions.register(
    "objection_accept",
    ObjectionNote,
    example={"id": "<objection id>", "note": "已核实更正"},
    summary="The reporting department accepts the holder's answer; the objection is closed.",
)
def objection_accept(ctx: Context, data: ObjectionNote) -> ObjectionOut:
    objection = _reporter_step(ctx, data, "accepted")
    objection.status = "accepted"
    record_event(ctx, ObjectionAccepted(**_facts(objection)))
    return _out(ctx, objection, steps=True)


@actions.register(
    "objection_dispute",
    ObjectionNote,
    example={"id": "<objection id>", "note": "更正后的地址仍不正确"},
    summary="The reporting department does not accept the answer; the authority may escalate.",
)
def objection_dispute(ctx: Context, data: ObjectionNote) -> ObjectionOut:
    if not data.note.strip():
        raise InvalidInput("请说明不接受答复的理由", fields={"note": "必填"})
    objection = _reporter_step(ctx, data, "disputed")
    objection.status = "disputed"
    record_event(ctx, ObjectionDisputed(**_facts(objection)))
    return _out(ctx, objection, steps=True)


@actions.register(
    "objection_escalate",
    ObjectionNote,
    example={"id": "<objection id>", "note": "逾期未答复，督办"},
    summary="The authority over the holder takes up a disputed or overdue objection.",
)
def objection_escalate(ctx: Context, data: ObjectionNote) -> ObjectionOut:
    ctx.authorize_somewhere("objection:escalate")
    objection = _get(ctx, data.id, for_update=True)
    ctx.authorize("objection:escalate", org_ref(ctx.session, objection.holder_org_id))
    today = _today()
    overdue = _overdue(objection, today)
    if objection.status != "disputed" and not overdue:
        raise Conflict(
            "只有有争议或逾期未答复的异议可以督办",
            code="objection_not_escalatable",
            fields={"status": objection.status, "due_on": str(objection.due_on)},
        )
    objection.status = "escalated"
    _step(ctx, objection, "escalated", data.note)
    record_event(ctx, ObjectionEscalated(**_facts(objection), overdue=overdue))
    return _out(ctx, objection, steps=True, today=today)


@actions.register(
    "objection_resolve",
    ObjectionResolve,
    example={"id": "<objection id>", "responsible": "provider", "decision": "责成限期更正"},
    summary="The authority decides an escalated objection and names who was responsible.",
)
def objection_resolve(ctx: Context, data: ObjectionResolve) -> ObjectionOut:
    ctx.authorize_somewhere("objection:escalate")
    objection = _get(ctx, data.id, for_update=True)
    ctx.authorize("objection:escalate", org_ref(ctx.session, objection.holder_org_id))
    _require_status(objection, "escalated")
    objection.status = "resolved"
    objection.responsible = data.responsible
    objection.resolution = data.decision
    _step(ctx, objection, "resolved", data.decision)
    record_event(ctx, ObjectionResolved(**_facts(objection), responsible=data.responsible))
    return _out(ctx, objection, steps=True)


@actions.register(
    "objection_get",
    ObjectionRef,
    example={"id": "<objection id>"},
    summary="An objection with its record key and every step, for the parties and "
    "their authorities.",
    read_only=True,
)
def objection_get(ctx: Context, data: ObjectionRef) -> ObjectionOut:
    ctx.authorize_somewhere("objection:read")
    objection = _get(ctx, data.id)
    _authorize_read(ctx, objection)
    return _out(ctx, objection, steps=True)


@actions.register(
    "objection_list",
    ObjectionListQuery,
    example={"status": "open", "overdue": True},
    summary="Objections the caller may see (as reporter, holder or authority), newest first; "
    "overdue ones are those still unanswered after their due day.",
    read_only=True,
)
def objection_list(ctx: Context, data: ObjectionListQuery) -> ObjectionPage:
    ctx.authorize_somewhere("objection:read")
    query = select(Objection).order_by(Objection.created_at.desc(), Objection.id)
    today = _today()
    if data.status:
        query = query.where(Objection.status == data.status)
    if data.source_id:
        query = query.where(Objection.source_id == data.source_id)
    if data.overdue is not None:
        late = Objection.status.in_(AWAITING_ANSWER) & (Objection.due_on < today)
        query = query.where(late if data.overdue else ~late)
    visible = [o for o in ctx.session.scalars(query) if _may_read(ctx, o)]
    page = visible[data.offset : data.offset + data.limit]
    return ObjectionPage(
        objections=[_out(ctx, objection, today=today) for objection in page],
        total=len(visible),
    )
