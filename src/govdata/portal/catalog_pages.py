"""Portal pages of the catalog: search, the ledger, an entry with its versions,
the workflow buttons (submit, revise, review), lists, queue and deadlines.

The drafting form and the systems page are in :mod:`govdata.portal.catalog_drafting`,
whose router this one includes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govdata.actions import ActionRegistry, Context
from govdata.authz import OrgRef
from govdata.catalog.schemas import FacetValue, SearchOut
from govdata.catalog.vocab import VersionStatus
from govdata.errors import Conflict, GovdataError, InvalidInput
from govdata.portal import catalog_drafting
from govdata.portal.catalog_labels import VOCAB, comparison_view, field_label
from govdata.portal.common import (
    current_caller,
    login_redirect,
    page_chrome,
    read_form,
    run_action,
    run_unit,
    submit_form,
)
from govdata.portal.rendering import render
from govdata.web.auth import Caller, require_signed_in
from govdata.web.runtime import runtime_of

router = APIRouter(include_in_schema=False)
router.include_router(catalog_drafting.router)

SEARCH_FILTERS = (
    "region",
    "department",
    "classification",
    "share_type",
    "open_type",
    "grade",
    "update_cycle",
)
LIST_SIZE = 50
MAX_SEARCH_PAGE = 500


def _page_number(request: Request, ceiling: int = 1_000_000) -> int:
    raw = request.query_params.get("page", "1")
    return min(max(int(raw), 1), ceiling) if raw.isdigit() else 1


# --- search -----------------------------------------------------------------------


def _search_url(params: dict[str, str]) -> str:
    return "/catalog" + (f"?{urlencode(params)}" if params else "")


def _toggled(params: dict[str, str], facet: str, value: str) -> str:
    """The search URL with ``value`` added to or removed from a facet's filter."""
    values = [v for v in params.get(facet, "").split(",") if v]
    values = [v for v in values if v != value] if value in values else [*values, value]
    changed = {k: v for k, v in params.items() if k not in (facet, "page")}
    if values:
        changed[facet] = ",".join(values)
    return _search_url(changed)


def _facet_view(result: SearchOut, params: dict[str, str]) -> list[dict[str, Any]]:
    def link(name: str, fv: FacetValue) -> dict[str, Any]:
        return {**fv.model_dump(), "href": _toggled(params, name, fv.value)}

    return [
        {
            "name": name,
            "label": VOCAB.facets[name],
            "choices": [link(name, fv) for fv in result.facets.get(name, [])],
        }
        for name in SEARCH_FILTERS
        if result.facets.get(name)
    ]


def _chosen_filters(result: SearchOut, params: dict[str, str]) -> list[dict[str, str]]:
    """The filters in force, each with a link that removes it."""
    labels = {(name, fv.value): fv.label for name, values in result.facets.items() for fv in values}
    return [
        {
            "facet": VOCAB.facets[name],
            "label": labels.get((name, value), value),
            "href": _toggled(params, name, value),
        }
        for name in SEARCH_FILTERS
        for value in params.get(name, "").split(",")
        if value
    ]


@router.get("/catalog")
async def search_page(request: Request) -> Response:
    caller = await current_caller(request)
    params = {
        name: request.query_params.get(name, "").strip()
        for name in ("q", *SEARCH_FILTERS)
        if request.query_params.get(name, "").strip()
    }
    number = _page_number(request, MAX_SEARCH_PAGE)
    result: SearchOut = await run_action(
        request, caller, "catalog_search", {**params, "page": number}
    )
    pages = max(1, math.ceil(result.total / result.page_size))
    return render(
        "portal/catalog/search.html",
        {
            "page": page_chrome(request, caller, "数据目录", "catalog"),
            "result": result,
            "q": params.get("q", ""),
            "params": params,
            "filters": {k: v for k, v in params.items() if k != "q"},
            "facets": _facet_view(result, params),
            "chosen": _chosen_filters(result, params),
            "pages": pages,
            "prev_href": _search_url({**params, "page": str(number - 1)}) if number > 1 else None,
            "next_href": _search_url({**params, "page": str(number + 1)})
            if number < min(pages, MAX_SEARCH_PAGE)
            else None,
            "vocab": VOCAB,
        },
    )


# --- the ledger -------------------------------------------------------------------


@router.get("/catalog/ledger")
async def ledger_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    region_code = request.query_params.get("region_code") or None
    ledger = await run_action(request, caller, "catalog_ledger", {"region_code": region_code})
    return render(
        "portal/catalog/ledger.html",
        {
            "page": page_chrome(request, caller, "目录一本账", "catalog_ledger"),
            "ledger": ledger,
            "region_code": region_code,
        },
    )


