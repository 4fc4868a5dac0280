"""Portal pages of data aggregation (数据归集): the sources, registering one
(its file uploaded and streamed to the inbox), and a source with its declared
columns, runs, schema changes, versions and data.

Every page is a thin adapter over the aggregation actions, which authorise;
the pages only hide buttons a person could not use. The pages of a run are in
:mod:`govdata.portal.aggregation_runs`, whose router this one includes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from govdata.actions import ActionRegistry, Context
from govdata.aggregation.schemas import RunOut, SourceOut
from govdata.aggregation.source_actions import staging_dir
from govdata.errors import Conflict, Forbidden, GovdataError, InvalidInput, NotFound
from govdata.portal import aggregation_runs
from govdata.portal.aggregation_common import (
    VOCAB,
    area_chrome,
    org_target,
    page_number,
    problems_of,
)
from govdata.portal.aggregation_forms import (
    ROWS_AT_A_TIME,
    SourceForm,
    kind_of_file,
    read_posted_form,
)
from govdata.portal.aggregation_uploads import receive_upload
from govdata.portal.common import current_caller, login_redirect, read_form, run_action, run_unit
from govdata.portal.rendering import render
from govdata.web.auth import Caller, require_signed_in
from govdata.web.runtime import runtime_of

router = APIRouter(include_in_schema=False)
router.include_router(aggregation_runs.router)

LIST_SIZE = 50
PREVIEW_ROWS = 50


# --- the list of sources --------------------------------------------------------------


@router.get("/aggregation")
async def sources_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    number = page_number(request)
    listing: list[SourceOut] = await run_action(
        request,
        caller,
        "source_list",
        {"offset": (number - 1) * LIST_SIZE, "limit": LIST_SIZE + 1},
    )
    policy = runtime_of(request).policy
    return render(
        "portal/aggregation/sources.html",
        {
            "page": area_chrome(request, caller, "数据归集", "aggregation"),
            "vocab": VOCAB,
            "sources": listing[:LIST_SIZE],
            "may_register": policy.holds_anywhere(caller.actor, "aggregation:source:manage"),
            "may_read_libraries": policy.holds_anywhere(caller.actor, "library:read"),
            "number": number,
            "prev_href": f"/aggregation?page={number - 1}" if number > 1 else None,
            "next_href": f"/aggregation?page={number + 1}" if len(listing) > LIST_SIZE else None,
        },
    )


# --- registering a source ---------------------------------------------------------------


def _registration_context(ctx: Context, registry: ActionRegistry) -> dict[str, Any]:
    """The caller's departments and their catalog entries, which sources belong to."""
    departments = [
        option
        for option in registry.run(
            "organisation_options", ctx, {"permission": "aggregation:source:manage"}
        )
        if option.kind == "department"
    ]
    if not departments:
        raise Forbidden("您不是任何部门的数据提供专员，不能登记数据源")
    ids = {d.id for d in departments}
    entries = [
        entry
        for entry in registry.run("entry_list", ctx, {"limit": 500}).entries
        if entry.provider.id in ids
    ]
    return {
        "entries_by_department": [
            (d, [e for e in entries if e.provider.id == d.id])
            for d in departments
            if any(e.provider.id == d.id for e in entries)
        ],
    }


async def _source_form_page(
    request: Request,
    caller: Caller,
    form: SourceForm,
    *,
    error: GovdataError | None = None,
    upload_error: GovdataError | None = None,
    uploaded: dict[str, str] | None = None,
) -> Response:
    registry = runtime_of(request).registry
    data = await run_unit(
        request, caller, lambda ctx: _registration_context(ctx, registry), read_only=True
    )
    inline, summary = problems_of(error, form.error_paths())
    refused = error or upload_error
    return render(
        "portal/aggregation/source_form.html",
        {
            "page": area_chrome(request, caller, "登记数据源", "aggregation"),
            "vocab": VOCAB,
            "form": form,
            "error": error,
            "errors": inline,
            "summary": summary,
            "upload_error": upload_error,
            "uploaded": uploaded,
            "rows_at_a_time": ROWS_AT_A_TIME,
            **data,
        },
        status_code=refused.http_status if refused else 200,
    )


@router.get("/aggregation/sources/new")
async def new_source_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    query = request.query_params
    values = {name: query[name] for name in ("location", "kind", "standard") if query.get(name)}
    uploaded = None
    if query.get("uploaded") and query.get("location"):
        uploaded = {"name": query["uploaded"], "bytes": query.get("bytes", "")}
        values.setdefault("kind", kind_of_file(query["uploaded"]) or "csv")
    return await _source_form_page(request, caller, SourceForm(values=values), uploaded=uploaded)


@router.post("/aggregation/sources/new")
async def new_source_submit(request: Request) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    posted = await read_posted_form(request, caller)
    form = SourceForm.from_form(posted)
    intent = posted.get("intent", "register")
    if intent == "more_columns":
        form.blank_rows += ROWS_AT_A_TIME
        return await _source_form_page(request, caller, form)
    if intent == "standard":
        form.load_standard()
        return await _source_form_page(request, caller, form)
    try:
        saved = await run_action(request, caller, "source_register", form.payload())
    except (InvalidInput, Conflict, NotFound) as refused:
        return await _source_form_page(request, caller, form, error=refused)
    return RedirectResponse(f"/aggregation/sources/{saved.id}", status_code=303)


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


