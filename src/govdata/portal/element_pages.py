"""Portal pages of data elements: the element list and a conformance report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from govdata.elements.schemas import ConformanceReport, ElementOut
from govdata.portal.common import current_caller, login_redirect, page_chrome, run_action
from govdata.portal.rendering import render

router = APIRouter(include_in_schema=False)

SEVERITY_LABELS = {"ok": "符合", "info": "提示", "warning": "警告", "error": "不符合"}
PROBLEM_LABELS = {
    "conforms": "符合",
    "type_differs": "类型不符",
    "length_short": "长度不足",
    "length_longer": "长度超出",
    "check_missing": "缺少标准校验",
    "code_values": "取值不在代码表中",
    "unmatched": "未对应数据元",
}


@router.get("/elements")
async def elements_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    q = request.query_params.get("q", "").strip()
    elements: list[ElementOut] = await run_action(
        request, caller, "element_list", {"q": q} if q else {}
    )
    return render(
        "portal/elements/list.html",
        {"page": page_chrome(request, caller, "数据元", "elements"), "elements": elements, "q": q},
    )


@router.get("/elements/conformance")
async def conformance_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    params = request.query_params
    query: dict[str, Any]
    if params.get("entry_id"):
        action, query = "element_check_entry", {"entry_id": params["entry_id"]}
    else:
        action, query = "element_check_source", {"source_id": params.get("source_id", "")}
        if params.get("version", "").isdigit():
            query["version"] = int(params["version"])
    report: ConformanceReport = await run_action(request, caller, action, query)
    return render(
        "portal/elements/conformance.html",
        {
            "page": page_chrome(request, caller, "数据元符合性检查", "elements"),
            "report": report,
            "severity_labels": SEVERITY_LABELS,
            "problem_labels": PROBLEM_LABELS,
        },
    )