# --- an entry, its versions and the workflow --------------------------------------


def _entry_view(ctx: Context, registry: ActionRegistry, entry_id: str) -> dict[str, Any]:
    """The entry and what the caller may do with it (the actions still decide)."""
    entry = registry.run("entry_show", ctx, {"id": entry_id})
    may_draft = may_review = False
    if ctx.actor.is_authenticated:
        org = registry.run("organisation_show", ctx, {"id": entry.provider.id})
        target = OrgRef(id=org.id, path=org.path)
        may_draft = ctx.can("catalog:entry:draft", target)
        may_review = ctx.can("catalog:entry:review", target)
    problems = registry.run("entry_precheck", ctx, {"id": entry_id}) if entry.working else []
    return {
        "entry": entry,
        "problems": problems,
        "may_draft": may_draft,
        "may_review": may_review,
    }


async def _entry_page(
    request: Request,
    caller: Caller,
    entry_id: str,
    *,
    error: GovdataError | None = None,
    reasons: str = "",
) -> Response:
    registry = runtime_of(request).registry
    data = await run_unit(
        request, caller, lambda ctx: _entry_view(ctx, registry, entry_id), read_only=True
    )
    entry = data["entry"]
    shown = entry.published or entry.working
    return render(
        "portal/catalog/entry.html",
        {
            "page": page_chrome(request, caller, shown.name if shown else "目录", "catalog"),
            "vocab": VOCAB,
            "error": error,
            "error_fields": [
                (field_label(k), v) for k, v in (error.fields if error else {}).items()
            ],
            "reasons": reasons,
            **data,
        },
        status_code=error.http_status if error else 200,
    )


@router.get("/catalog/entries/{entry_id}")
async def entry_page(request: Request, entry_id: str) -> Response:
    caller = await current_caller(request)
    return await _entry_page(request, caller, entry_id)


async def _workflow_step(
    request: Request,
    entry_id: str,
    action: str,
    after: str,
    build: Callable[[dict[str, str]], dict[str, Any]] = lambda _: {},
) -> Response:
    """A workflow button: run the action, or show the entry again with why it was
    refused (and the review reasons as typed)."""
    caller = await current_caller(request)
    require_signed_in(caller)
    form = await read_form(request, caller)
    try:
        await run_action(request, caller, action, {"id": entry_id, **build(form)})
    except (InvalidInput, Conflict) as refused:
        return await _entry_page(
            request, caller, entry_id, error=refused, reasons=form.get("reasons", "")
        )
    return RedirectResponse(after, status_code=303)


@router.post("/catalog/entries/{entry_id}/submit")
async def entry_submit(request: Request, entry_id: str) -> Response:
    return await _workflow_step(request, entry_id, "entry_submit", f"/catalog/entries/{entry_id}")


@router.post("/catalog/entries/{entry_id}/revise")
async def entry_revise(request: Request, entry_id: str) -> Response:
    return await _workflow_step(
        request, entry_id, "entry_revise", f"/catalog/entries/{entry_id}/edit"
    )


def _review(form: dict[str, str]) -> dict[str, Any]:
    """Publish, or return with the reasons typed one per line."""
    decision = form.get("decision", "")
    reasons = [line.strip() for line in form.get("reasons", "").splitlines() if line.strip()]
    return {"decision": decision, "reasons": reasons if decision == "return" else []}


@router.post("/catalog/entries/{entry_id}/review")
async def entry_review(request: Request, entry_id: str) -> Response:
    return await _workflow_step(
        request, entry_id, "entry_review", f"/catalog/entries/{entry_id}", _review
    )


@router.get("/catalog/entries/{entry_id}/versions/{number}")
async def version_page(request: Request, entry_id: str, number: int) -> Response:
    caller = await current_caller(request)
    registry = runtime_of(request).registry

    def work(ctx: Context) -> dict[str, Any]:
        return {
            "entry": registry.run("entry_show", ctx, {"id": entry_id}),
            "version": registry.run("entry_version_show", ctx, {"id": entry_id, "number": number}),
        }

    data = await run_unit(request, caller, work, read_only=True)
    title = f"{data['version'].name} · 第{number}版"
    return render(
        "portal/catalog/version.html",
        {"page": page_chrome(request, caller, title, "catalog"), "vocab": VOCAB, **data},
    )


