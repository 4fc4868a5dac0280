"""Portal pages about applications (calling systems), their keys and their roles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from govdata.actions import ActionRegistry, Context
from govdata.portal.common import (
    ASSIGNABLE_ROLE_CHOICES,
    current_caller,
    login_redirect,
    option_ids,
    page_chrome,
    read_form,
    run_unit,
    submit_form,
)
from govdata.portal.rendering import render
from govdata.web.auth import Caller, require_signed_in
from govdata.web.runtime import runtime_of

router = APIRouter(include_in_schema=False)


def _page_data(ctx: Context, registry: ActionRegistry) -> dict[str, Any]:
    """Everything the applications page shows, decided by the caller's permissions."""
    options = {
        key: registry.run("organisation_options", ctx, {"permission": permission})
        for key, permission in (
            ("creatable_orgs", "accounts:application:create"),
            ("grantable_orgs", "accounts:role:grant"),
            ("key_orgs", "accounts:application:manage_keys"),
        )
    }
    return {
        "applications": registry.run("application_list", ctx, {}),
        "creatable_orgs": options["creatable_orgs"],
        "grantable_orgs": options["grantable_orgs"],
        "grantable_ids": option_ids(options["grantable_orgs"]),
        "key_org_ids": option_ids(options["key_orgs"]),
    }


def _render(request: Request, caller: Caller, data: dict[str, Any]) -> Response:
    return render(
        "portal/applications.html",
        {
            "page": page_chrome(request, caller, "应用与密钥", "applications"),
            "roles": ASSIGNABLE_ROLE_CHOICES,
            "issued": None,
            **data,
        },
    )


@router.get("/applications")
async def applications_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    registry = runtime_of(request).registry
    data = await run_unit(request, caller, lambda ctx: _page_data(ctx, registry), read_only=True)
    return _render(request, caller, data)


@router.post("/applications")
async def application_submit(request: Request) -> Response:
    return await submit_form(
        request,
        "application_create",
        lambda form: {
            "name": form.get("name", ""),
            "organisation_id": form.get("organisation_id", ""),
            "description": form.get("description", ""),
        },
        lambda _: "/applications",
    )


@router.post("/applications/{app_id}/keys")
async def api_key_submit(request: Request, app_id: str) -> Response:
    """Issue a key and show its secret once, on the page itself (never in a URL)."""
    caller = await current_caller(request)
    require_signed_in(caller)
    await read_form(request, caller)
    registry = runtime_of(request).registry

    def work(ctx: Context) -> dict[str, Any]:
        issued = registry.run("api_key_create", ctx, {"application_id": app_id})
        return {**_page_data(ctx, registry), "issued": issued}

    data = await run_unit(request, caller, work)
    return _render(request, caller, data)


@router.post("/applications/{app_id}/status")
async def application_status_submit(request: Request, app_id: str) -> Response:
    return await submit_form(
        request,
        "application_set_active",
        lambda form: {"id": app_id, "active": form.get("active") == "1"},
        lambda _: "/applications",
    )


@router.post("/applications/{app_id}/roles")
async def application_role_submit(request: Request, app_id: str) -> Response:
    return await submit_form(
        request,
        "role_grant",
        lambda form: {
            "application_id": app_id,
            "role": form.get("role", ""),
            "organisation_id": form.get("organisation_id", ""),
            "include_subtree": form.get("include_subtree") == "on",
        },
        lambda _: "/applications",
    )


@router.post("/api-keys/{key_id}/revoke")
async def api_key_revoke_submit(request: Request, key_id: str) -> Response:
    return await submit_form(
        request, "api_key_revoke", lambda _: {"key_id": key_id}, lambda _: "/applications"
    )
