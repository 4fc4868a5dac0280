"""Portal pages of objections: the list, filing one, and one objection with its steps."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from govdata.aggregation.schemas import SourceOut
from govdata.objections.actions import STATUS_LABELS
from govdata.objections.schemas import ObjectionOut, ObjectionPage
from govdata.portal.common import (
    current_caller,
    login_redirect,
    page_chrome,
    run_action,
    submit_form,
)
from govdata.portal.rendering import render

router = APIRouter(include_in_schema=False)

STEP_LABELS = {
    "filed": "提出异议",
    "answered": "答复",
    "accepted": "接受答复",
    "disputed": "不接受答复",
    "escalated": "督办",
    "resolved": "裁决",
}
RESPONSIBLE_LABELS = {"provider": "数据提供部门", "reporter": "异议提出方", "none": "无责任方"}
ANSWER_LABELS = {"corrected": "已更正", "rejected": "驳回"}
# The steps that take only a note, and their actions.
NOTE_STEPS = {
    "accept": "objection_accept",
    "dispute": "objection_dispute",
    "escalate": "objection_escalate",
}


@router.get("/objections")
async def objections_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    status = request.query_params.get("status", "")
    query: dict[str, Any] = {"limit": 200}
    if status in STATUS_LABELS:
        query["status"] = status
    if request.query_params.get("overdue") == "1":
        query["overdue"] = True
    page: ObjectionPage = await run_action(request, caller, "objection_list", query)
    return render(
        "portal/objections/list.html",
        {
            "page": page_chrome(request, caller, "数据异议", "objections"),
            "result": page,
            "status": status,
            "overdue": query.get("overdue", False),
            "status_labels": STATUS_LABELS,
        },
    )


@router.get("/objections/new")
async def new_objection_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    source_id = request.query_params.get("source_id", "")
    source: SourceOut = await run_action(request, caller, "source_get", {"id": source_id})
    return render(
        "portal/objections/new.html",
        {
            "page": page_chrome(request, caller, "提出数据异议", "objections"),
            "source": source,
            "version": request.query_params.get("version", ""),
            "key_columns": source.key_columns or [source.columns[0].name],
        },
    )


def _filing(form: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source_id": form.get("source_id", ""),
        "record_key": {
            name.removeprefix("key-"): value.strip()
            for name, value in form.items()
            if name.startswith("key-") and value.strip()
        },
        "field": form.get("field", ""),
        "reason": form.get("reason", ""),
        "evidence": form.get("evidence", ""),
    }
    if form.get("version", "").isdigit():
        data["version"] = int(form["version"])
    return data


@router.post("/objections/new")
async def new_objection_submit(request: Request) -> Response:
    return await submit_form(request, "objection_file", _filing, lambda _form: "/objections")


@router.get("/objections/{objection_id}")
async def objection_page(request: Request, objection_id: str) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    objection: ObjectionOut = await run_action(
        request, caller, "objection_get", {"id": objection_id}
    )
    return render(
        "portal/objections/objection.html",
        {
            "page": page_chrome(request, caller, f"数据异议 {objection.number}", "objections"),
            "o": objection,
            "status_labels": STATUS_LABELS,
            "step_labels": STEP_LABELS,
            "answer_labels": ANSWER_LABELS,
            "responsible_labels": RESPONSIBLE_LABELS,
        },
    )


def _answer(objection_id: str, form: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": objection_id,
        "outcome": form.get("outcome", ""),
        "reply": form.get("reply", ""),
    }
    if form.get("fix_version", "").strip().isdigit():
        data["fix_version"] = int(form["fix_version"])
    return data


@router.post("/objections/{objection_id}/{step}")
async def objection_step_submit(request: Request, objection_id: str, step: str) -> Response:
    back = f"/objections/{objection_id}"
    if step == "answer":
        return await submit_form(
            request, "objection_answer", lambda form: _answer(objection_id, form), lambda _f: back
        )
    if step == "resolve":
        return await submit_form(
            request,
            "objection_resolve",
            lambda form: {
                "id": objection_id,
                "responsible": form.get("responsible", ""),
                "decision": form.get("decision", ""),
            },
            lambda _f: back,
        )
    action = NOTE_STEPS.get(step)
    if action is None:
        return Response(status_code=404)
    return await submit_form(
        request,
        action,
        lambda form: {"id": objection_id, "note": form.get("note", "")},
        lambda _f: back,
    )
