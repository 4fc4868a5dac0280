"""Portal pages of sharing: applying from a catalog entry, my applications and the
review queue with deadlines, one application with its review, grants with
suspend/renew/revoke, and data return."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from govdata.portal.common import (
    current_caller,
    login_redirect,
    page_chrome,
    run_action,
    submit_form,
)
from govdata.portal.rendering import render
from govdata.sharing.application_actions import DECIDED_AS_LABELS, STATUS_LABELS
from govdata.sharing.grant_actions import GRANT_STATUS_LABELS, ORIGIN_LABELS
from govdata.sharing.terms import METHOD_LABELS, STRATEGY_LABELS, today
from govdata.web.auth import Caller

router = APIRouter(include_in_schema=False)

LABELS = {
    "status_labels": STATUS_LABELS,
    "decided_as_labels": DECIDED_AS_LABELS,
    "grant_status_labels": GRANT_STATUS_LABELS,
    "origin_labels": ORIGIN_LABELS,
    "method_labels": METHOD_LABELS,
    "strategy_labels": STRATEGY_LABELS,
}


def _split(text: str) -> list[str]:
    return [
        part.strip()
        for part in text.replace("，", ",").replace("、", ",").split(",")
        if part.strip()
    ]


@router.get("/sharing")
async def applications_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    role = request.query_params.get("role", "")
    query: dict[str, Any] = {"limit": 200}
    if role in ("consumer", "holder"):
        query["role"] = role
    if request.query_params.get("overdue") == "1":
        query["overdue"] = True
    page = await run_action(request, caller, "share_application_list", query)
    return render(
        "portal/sharing/list.html",
        {
            "page": page_chrome(request, caller, "数据共享", "sharing"),
            "result": page,
            "role": role,
            "overdue": query.get("overdue", False),
        }
        | LABELS,
    )


@router.get("/sharing/apply")
async def apply_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    entry_id = request.query_params.get("entry_id", "")
    entry = await run_action(request, caller, "entry_show", {"id": entry_id})
    return render(
        "portal/sharing/apply.html",
        {
            "page": page_chrome(request, caller, "申请共享", "sharing"),
            "entry": entry,
            "applications": await department_applications(request, caller),
            "today": today().isoformat(),
        }
        | LABELS,
    )


async def department_applications(request: Request, caller: Caller) -> list[Any]:
    """The active applications registered by the caller's own department: the ones an
    application may name to call, and the console may call on behalf of."""
    org = caller.actor.organisation_id
    if not org:
        return []
    listed = await run_action(request, caller, "application_list", {"organisation_id": org})
    return [a for a in listed if a.is_active and a.organisation_id == org]


def _application(form: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "entry_id": form.get("entry_id", ""),
        "purpose": form.get("purpose", ""),
        "legal_basis": form.get("legal_basis", ""),
        "fields": [k.removeprefix("field-") for k in form if k.startswith("field-")],
        "ends_on": form.get("ends_on", ""),
        "methods": [k.removeprefix("method-") for k in form if k.startswith("method-")],
        "division_codes": _split(form.get("division_codes", "")),
        "application_ids": [
            *[k.removeprefix("app-") for k in form if k.startswith("app-")],
            *_split(form.get("application_ids", "")),
        ],
    }
    if form.get("starts_on", "").strip():
        data["starts_on"] = form["starts_on"].strip()
    if form.get("division_column", "").strip():
        data["division_column"] = form["division_column"].strip()
    return data


@router.post("/sharing/apply")
async def apply_submit(request: Request) -> Response:
    return await submit_form(
        request, "share_apply", _application, lambda _f: "/sharing?role=consumer"
    )


@router.get("/sharing/applications/{application_id}")
async def application_page(request: Request, application_id: str) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    app = await run_action(request, caller, "share_application_get", {"id": application_id})
    grounds = await run_action(request, caller, "share_grounds_list", {})
    return render(
        "portal/sharing/application.html",
        {
            "page": page_chrome(request, caller, f"共享申请 {app.number}", "sharing"),
            "a": app,
            "grounds": grounds,
        }
        | LABELS,
    )


def _review(application_id: str, form: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": application_id,
        "decision": form.get("decision", ""),
        "note": form.get("note", ""),
    }
    if data["decision"] == "refuse":
        data["ground"] = form.get("ground", "") or None
        return data
    data["fields"] = [
        {
            "name": k.removeprefix("keep-"),
            "strategy": form.get("strategy-" + k.removeprefix("keep-")) or None,
        }
        for k in form
        if k.startswith("keep-")
    ]
    quotas = {
        k: int(form[k])
        for k in ("calls_per_day", "rows_per_call", "rows_per_day")
        if form.get(k, "").isdigit()
    }
    if quotas:
        data["quotas"] = quotas
    return data


@router.post("/sharing/applications/{application_id}/{step}")
async def application_step(request: Request, application_id: str, step: str) -> Response:
    back = f"/sharing/applications/{application_id}"
    if step in ("review", "decide"):
        action = "share_review" if step == "review" else "share_decide"
        return await submit_form(
            request, action, lambda f: _review(application_id, f), lambda _f: back
        )
    if step == "escalate":
        return await submit_form(
            request,
            "share_escalate",
            lambda f: {"id": application_id, "note": f.get("note", "")},
            lambda _f: back,
        )
    return Response(status_code=404)


@router.get("/sharing/grants")
async def grants_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    page = await run_action(request, caller, "grant_list", {"limit": 200})
    return render(
        "portal/sharing/grants.html",
        {"page": page_chrome(request, caller, "共享授权", "sharing_grants"), "result": page}
        | LABELS,
    )


@router.post("/sharing/grants/{grant_id}/{step}")
async def grant_step(request: Request, grant_id: str, step: str) -> Response:
    builders = {
        "suspend": ("grant_suspend", lambda f: {"id": grant_id, "reason": f.get("reason", "")}),
        "resume": ("grant_resume", lambda f: {"id": grant_id, "note": f.get("note", "")}),
        "renew": ("grant_renew", lambda f: {"id": grant_id, "ends_on": f.get("ends_on", "")}),
        "revoke": ("grant_revoke", lambda f: {"id": grant_id, "reason": f.get("reason", "")}),
    }
    if step not in builders:
        return Response(status_code=404)
    action, build = builders[step]
    return await submit_form(request, action, build, lambda _f: "/sharing/grants")


@router.get("/sharing/return")
async def return_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    listing = await run_action(request, caller, "entry_list", {"status": "published", "limit": 500})
    return render(
        "portal/sharing/return.html",
        {
            "page": page_chrome(request, caller, "数据回流", "sharing_return"),
            "entry_id": request.query_params.get("entry_id", ""),
            "entries": listing.entries,
            "today": today().isoformat(),
        },
    )


def _return(form: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "entry_id": form.get("entry_id", ""),
        "division_column": form.get("division_column", ""),
        "ends_on": form.get("ends_on", ""),
        "department_ids": _split(form.get("department_ids", "")),
    }
    if form.get("level"):
        data["level"] = form["level"]
    if form.get("starts_on", "").strip():
        data["starts_on"] = form["starts_on"].strip()
    if form.get("department_name", "").strip():
        data["department_name"] = form["department_name"].strip()
    return data


@router.post("/sharing/return")
async def return_submit(request: Request) -> Response:
    return await submit_form(request, "share_return", _return, lambda _f: "/sharing/grants")
