"""Portal pages for everyone: home, login and logout, the organisation tree."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govdata.accounts.session_actions import LoginOutcome
from govdata.actions import Context
from govdata.authz import ANONYMOUS, OrgRef
from govdata.errors import Forbidden
from govdata.portal.common import (
    current_caller,
    page_chrome,
    read_form,
    run_action,
    run_unit,
    safe_next,
)
from govdata.portal.rendering import render
from govdata.web.api import set_session_cookie
from govdata.web.auth import SESSION_COOKIE, Caller, require_signed_in
from govdata.web.runtime import request_id_of, runtime_of

LOGIN_CSRF_COOKIE = "govdata_login_csrf"

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request) -> Response:
    caller = await current_caller(request)

    def work(ctx: Context) -> dict[str, Any]:
        registry = runtime_of(request).registry
        return {
            "node": registry.run("node_show", ctx, {}),
            "stats": registry.run("organisation_stats", ctx, {}),
        }

    data = await run_unit(request, caller, work, read_only=True)
    return render(
        "portal/home.html", {"page": page_chrome(request, caller, "首页", "home"), **data}
    )


@router.get("/login")
async def login_form(request: Request) -> Response:
    caller = await current_caller(request)
    token = secrets.token_urlsafe(24)
    response = render(
        "portal/login.html",
        {
            "page": page_chrome(request, caller, "登录", "login"),
            "login_csrf": token,
            "next": safe_next(request.query_params.get("next")),
            "error": None,
            "notice": "密码已修改，请用新密码登录。"
            if request.query_params.get("changed") == "1"
            else None,
        },
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie_token or not secrets.compare_digest(cookie_token, data.get("csrf_token", "")):
        raise Forbidden("登录表单已过期，请刷新页面后重试", code="csrf_failed")
    rt = runtime_of(request)
    outcome: LoginOutcome = await run_in_threadpool(
        rt.run_action,
        ANONYMOUS,
        request_id_of(request),
        "session_login",
        {"username": data.get("username", ""), "password": data.get("password", "")},
    )
    if outcome.result is None:
        token = secrets.token_urlsafe(24)
        response = render(
            "portal/login.html",
            {
                "page": page_chrome(request, Caller(ANONYMOUS), "登录", "login"),
                "login_csrf": token,
                "next": safe_next(data.get("next")),
                "error": outcome.refusal_message,
            },
            status_code=401,
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login"
        )
        return response
    redirect = RedirectResponse(safe_next(data.get("next")), status_code=303)
    set_session_cookie(
        redirect, outcome.result.token, rt.settings.session_hours, secure=rt.settings.secure_cookies
    )
    redirect.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return redirect


@router.post("/logout")
async def logout(request: Request) -> Response:
    caller = await current_caller(request)
    await read_form(request, caller)
    if caller.session_token:
        token = caller.session_token
        await run_action(request, caller, "session_logout", {"token": token})
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/orgs")
async def org_tree(request: Request) -> Response:
    caller = await current_caller(request)
    tree = await run_action(request, caller, "organisation_tree", {})
    return render(
        "portal/orgs.html", {"page": page_chrome(request, caller, "组织机构", "orgs"), "tree": tree}
    )


@router.get("/orgs/{org_id}")
async def org_detail(request: Request, org_id: str) -> Response:
    caller = await current_caller(request)
    registry = runtime_of(request).registry

    def work(ctx: Context) -> dict[str, Any]:
        org = registry.run("organisation_show", ctx, {"id": org_id})
        subtree = registry.run("organisation_tree", ctx, {"root_id": org_id})
        children = subtree[0].children if subtree else []
        target = OrgRef(id=org.id, path=org.path)
        can_add = ctx.can("orgs:department:create", target)
        users = (
            registry.run("user_list", ctx, {"organisation_id": org_id})
            if ctx.can("accounts:user:read", target)
            else None
        )
        return {"org": org, "children": children, "can_add_department": can_add, "users": users}

    data = await run_unit(request, caller, work, read_only=True)
    return render(
        "portal/org_detail.html",
        {"page": page_chrome(request, caller, data["org"].name, "orgs"), **data},
    )


@router.post("/orgs/{org_id}/departments")
async def department_submit(request: Request, org_id: str) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    data = await read_form(request, caller)
    payload = {
        "name": data.get("name", ""),
        "credit_code": data.get("credit_code", ""),
        "parent_id": org_id,
    }
    created = await run_action(request, caller, "department_create", payload)
    return RedirectResponse(f"/orgs/{created.id}", status_code=303)
