"""Portal pages of the delivery methods: bulk deliveries (start one from a grant,
follow its parts, download its files with the portal session), subscriptions
(create, follow lag and acknowledged version, cancel) and the service test
console (a consumer officer calls the query or verification service on behalf
of one of its department's applications)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from govdata.errors import GovdataError
from govdata.portal.common import (
    current_caller,
    login_redirect,
    page_chrome,
    read_form,
    run_action,
    submit_form,
)
from govdata.portal.rendering import render
from govdata.portal.sharing_pages import department_applications
from govdata.sharing.delivery_schemas import DeliveryFile
from govdata.sharing.terms import METHOD_LABELS, STRATEGY_LABELS
from govdata.web.auth import Caller, require_signed_in

router = APIRouter(include_in_schema=False)

DELIVERY_STATUS_LABELS = {
    "queued": "排队中",
    "running": "交付中",
    "succeeded": "已完成",
    "failed": "失败",
}
SUBSCRIPTION_STATUS_LABELS = {"active": "正常", "stalled": "已停滞", "cancelled": "已取消"}
TRANSPORT_LABELS = {"outbox": "发件箱（接口拉取）", "nats": "NATS JetStream"}
FORMATS = {"csv": ".csv", "parquet": ".parquet"}
CONSOLE_METHODS = ("query", "verify")
LABELS = {
    "delivery_status_labels": DELIVERY_STATUS_LABELS,
    "subscription_status_labels": SUBSCRIPTION_STATUS_LABELS,
    "transport_labels": TRANSPORT_LABELS,
    "method_labels": METHOD_LABELS,
    "strategy_labels": STRATEGY_LABELS,
}


async def _grants_with(request: Request, caller: Caller, methods: tuple[str, ...]) -> list[Any]:
    """The live grants to the caller's department carrying one of ``methods``."""
    page = await run_action(request, caller, "grant_list", {"status": "active", "limit": 500})
    org = caller.actor.organisation_id
    return [
        grant
        for grant in page.grants
        if grant.live and grant.grantee_org_id == org and set(methods) & set(grant.methods)
    ]


# --- bulk deliveries ------------------------------------------------------------------


@router.get("/sharing/deliveries")
async def deliveries_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    query: dict[str, Any] = {"limit": 200}
    grant_id = request.query_params.get("grant_id", "")
    if grant_id:
        query["grant_id"] = grant_id
    page = await run_action(request, caller, "delivery_list", query)
    return render(
        "portal/sharing/deliveries.html",
        {
            "page": page_chrome(request, caller, "批量交付", "sharing_deliveries"),
            "result": page,
            "grants": await _grants_with(request, caller, ("bulk",)),
            "grant_id": grant_id,
        }
        | LABELS,
    )


@router.post("/sharing/deliveries")
async def delivery_submit(request: Request) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    form = await read_form(request, caller)
    started = await run_action(
        request, caller, "delivery_start", {"grant_id": form.get("grant_id", "")}
    )
    chosen = form.get("format", "")
    suffix = f"?format={chosen}" if chosen in FORMATS else ""
    return RedirectResponse(f"/sharing/deliveries/{started.id}{suffix}", status_code=303)


@router.get("/sharing/deliveries/{delivery_id}")
async def delivery_page(request: Request, delivery_id: str) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    delivery = await run_action(request, caller, "delivery_get", {"id": delivery_id})
    chosen = request.query_params.get("format", "")
    files = [f for f in delivery.files if chosen not in FORMATS or f.name.endswith(FORMATS[chosen])]
    percent = 100 * delivery.parts_done // delivery.parts_total if delivery.parts_total else 100
    return render(
        "portal/sharing/delivery.html",
        {
            "page": page_chrome(request, caller, "批量交付详情", "sharing_deliveries"),
            "d": delivery,
            "files": files,
            "format": chosen if chosen in FORMATS else "",
            "percent": percent,
            "downloadable": delivery.status == "succeeded" and delivery.target == "files",
        }
        | LABELS,
    )


@router.get("/sharing/deliveries/{delivery_id}/files/{name}")
async def delivery_download(request: Request, delivery_id: str, name: str) -> Response:
    """A delivered file with the portal session (``delivery_file``: the grantee's
    consumer officers, while the grant is live)."""
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    found: DeliveryFile = await run_action(
        request, caller, "delivery_file", {"id": delivery_id, "name": name}
    )
    return FileResponse(found.path, media_type=found.media_type, filename=found.name)


# --- subscriptions ----------------------------------------------------------------------


