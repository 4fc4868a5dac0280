"""Portal pages about applications (calling systems), their keys and their roles."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govdata.actions import Context
from govdata.portal.common import (
    ASSIGNABLE_ROLE_CHOICES,
    current_caller,
    login_redirect,
    page_chrome,
    read_form,
    run_unit,
)
from govdata.portal.rendering import render
from govdata.web.auth import require_signed_in
from govdata.web.runtime import runtime_of

router = APIRouter(include_in_schema=False)


@router.get("/applications")
async def applications_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    registry = runtime_of(request).registry

    def work(ctx: Context) -> dict[str, Any]:
        apps = registry.run("application_list", ctx, {})
        creatable = registry.run(
            "organisation_options", ctx, {"permission": "accounts:application:create"}
        )
        grantable = registry.run("organisation_options", ctx, {"permission": "accounts:role:grant"})
        return {"applications": apps, "creatable_orgs": creatable, "grantable_orgs": grantable}

    data = await run_unit(request, caller, work)
    return render(
        "portal/applications.html",
        {
            "page": page_chrome(request, caller, "应用与密钥", "applications"),
            "roles": ASSIGNABLE_ROLE_CHOICES,
            "issued": None,
            **data,
        },
    )


@router.post("/applications")
async def application_submit(request: Request) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    data = await read_form(request, caller)
    payload = {
        "name": data.get("name", ""),
        "organisation_id": data.get("organisation_id", ""),
        "description": data.get("description", ""),
    }
    await run_unit(
        request,
        caller,
        lambda ctx: runtime_of(request).registry.run("application_create", ctx, payload),
    )
    return RedirectResponse("/applications", status_code=303)


@router.post("/applications/{app_id}/keys")
async def api_key_submit(request: Request, app_id: str) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    await read_form(request, caller)
    registry = runtime_of(request).registry

    def work(ctx: Context) -> dict[str, Any]:
        issued = registry.run("api_key_create", ctx, {"application_id": app_id})
        return {
            "issued": issued,
            "applications": registry.run("application_list", ctx, {}),
            "creatable_orgs": [],
            "grantable_orgs": [],
        }

    data = await run_unit(request, caller, work)
    return render(
        "portal/applications.html",
        {
            "page": page_chrome(request, caller, "应用与密钥", "applications"),
            "roles": ASSIGNABLE_ROLE_CHOICES,
            **data,
        },
    )


@router.post("/applications/{app_id}/roles")
async def application_role_submit(request: Request, app_id: str) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    data = await read_form(request, caller)
    payload = {
        "application_id": app_id,
        "role": data.get("role", ""),
        "organisation_id": data.get("organisation_id", ""),
        "include_subtree": data.get("include_subtree") == "on",
    }
    await run_unit(
        request, caller, lambda ctx: runtime_of(request).registry.run("role_grant", ctx, payload)
    )
    return RedirectResponse("/applications", status_code=303)


@router.post("/api-keys/{key_id}/revoke")
async def api_key_revoke_submit(request: Request, key_id: str) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    await read_form(request, caller)
    await run_unit(
        request,
        caller,
        lambda ctx: runtime_of(request).registry.run("api_key_revoke", ctx, {"key_id": key_id}),
    )
    return RedirectResponse("/applications", status_code=303)
