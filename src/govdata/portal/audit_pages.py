"""Portal pages of the audit (X6), for auditors: the trail with its filters and CSV
export (「审计日志」), and the alerts of the behaviour rules with their review
(「异常告警」). A blocked user sees the error page, which names the alert."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from govdata.audit.api import csv_response
from govdata.audit.rules import SEVERITY_LABELS
from govdata.audit.schemas import AlertOut, AuditCsv, AuditPage
from govdata.errors import InvalidInput
from govdata.portal.common import (
    current_caller,
    login_redirect,
    page_chrome,
    run_action,
    submit_form,
)
from govdata.portal.rendering import render

router = APIRouter(include_in_schema=False)

FILTERS = (
    ("actor", "账号或应用"),
    ("action", "操作（事件名称或前缀）"),
    ("start", "起始时间"),
    ("end", "结束时间"),
    ("client_address", "来源地址"),
    ("reason", "依据（关系、授权、拒绝代码、告警编号）"),
    ("source_id", "数据源或库编号"),
    ("version", "数据版本"),
    ("looked_up", "查询过的值（如身份证号）"),
)
STATUS_LABELS = {"open": "待复核", "released": "已放行", "confirmed": "已确认"}
PAGE_SIZE = 100


def filters_of(request: Request) -> dict[str, str]:
    names = {name for name, _label in FILTERS}
    return {k: v for k, v in request.query_params.items() if k in names and v.strip()}


@router.get("/audit")
async def audit_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    filters = filters_of(request)
    page: AuditPage | None = None
    problem: InvalidInput | None = None
    try:
        page = await run_action(request, caller, "audit_search", {**filters, "limit": PAGE_SIZE})
    except InvalidInput as error:
        problem = error
    return render(
        "portal/audit/search.html",
        {
            "page": page_chrome(request, caller, "审计日志", "audit"),
            "filters": FILTERS,
            "values": filters,
            "result": page,
            "problem": problem,
            "export_href": "/audit/events.csv?" + urlencode(filters),
        },
    )


@router.get("/audit/events.csv")
async def audit_csv(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    export: AuditCsv = await run_action(request, caller, "audit_export", filters_of(request))
    return csv_response(export)


@router.get("/audit/alerts")
async def alerts_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    status = request.query_params.get("status", "open")
    query: dict[str, Any] = {"status": status} if status in STATUS_LABELS else {}
    alerts: list[AlertOut] = await run_action(request, caller, "audit_alert_list", query)
    return render(
        "portal/audit/alerts.html",
        {
            "page": page_chrome(request, caller, "异常告警", "audit_alerts"),
            "alerts": alerts,
            "status": status,
            "status_labels": STATUS_LABELS,
            "severity_labels": SEVERITY_LABELS,
        },
    )


@router.post("/audit/alerts/{alert_id}/review")
async def review_submit(request: Request, alert_id: str) -> Response:
    return await submit_form(
        request,
        "audit_alert_review",
        lambda form: {
            "id": alert_id,
            "decision": form.get("decision", ""),
            "note": form.get("note", ""),
        },
        lambda _form: "/audit/alerts",
    )