@router.get("/sharing/subscriptions")
async def subscriptions_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    page = await run_action(request, caller, "subscription_list", {"limit": 200})
    pending: dict[str, list[Any]] = {}
    for subscription in page.subscriptions:
        if subscription.status != "cancelled" and subscription.pending_batches:
            listed = await run_action(
                request, caller, "subscription_batch_list", {"id": subscription.id}
            )
            pending[subscription.id] = listed.batches
    return render(
        "portal/sharing/subscriptions.html",
        {
            "page": page_chrome(request, caller, "数据订阅", "sharing_subscriptions"),
            "result": page,
            "pending": pending,
            "receiving_org": caller.actor.organisation_id,
            "grants": await _grants_with(request, caller, ("subscription",)),
        }
        | LABELS,
    )


@router.post("/sharing/subscriptions")
async def subscription_submit(request: Request) -> Response:
    return await submit_form(
        request,
        "subscription_create",
        lambda f: {"grant_id": f.get("grant_id", "")},
        lambda _f: "/sharing/subscriptions",
    )


@router.post("/sharing/subscriptions/{subscription_id}/ack")
async def subscription_ack(request: Request, subscription_id: str) -> Response:
    """确认接收: ``subscription_ack`` as the API runs it (up to the sequence, inclusive)."""
    return await submit_form(
        request,
        "subscription_ack",
        lambda f: {"id": subscription_id, "sequence": f.get("sequence", "")},
        lambda _f: "/sharing/subscriptions",
    )


@router.post("/sharing/subscriptions/{subscription_id}/cancel")
async def subscription_cancel(request: Request, subscription_id: str) -> Response:
    return await submit_form(
        request,
        "subscription_cancel",
        lambda _f: {"id": subscription_id},
        lambda _f: "/sharing/subscriptions",
    )


# --- the service test console -----------------------------------------------------------


def _pairs(text: str) -> dict[str, str]:
    """``列名=值`` lines (``=`` or ``：``/``:``) as a mapping; blank lines are skipped."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        for separator in ("=", "：", ":"):
            if separator in line:
                name, value = line.split(separator, 1)
                if name.strip():
                    values[name.strip()] = value.strip()
                break
    return values


@dataclass(frozen=True)
class ConsoleSource:
    """A loaded source behind a granted entry, for the console's choice of source."""

    id: str
    entry_name: str
    name: str
    key_columns: list[str]


def _entry_sources(grants: list[Any]) -> list[ConsoleSource]:
    """The callable sources the grants list (as the services choose among them): the
    console lets the caller pick one when an entry has several."""
    found: dict[str, ConsoleSource] = {}
    for grant in grants:
        for source in grant.sources:
            found.setdefault(
                source.id,
                ConsoleSource(
                    id=source.id,
                    entry_name=grant.entry_name,
                    name=source.name,
                    key_columns=list(source.key_columns),
                ),
            )
    return list(found.values())


def _call(form: dict[str, str]) -> tuple[str, dict[str, Any]]:
    method = form.get("method", "query")
    data: dict[str, Any] = {"grant_id": form.get("grant_id", "")}
    for name in ("application_id", "source_id"):
        if form.get(name):
            data[name] = form[name]
    if method == "verify":
        data["values"] = _pairs(form.get("values", ""))
        return "service_verify", data
    if form.get("key", "").strip():
        data["key"] = form["key"].strip()
    where = _pairs(form.get("where", ""))
    if where:
        data["where"] = where
    return "service_query", data


async def _console(
    request: Request,
    caller: Caller,
    form: dict[str, str],
    result: Any = None,
    error: GovdataError | None = None,
) -> Response:
    grants = await _grants_with(request, caller, CONSOLE_METHODS)
    sources = _entry_sources(grants)
    return render(
        "portal/sharing/console.html",
        {
            "page": page_chrome(request, caller, "共享服务测试台", "sharing_console"),
            "grants": grants,
            "applications": await department_applications(request, caller),
            "sources": sources,
            "form": form,
            "result": result,
            "error": error,
            "method": form.get("method", "query"),
        }
        | LABELS,
    )


@router.get("/sharing/console")
async def console_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    return await _console(request, caller, {"grant_id": request.query_params.get("grant_id", "")})


@router.post("/sharing/console")
async def console_submit(request: Request) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    form = await read_form(request, caller)
    action, data = _call(form)
    try:
        result = await run_action(request, caller, action, data)
    except GovdataError as error:
        return await _console(request, caller, form, error=error)
    return await _console(request, caller, form, result=result)
