"""Portal pages of multi-source verification: runs, one run's conflicts, duplicate pairs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from govdata.portal.common import current_caller, login_redirect, page_chrome, run_action
from govdata.portal.rendering import render
from govdata.verification.schemas import (
    ConflictPage,
    DuplicateScanOut,
    VerificationRunOut,
)

router = APIRouter(include_in_schema=False)

STATUS_LABELS = {"succeeded": "完成", "failed": "失败", "running": "运行中"}
RESOLUTION_LABELS = {"authority": "以权威来源为准", "unresolved": "未指定权威来源"}
CONFLICT_PAGE = 100


@router.get("/verification")
async def verification_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    runs: list[VerificationRunOut] = await run_action(request, caller, "verification_run_list", {})
    scans: list[DuplicateScanOut] = await run_action(request, caller, "duplicate_list", {})
    return render(
        "portal/verification/index.html",
        {
            "page": page_chrome(request, caller, "多源校核", "verification"),
            "runs": runs,
            "scans": scans,
            "status_labels": STATUS_LABELS,
        },
    )


@router.get("/verification/runs/{run_id}")
async def verification_run_page(request: Request, run_id: str) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    run: VerificationRunOut = await run_action(
        request, caller, "verification_run_get", {"id": run_id}
    )
    field = request.query_params.get("field", "")
    conflicts: ConflictPage | None = None
    if field and run.status == "succeeded":
        query: dict[str, Any] = {"run_id": run_id, "field": field, "limit": CONFLICT_PAGE}
        conflicts = await run_action(request, caller, "verification_conflicts", query)
    return render(
        "portal/verification/run.html",
        {
            "page": page_chrome(request, caller, "多源校核结果", "verification"),
            "run": run,
            "field": field,
            "conflicts": conflicts,
            "status_labels": STATUS_LABELS,
            "resolution_labels": RESOLUTION_LABELS,
        },
    )
