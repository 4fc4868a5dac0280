"""Audit actions: search and export the trail, list and review alerts (X6)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlalchemy import select

from govdata.actions import ActionSet, Context
from govdata.audit.events import AlertReviewed
from govdata.audit.guard import rules_of
from govdata.audit.models import AuditAlert
from govdata.audit.schemas import (
    AlertOut,
    AlertQuery,
    AlertReview,
    AuditCsv,
    AuditExportQuery,
    AuditPage,
    AuditQuery,
)
from govdata.audit.trail import Scope, search
from govdata.db import utcnow
from govdata.errors import Conflict, NotFound
from govdata.events import record_event
from govdata.orgs.services import BEIJING

actions = ActionSet("audit")

CSV_COLUMNS = (
    ("occurred_at", "时间（北京时间）"),
    ("actor_kind", "主体类型"),
    ("actor_name", "账号或应用"),
    ("actor_id", "主体编号"),
    ("name", "操作"),
    ("subject_id", "对象"),
    ("version", "数据版本"),
    ("rows", "行数"),
    ("client_address", "来源地址"),
    ("reason", "依据"),
    ("request_id", "请求编号"),
    ("data", "详情"),
)


@actions.register(
    "audit_search",
    AuditQuery,
    example={"action": "aggregation:data:read", "actor": "zhangsan"},
    summary="Search the audit trail: who, what, when, from where, why, which version; "
    "events concerning the auditor's organisations.",
    read_only=True,
)
def audit_search(ctx: Context, data: AuditQuery) -> AuditPage:
    ctx.authorize_somewhere("audit:read")
    rows, more = search(ctx, data, "audit:read")
    return AuditPage(rows=rows, offset=data.offset, limit=data.limit, more=more)


@actions.register(
    "audit_export",
    AuditExportQuery,
    example={"action": "aggregation:data:read"},
    summary="The audit search as CSV (UTF-8 with BOM, opens in Excel).",
    read_only=True,
)
def audit_export(ctx: Context, data: AuditExportQuery) -> AuditCsv:
    ctx.authorize_somewhere("audit:read")
    rows, _more = search(ctx, data, "audit:read")
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([label for _key, label in CSV_COLUMNS])
    for row in rows:
        values = row.model_dump(mode="json")
        values["occurred_at"] = row.occurred_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        values["data"] = json.dumps(row.data, ensure_ascii=False, sort_keys=True)
        writer.writerow(["" if values[key] is None else values[key] for key, _label in CSV_COLUMNS])
    stamp = utcnow().astimezone(BEIJING).strftime("%Y%m%d-%H%M%S")
    return AuditCsv(filename=f"audit-{stamp}.csv", content=buffer.getvalue(), rows=len(rows))


def alert_out(ctx: Context, alert: AuditAlert) -> AlertOut:
    return AlertOut(
        id=alert.id,
        number=alert.number,
        rule=alert.rule,
        rule_label=rules_of(ctx).label(alert.rule),
        severity=alert.severity,
        blocked=alert.blocked,
        actor_kind=alert.actor_kind,
        actor_id=alert.actor_id,
        actor_name=alert.actor_name,
        holder_id=alert.holder_id,
        action=alert.action,
        details=dict(alert.details),
        request_id=alert.request_id,
        client_address=alert.client_address,
        status=alert.status,
        reviewer=alert.reviewer,
        review_note=alert.review_note,
        reviewed_at=alert.reviewed_at,
        release_until=alert.release_until,
        created_at=alert.created_at,
    )


def _alert_visible(scope: Scope, alert: AuditAlert, permission: str) -> bool:
    organisations = {
        org for org in (alert.holder_id, alert.actor_organisation_id) if org in scope.paths
    }
    if not organisations:
        return scope.covers(None)
    return any(scope.covers(org) for org in organisations)


@actions.register(
    "audit_alert_list",
    AlertQuery,
    example={"status": "open"},
    summary="Alerts of the behaviour rules concerning the auditor's organisations, newest first.",
    read_only=True,
)
def audit_alert_list(ctx: Context, data: AlertQuery) -> list[AlertOut]:
    ctx.authorize_somewhere("audit:read")
    scope = Scope(ctx, "audit:read")
    query = select(AuditAlert).order_by(AuditAlert.created_at.desc(), AuditAlert.id)
    if data.status:
        query = query.where(AuditAlert.status == data.status)
    visible = [
        alert
        for alert in ctx.session.scalars(query.limit(10_000))
        if _alert_visible(scope, alert, "audit:read")
    ]
    return [alert_out(ctx, alert) for alert in visible[data.offset : data.offset + data.limit]]


@actions.register(
    "audit_alert_review",
    AlertReview,
    example={"id": "<alert id>", "decision": "release", "note": "经核实为正常业务需要"},
    summary="Review an open alert: release (the actor may repeat the blocked operation for "
    "a limited time) or confirm; recorded as an event.",
)
def audit_alert_review(ctx: Context, data: AlertReview) -> AlertOut:
    ctx.authorize_somewhere("audit:review")
    alert = ctx.session.scalar(
        select(AuditAlert)
        .where((AuditAlert.id == data.id) | (AuditAlert.number == data.id))
        .with_for_update()
    )
    scope = Scope(ctx, "audit:review")
    if alert is None or not _alert_visible(scope, alert, "audit:review"):
        raise NotFound("告警不存在", code="alert_not_found")
    if alert.status != "open":
        raise Conflict("该告警已复核", code="alert_already_reviewed")
    if alert.actor_kind == ctx.actor.kind and alert.actor_id == ctx.actor.id:
        raise Conflict("不能复核本人触发的告警", code="alert_own_review")
    now = utcnow()
    alert.status = "released" if data.decision == "release" else "confirmed"
    alert.reviewer = ctx.actor.name
    alert.review_note = data.note
    alert.reviewed_at = now
    if data.decision == "release":
        alert.release_until = now + timedelta(minutes=rules_of(ctx).release_minutes)
    ctx.session.flush()
    record_event(
        ctx,
        AlertReviewed(
            subject_id=alert.id,
            number=alert.number,
            rule=alert.rule,
            decision=data.decision,
            note=data.note,
            actor_kind=alert.actor_kind,
            actor_id=alert.actor_id,
            actor_name=alert.actor_name,
            holder_id=alert.holder_id,
            release_until=alert.release_until,
            client_address=ctx.client_address,
        ),
    )
    return alert_out(ctx, alert)
