"""Portal pages of an aggregation run: its progress (followed live by
``run-progress.js``), outcome and retry, its quarantine page by page, and the
whole quarantine as a CSV download.

A library build is a run too, so these pages serve both.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from govdata.actions import ActionRegistry, Context
from govdata.aggregation.schemas import QuarantinePage, RunOut
from govdata.errors import Conflict, Forbidden, GovdataError, InvalidInput
from govdata.portal.aggregation_common import (
    ACTIVE_STATUSES,
    RUN_STATUS_LABELS,
    VOCAB,
    area_chrome,
    org_target,
    page_number,
)
from govdata.portal.common import current_caller, login_redirect, read_form, run_action, run_unit
from govdata.portal.rendering import render
from govdata.web.auth import Caller, require_signed_in
from govdata.web.runtime import runtime_of

router = APIRouter(include_in_schema=False)

QUARANTINE_PAGE = 100
EXPORT_PAGE = 1000
# Refusals by the data's grade: the run is shown, its quarantined values are not.
GRADE_REFUSALS = frozenset({"grade_forbidden", "grant_expired"})


# --- a run ----------------------------------------------------------------------------


def _run_view(ctx: Context, registry: ActionRegistry, run_id: str, offset: int) -> dict[str, Any]:
    run: RunOut = registry.run("run_get", ctx, {"id": run_id})
    source = library = None
    may_retry = False
    if run.source_id is not None:
        source = registry.run("source_get", ctx, {"id": run.source_id})
        target = org_target(ctx, registry, source.organisation_id)
        may_retry = ctx.can("aggregation:run:start", target)
    if run.library_id is not None and ctx.policy.holds_anywhere(ctx.actor, "library:read"):
        library = registry.run("library_get", ctx, {"id": run.library_id})
    # While a run is active its quarantine parts are still being written; the
    # page reloads when it ends and shows them then.
    quarantine = QuarantinePage(run_id=run.id, total=0, columns=[], rows=[])
    quarantine_refused: str | None = None
    if run.status not in ACTIVE_STATUSES:
        try:
            quarantine = registry.run(
                "quarantine_page",
                ctx,
                {"run_id": run_id, "offset": offset, "limit": QUARANTINE_PAGE},
            )
        except Forbidden as refused:
            if refused.error_code not in GRADE_REFUSALS:
                raise
            quarantine_refused = refused.message
    return {
        "run": run,
        "source": source,
        "library": library,
        "may_retry": may_retry and run.status in ("failed", "interrupted"),
        "quarantine": quarantine,
        "quarantine_refused": quarantine_refused,
        "source_columns": [c for c in quarantine.columns if not c.startswith("_gd_")],
        # Quarantined values are as read: headed by the source's column names.
        "source_labels": {c.source_name: c.label for c in source.columns if c.label}
        if source is not None
        else {},
        "has_raw": any(row.get("_gd_raw") for row in quarantine.rows),
    }


async def _run_page(
    request: Request, caller: Caller, run_id: str, *, error: GovdataError | None = None
) -> Response:
    registry = runtime_of(request).registry
    number = page_number(request)
    offset = (number - 1) * QUARANTINE_PAGE
    # Not read-only: showing quarantined values records the read (quarantine_page).
    data = await run_unit(request, caller, lambda ctx: _run_view(ctx, registry, run_id, offset))
    run: RunOut = data["run"]
    total = data["quarantine"].total
    pages = max(1, -(-total // QUARANTINE_PAGE))
    if data["library"] is not None:
        title = f"构建任务 · {data['library'].name}"
    else:
        title = f"归集任务 · {data['source'].name}" if data["source"] else "归集任务"
    return render(
        "portal/aggregation/run.html",
        {
            "page": area_chrome(request, caller, title, "aggregation"),
            "vocab": VOCAB,
            "error": error,
            "active": run.status in ACTIVE_STATUSES,
            "status_labels": RUN_STATUS_LABELS,
            "percent": _percent(run),
            "pager": {
                "pages": pages,
                "number": number,
                "prev_href": f"?page={number - 1}#quarantine" if number > 1 else None,
                "next_href": f"?page={number + 1}#quarantine" if number < pages else None,
            },
            "first_row": offset + 1,
            "duration": duration,
            **data,
        },
        status_code=error.http_status if error else 200,
    )


def duration(seconds: float | None) -> str:
    """Time left as people say it: 约2分5秒."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 1:
        return "不到1秒"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = "约"
    if hours:
        text += f"{hours}小时"
    if hours or minutes:
        text += f"{minutes}分"
    return f"{text}{secs}秒"


def _percent(run: RunOut) -> int | None:
    if run.status == "succeeded":
        return 100
    if run.bytes_total:
        return min(100, int(run.bytes_read * 100 / run.bytes_total))
    return None


@router.get("/aggregation/runs/{run_id}")
async def run_page(request: Request, run_id: str) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    return await _run_page(request, caller, run_id)


@router.post("/aggregation/runs/{run_id}/retry")
async def run_retry_submit(request: Request, run_id: str) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    await read_form(request, caller)
    try:
        run: RunOut = await run_action(request, caller, "run_retry", {"id": run_id})
    except (InvalidInput, Conflict) as refused:
        return await _run_page(request, caller, run_id, error=refused)
    return RedirectResponse(f"/aggregation/runs/{run.id}", status_code=303)


# --- the quarantine as a spreadsheet-friendly CSV -------------------------------------

# Text starting with these is run as a formula by spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def neutralised(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_lines(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([[neutralised(value) for value in row] for row in rows])
    return buffer.getvalue().encode("utf-8")


@router.get("/aggregation/runs/{run_id}/quarantine.csv")
async def quarantine_csv(request: Request, run_id: str) -> Response:
    """Every quarantined row of a run: row number, reasons, the values as read.
    UTF-8 with a byte order mark, so Excel opens the Chinese text correctly."""
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)

    async def page_at(offset: int) -> QuarantinePage:
        query = {"run_id": run_id, "offset": offset, "limit": EXPORT_PAGE}
        page: QuarantinePage = await run_action(request, caller, "quarantine_page", query)
        return page

    # The first page is read before the response starts, so a refusal is an error page.
    first = await page_at(0)
    values = [c for c in first.columns if not c.startswith("_gd_")]
    header = ["行号", "原因", "原因代码", *values, "原始内容"]

    def line(row: dict[str, Any]) -> list[object]:
        return [
            row.get("_gd_row"),
            row.get("_gd_reasons"),
            row.get("_gd_reason_codes"),
            *(row.get(name) for name in values),
            row.get("_gd_raw"),
        ]

    async def body() -> AsyncIterator[bytes]:
        yield BOM.encode("utf-8") + _csv_lines([list(header)])
        page, offset = first, 0
        while page.rows:
            yield _csv_lines([line(row) for row in page.rows])
            offset += len(page.rows)
            if offset >= page.total:
                break
            page = await page_at(offset)

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="quarantine-{run_id}.csv"'},
    )
