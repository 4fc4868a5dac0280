"""Portal pages about people: the user list, creating users, one's own account."""

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
    option_ids,
    page_chrome,
    read_form,
    run_action,
    run_unit,
    safe_next,
)
from govdata.portal.rendering import render
from govdata.web.auth import SESSION_COOKIE, require_signed_in
from govdata.web.runtime import runtime_of

router = APIRouter(include_in_schema=False)


@router.get("/users")
async def users_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    registry = runtime_of(request).registry

    def work(ctx: Context) -> dict[str, Any]:
        def allowed(permission: str) -> list[Any]:
            return list(registry.run("organisation_options", ctx, {"permission": permission}))

        return {
            "users": registry.run("user_list", ctx, {}),
            "creatable_orgs": allowed("accounts:user:create"),
            "manageable_ids": option_ids(allowed("accounts:user:manage")),
            "grantable_ids": option_ids(allowed("accounts:role:grant")),
        }

    data = await run_unit(request, caller, work, read_only=True)
    return render(
        "portal/users.html",
        {
            "page": page_chrome(request, caller, "用户", "users"),
            "roles": ASSIGNABLE_ROLE_CHOICES,
            **data,
        },
    )


@router.post("/users")
async def user_submit(request: Request) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    data = await read_form(request, caller)
    payload: dict[str, Any] = {
        "username": data.get("username", ""),
        "display_name": data.get("display_name", ""),
        "organisation_id": data.get("organisation_id", ""),
        "password": data.get("password", ""),
        "roles": [],
    }
    if data.get("role"):
        payload["roles"] = [
            {
                "role": data["role"],
                "organisation_id": payload["organisation_id"],
                "include_subtree": data.get("include_subtree") == "on",
            }
        ]
    await run_action(request, caller, "user_create", payload)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}/status")
async def user_status_submit(request: Request, user_id: str) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    data = await read_form(request, caller)
    payload = {"id": user_id, "active": data.get("active") == "1"}
    await run_action(request, caller, "user_set_active", payload)
    return RedirectResponse("/users", status_code=303)


@router.post("/role-assignments/{assignment_id}/revoke")
async def role_revoke_submit(request: Request, assignment_id: str) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    data = await read_form(request, caller)
    await run_action(request, caller, "role_revoke", {"id": assignment_id})
    return RedirectResponse(safe_next(data.get("next"), "/users"), status_code=303)


@router.get("/account")
async def account_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated or caller.actor.id is None:
        return login_redirect(request)
    user_id = caller.actor.id
    me = await run_action(request, caller, "user_show", {"id": user_id})
    return render(
        "portal/account.html",
        {
            "page": page_chrome(request, caller, "我的账号", "account"),
            "me": me,
        },
    )


@router.post("/account/password")
async def password_submit(request: Request) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    data = await read_form(request, caller)
    payload = {
        "current_password": data.get("current_password", ""),
        "new_password": data.get("new_password", ""),
    }
    await run_action(request, caller, "password_change", payload)
    # Changing the password ended every session, this one included.
    response = RedirectResponse("/login?changed=1&next=/account", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
