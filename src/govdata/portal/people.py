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
    submit_form,
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


def _new_user(form: dict[str, str]) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "username": form.get("username", ""),
        "display_name": form.get("display_name", ""),
        "organisation_id": form.get("organisation_id", ""),
        "password": form.get("password", ""),
        "roles": [],
    }
    if form.get("role"):
        payload["roles"] = [
            {
                "role": form["role"],
                "organisation_id": payload["organisation_id"],
                "include_subtree": form.get("include_subtree") == "on",
            }
        ]
    return payload


@router.post("/users")
async def user_submit(request: Request) -> Response:
    return await submit_form(request, "user_create", _new_user, lambda _: "/users")


@router.post("/users/{user_id}/status")
async def user_status_submit(request: Request, user_id: str) -> Response:
    return await submit_form(
        request,
        "user_set_active",
        lambda form: {"id": user_id, "active": form.get("active") == "1"},
        lambda _: "/users",
    )


@router.post("/role-assignments/{assignment_id}/revoke")
async def role_revoke_submit(request: Request, assignment_id: str) -> Response:
    return await submit_form(
        request,
        "role_revoke",
        lambda _: {"id": assignment_id},
        lambda form: safe_next(form.get("next"), "/users"),
    )


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