@router.get("/catalog/entries/{entry_id}/versions/{number}/changes")
async def changes_page(request: Request, entry_id: str, number: int) -> Response:
    caller = await current_caller(request)
    registry = runtime_of(request).registry

    def work(ctx: Context) -> dict[str, Any]:
        return {
            "entry": registry.run("entry_show", ctx, {"id": entry_id}),
            "comparison": registry.run("entry_compare", ctx, {"id": entry_id, "number": number}),
        }

    data = await run_unit(request, caller, work, read_only=True)
    comparison = data["comparison"]
    return render(
        "portal/catalog/changes.html",
        {
            "page": page_chrome(
                request, caller, f"第{comparison.after}版与第{comparison.before}版比较", "catalog"
            ),
            "changes": comparison_view(comparison),
            **data,
        },
    )


# --- lists: the caller's entries, the review queue --------------------------------


def _pager(request: Request, total: int, number: int, path: str, **params: str) -> dict[str, Any]:
    pages = max(1, math.ceil(total / LIST_SIZE))
    kept = {k: v for k, v in params.items() if v}

    def href(n: int) -> str:
        return f"{path}?{urlencode({**kept, 'page': str(n)})}"

    return {
        "pages": pages,
        "number": number,
        "prev_href": href(number - 1) if number > 1 else None,
        "next_href": href(number + 1) if number < pages else None,
    }


@router.get("/catalog/mine")
async def mine_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    status = request.query_params.get("status", "")
    if status not in VOCAB.status:
        status = ""
    number = _page_number(request)
    query: dict[str, Any] = {"offset": (number - 1) * LIST_SIZE, "limit": LIST_SIZE}
    if status:
        query["status"] = status
    listing = await run_action(request, caller, "entry_list", query)
    policy = runtime_of(request).policy
    return render(
        "portal/catalog/mine.html",
        {
            "page": page_chrome(request, caller, "我的目录", "catalog_mine"),
            "vocab": VOCAB,
            "listing": listing,
            "status": status,
            "statuses": [s.value for s in VersionStatus if s is not VersionStatus.SUPERSEDED],
            "may_draft": policy.holds_anywhere(caller.actor, "catalog:entry:draft"),
            "pager": _pager(request, listing.total, number, "/catalog/mine", status=status),
        },
    )


@router.get("/catalog/review")
async def review_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    number = _page_number(request)
    queue = await run_action(
        request, caller, "review_queue", {"offset": (number - 1) * LIST_SIZE, "limit": LIST_SIZE}
    )
    return render(
        "portal/catalog/review.html",
        {
            "page": page_chrome(request, caller, "审核队列", "catalog_review"),
            "vocab": VOCAB,
            "queue": queue,
            "offset": (number - 1) * LIST_SIZE,
            "pager": _pager(request, queue.total, number, "/catalog/review"),
        },
    )


# --- deadlines --------------------------------------------------------------------


@router.get("/catalog/deadlines")
async def deadlines_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    state = request.query_params.get("state", "")
    if state not in ("overdue", "due_soon", "on_time"):
        state = ""
    # "As of" another day: the action validates the date.
    judged_on = request.query_params.get("on") or None
    registry = runtime_of(request).registry

    def work(ctx: Context) -> dict[str, Any]:
        report = registry.run("catalog_deadlines", ctx, {"state": state or None, "on": judged_on})
        departments = [
            option
            for option in registry.run(
                "organisation_options", ctx, {"permission": "catalog:obligation:create"}
            )
            if option.kind == "department"
        ]
        published = []
        if departments and ctx.policy.holds_anywhere(ctx.actor, "catalog:entry:read_working"):
            published = registry.run(
                "entry_list", ctx, {"status": VersionStatus.PUBLISHED.value, "limit": 500}
            ).entries
        return {"report": report, "departments": departments, "published": published}

    data = await run_unit(request, caller, work, read_only=True)
    return render(
        "portal/catalog/deadlines.html",
        {
            "page": page_chrome(request, caller, "编目时限", "catalog_deadlines"),
            "vocab": VOCAB,
            "state": state,
            **data,
        },
    )


def _obligation(form: dict[str, str]) -> dict[str, Any]:
    kind = form.get("kind", "")
    return {
        "kind": kind,
        "organisation_id": (form.get("organisation_id") or None) if kind == "register" else None,
        "entry_id": (form.get("entry_id") or None) if kind == "update" else None,
        "subject": form.get("subject", ""),
        "started_on": form.get("started_on") or None,
    }


@router.post("/catalog/obligations")
async def obligation_submit(request: Request) -> Response:
    return await submit_form(
        request, "obligation_create", _obligation, lambda _: "/catalog/deadlines"
    )
