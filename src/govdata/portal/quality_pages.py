"""The data quality pages: roll-up by region and department, a resource's scores
(per GB/T 36344 dimension and per rule, with the history as an SVG line chart),
and the failing rows of a rule, page by page.

The pages run the quality actions only: ``quality_scores`` for the roll-ups and
the history, ``quality_run_list``/``quality_run_get`` for the latest run, and
``quality_failures`` for the failing rows (decrypted and masked for the reader,
and recorded as a data read, by the action).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from govdata.actions import ActionRegistry, Context
from govdata.errors import NotFound
from govdata.portal.aggregation_common import page_number
from govdata.portal.common import current_caller, login_redirect, page_chrome, run_unit
from govdata.portal.quality_chart import score_chart
from govdata.portal.rendering import render
from govdata.quality.dimensions import DIMENSION_LABELS
from govdata.quality.rules import KIND_LABELS
from govdata.quality.schemas import FailurePage, QualityRunOut, ScoreReport
from govdata.web.runtime import runtime_of

router = APIRouter(include_in_schema=False)

FAILURES_PER_PAGE = 50
KIND_NAMES = {kind.value: label for kind, label in KIND_LABELS.items()}
DIMENSIONS = [(d.value, label) for d, label in DIMENSION_LABELS.items()]
RESOURCE_KINDS = {"sources": "source_id", "libraries": "library_id"}
RESOURCE_LABELS = {"source": "数据源", "library": "基础库或主题库"}
STATUS_LABELS = {"succeeded": "成功", "failed": "失败"}


def resource_href(kind: str, resource_id: str) -> str:
    """The quality page of a source (``source``) or library (``library``)."""
    return f"/quality/{'sources' if kind == 'source' else 'libraries'}/{resource_id}"


def _vocabulary() -> dict[str, Any]:
    return {
        "dimensions": DIMENSIONS,
        "dimension": dict(DIMENSIONS),
        "kind": KIND_NAMES,
        "resource": RESOURCE_LABELS,
        "status": STATUS_LABELS,
        "resource_href": resource_href,
    }


@router.get("/quality")
async def quality_overview_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    registry = runtime_of(request).registry
    report: ScoreReport = await run_unit(
        request,
        caller,
        lambda ctx: registry.run("quality_scores", ctx, {"history": 0}),
        read_only=True,
    )
    return render(
        "portal/quality/overview.html",
        {
            "page": page_chrome(request, caller, "数据质量", "quality"),
            "report": report,
            "vocab": _vocabulary(),
        },
    )


def _resource_view(
    ctx: Context, registry: ActionRegistry, field: str, resource_id: str
) -> dict[str, Any]:
    ref = {field: resource_id}
    report: ScoreReport = registry.run("quality_scores", ctx, {**ref, "history": 60})
    latest_runs: list[QualityRunOut] = registry.run("quality_run_list", ctx, {**ref, "limit": 1})
    scored = report.resources[0] if report.resources else None
    run = registry.run("quality_run_get", ctx, {"id": scored.run_id}) if scored else None
    latest = latest_runs[0] if latest_runs else None
    if scored is None and latest is None:
        try:
            registry.run("quality_rules_get", ctx, ref)
        except NotFound as missing:
            raise NotFound(
                "该资源尚未设置质量规则，也没有质量检查记录", code="quality_rules_not_set"
            ) from missing
    return {
        "scored": scored,
        "run": run,
        "latest": latest,
        "history": report.history.get(resource_id, []),
    }


async def _resource_page(request: Request, kind: str, resource_id: str) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    registry = runtime_of(request).registry
    field = RESOURCE_KINDS[kind]
    data = await run_unit(
        request,
        caller,
        lambda ctx: _resource_view(ctx, registry, field, resource_id),
        read_only=True,
    )
    scored = data["scored"]
    name = scored.name if scored is not None else "数据质量"
    back = (
        f"/aggregation/sources/{resource_id}" if kind == "sources" else f"/libraries/{resource_id}"
    )
    return render(
        "portal/quality/resource.html",
        {
            "page": page_chrome(request, caller, f"数据质量：{name}", "quality"),
            "vocab": _vocabulary(),
            "back": back,
            "kind": "source" if kind == "sources" else "library",
            "chart": score_chart(data["history"]),
            **data,
        },
    )


@router.get("/quality/sources/{source_id}")
async def source_quality_page(request: Request, source_id: str) -> Response:
    return await _resource_page(request, "sources", source_id)


@router.get("/quality/libraries/{library_id}")
async def library_quality_page(request: Request, library_id: str) -> Response:
    return await _resource_page(request, "libraries", library_id)


def _failures_view(
    ctx: Context, registry: ActionRegistry, run_id: str, rule: str | None, page: int
) -> dict[str, Any]:
    run: QualityRunOut = registry.run("quality_run_get", ctx, {"id": run_id})
    found: FailurePage = registry.run(
        "quality_failures",
        ctx,
        {
            "run_id": run_id,
            **({"rule": rule} if rule else {}),
            "offset": (page - 1) * FAILURES_PER_PAGE,
            "limit": FAILURES_PER_PAGE,
        },
    )
    return {"run": run, "failures": found}


@router.get("/quality/runs/{run_id}/failures")
async def failures_page(request: Request, run_id: str) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    registry = runtime_of(request).registry
    rule = request.query_params.get("rule") or None
    page = page_number(request)
    data = await run_unit(
        request, caller, lambda ctx: _failures_view(ctx, registry, run_id, rule, page)
    )
    run: QualityRunOut = data["run"]
    failures: FailurePage = data["failures"]
    result = next((r for r in run.results if r.rule_code == rule), None)
    pages = max(1, -(-failures.total_kept // FAILURES_PER_PAGE))
    key_names = list(dict.fromkeys(k for row in failures.rows for k in row.key))
    value_names = list(dict.fromkeys(k for row in failures.rows for k in row.values))

    def page_href(number: int) -> str:
        query = {"rule": rule} if rule else {}
        return f"/quality/runs/{run_id}/failures?{urlencode({**query, 'page': number})}"

    title = f"不符合规则的数据行：{result.rule_name if result else '全部规则'}"
    kind = "source" if run.source_id else "library"
    return render(
        "portal/quality/failures.html",
        {
            "page": page_chrome(request, caller, title, "quality"),
            "vocab": _vocabulary(),
            "run": run,
            "result": result,
            "failures": failures,
            "key_names": key_names,
            "value_names": value_names,
            "number": page,
            "pages": pages,
            "page_href": page_href,
            "resource": resource_href(kind, run.source_id or run.library_id or ""),
        },
    )