@router.post("/aggregation/inbox")
async def inbox_upload(request: Request) -> Response:
    """Stream an uploaded source file into the inbox; answers with its location
    (JSON), or goes back to the registration form with the location filled in."""
    caller = await current_caller(request)
    require_signed_in(caller)
    rt = runtime_of(request)
    # The action decides; this only spares the disk a file nobody may keep.
    if not rt.policy.holds_anywhere(caller.actor, "aggregation:source:manage"):
        raise Forbidden("您不是任何部门的数据提供专员，不能上传数据源文件")
    staging = staging_dir(rt.settings.inbox_dir.resolve())
    try:
        upload = await receive_upload(request, caller, staging)
    except InvalidInput as refused:
        if _wants_json(request):
            raise
        return await _source_form_page(request, caller, SourceForm(), upload_error=refused)
    try:
        stored = await run_action(
            request,
            caller,
            "inbox_store",
            {"file_name": upload.file_name, "staged": str(upload.staged)},
        )
    finally:
        upload.staged.unlink(missing_ok=True)
    if _wants_json(request):
        return JSONResponse(stored.model_dump(), status_code=201)
    query = {
        "location": stored.location,
        "uploaded": upload.file_name,
        "bytes": str(stored.bytes),
        "kind": kind_of_file(upload.file_name) or "csv",
    }
    return RedirectResponse(f"/aggregation/sources/new?{urlencode(query)}", status_code=303)


# --- a source -------------------------------------------------------------------------


def _source_view(ctx: Context, registry: ActionRegistry, source_id: str) -> dict[str, Any]:
    source: SourceOut = registry.run("source_get", ctx, {"id": source_id})
    target = org_target(ctx, registry, source.organisation_id)
    versions = []
    if source.mode == "physical":
        versions = registry.run("version_list", ctx, {"id": source_id}).versions
    return {
        "source": source,
        "runs": registry.run("run_list", ctx, {"source_id": source_id, "limit": 20}),
        "changes": registry.run("source_schema_changes", ctx, {"id": source_id}),
        "versions": sorted(versions, key=lambda v: v.version, reverse=True),
        "may_start": ctx.can("aggregation:run:start", target),
    }


def _preview_query(request: Request, source: SourceOut) -> dict[str, Any]:
    query = request.query_params
    chosen: dict[str, Any] = {"source_id": source.id, "limit": PREVIEW_ROWS}
    version = query.get("version", "")
    if version.isdigit() and source.mode == "physical":
        chosen["version"] = int(version)
    column, value = query.get("column", ""), query.get("value", "").strip()
    if column and value:
        chosen["where"] = {column: value}
    return chosen


async def _preview(
    request: Request, caller: Caller, source: SourceOut, has_versions: bool
) -> dict[str, Any]:
    """Rows of the chosen version (physical) or fetched from the source (logical,
    on request: that reaches out to the provider's system)."""
    query = _preview_query(request, source)
    shown: dict[str, Any] = {
        "query": query,
        "column": request.query_params.get("column", ""),
        "value": request.query_params.get("value", ""),
        "rows": None,
        "error": None,
        "asked": source.mode == "physical" or request.query_params.get("preview") == "1",
    }
    if source.mode == "physical" and not has_versions:
        shown["asked"] = False
        return shown
    if shown["asked"]:
        try:
            shown["rows"] = await run_action(request, caller, "data_read", query)
        except GovdataError as refused:
            shown["error"] = refused
    return shown


async def _source_page(
    request: Request, caller: Caller, source_id: str, *, error: GovdataError | None = None
) -> Response:
    registry = runtime_of(request).registry
    data = await run_unit(
        request, caller, lambda ctx: _source_view(ctx, registry, source_id), read_only=True
    )
    source: SourceOut = data["source"]
    preview = await _preview(request, caller, source, bool(data["versions"]))
    return render(
        "portal/aggregation/source.html",
        {
            "page": area_chrome(request, caller, source.name, "aggregation"),
            "vocab": VOCAB,
            "error": error,
            "preview": preview,
            "labels": {c.name: c.label or c.name for c in source.columns},
            **data,
        },
        status_code=error.http_status if error else 200,
    )


@router.get("/aggregation/sources/{source_id}")
async def source_page(request: Request, source_id: str) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    return await _source_page(request, caller, source_id)


@router.post("/aggregation/sources/{source_id}/runs")
async def run_start_submit(request: Request, source_id: str) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    form = await read_form(request, caller)
    try:
        run: RunOut = await run_action(
            request,
            caller,
            "run_start",
            {"source_id": source_id, "strategy": form.get("strategy") or None},
        )
    except (InvalidInput, Conflict) as refused:
        return await _source_page(request, caller, source_id, error=refused)
    return RedirectResponse(f"/aggregation/runs/{run.id}", status_code=303)
