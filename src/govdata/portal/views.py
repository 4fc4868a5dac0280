"""Portal pages: thin adapters that call actions and render templates."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govdata.accounts.session_actions import LoginOutcome
from govdata.actions import Context
from govdata.authz import ANONYMOUS, ASSIGNABLE_ROLES, ROLE_LABELS, OrgRef
from govdata.errors import Forbidden
from govdata.portal.rendering import render
from govdata.web.api import set_session_cookie
from govdata.web.auth import SESSION_COOKIE, Caller, authenticate, require_csrf, require_signed_in
from govdata.web.runtime import request_id_of, runtime_of

LOGIN_CSRF_COOKIE = "govdata_login_csrf"

router = APIRouter(include_in_schema=False)


async def _caller(request: Request) -> Caller:
    caller = await authenticate(request, b"")
    if caller.actor.is_authenticated:
        request.state.portal_user = caller.actor.name
    return caller


async def _run(request: Request, caller: Caller, work: Callable[[Context], Any]) -> Any:
    rt = runtime_of(request)
    return await run_in_threadpool(rt.unit_of_work, caller.actor, request_id_of(request), work)


async def _form(request: Request, caller: Caller) -> dict[str, str]:
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    require_csrf(request, caller, data.pop("csrf_token", None))
    return data


def _page(request: Request, caller: Caller, title: str, active: str) -> dict[str, Any]:
    rt = runtime_of(request)
    return {
        "title": title,
        "active": active,
        "node_name": rt.settings.node_name,
        "user": caller.actor.name if caller.actor.is_authenticated else None,
        "csrf_token": caller.csrf_token,
    }


def _login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


@router.get("/")
async def home(request: Request) -> Response:
    caller = await _caller(request)

    def work(ctx: Context) -> dict[str, Any]:
        registry = runtime_of(request).registry
        return {
            "node": registry.run("node_show", ctx, {}),
            "stats": registry.run("organisation_stats", ctx, {}),
        }

    data = await _run(request, caller, work)
    return render("portal/home.html", {"page": _page(request, caller, "首页", "home"), **data})


@router.get("/login")
async def login_form(request: Request) -> Response:
    caller = await _caller(request)
    token = secrets.token_urlsafe(24)
    response = render(
        "portal/login.html",
        {
            "page": _page(request, caller, "登录", "login"),
            "login_csrf": token,
            "next": _safe_next(request.query_params.get("next")),
            "error": None,
        },
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return "/"


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
                "page": _page(request, Caller(ANONYMOUS), "登录", "login"),
                "login_csrf": token,
                "next": _safe_next(data.get("next")),
                "error": outcome.refusal_message,
            },
            status_code=401,
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login"
        )
        return response
    redirect = RedirectResponse(_safe_next(data.get("next")), status_code=303)
    set_session_cookie(
        redirect, outcome.result.token, rt.settings.session_hours, secure=rt.settings.secure_cookies
    )
    redirect.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return redirect


@router.post("/logout")
async def logout(request: Request) -> Response:
    caller = await _caller(request)
    await _form(request, caller)
    if caller.session_token:
        token = caller.session_token
        await _run(
            request,
            caller,
            lambda ctx: runtime_of(request).registry.run("session_logout", ctx, {"token": token}),
        )
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/orgs")
async def org_tree(request: Request) -> Response:
    caller = await _caller(request)
    tree = await _run(
        request, caller, lambda ctx: runtime_of(request).registry.run("organisation_tree", ctx, {})
    )
    return render(
        "portal/orgs.html", {"page": _page(request, caller, "组织机构", "orgs"), "tree": tree}
    )


@router.get("/orgs/{org_id}")
async def org_detail(request: Request, org_id: str) -> Response:
    caller = await _caller(request)
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

    data = await _run(request, caller, work)
    return render(
        "portal/org_detail.html", {"page": _page(request, caller, data["org"].name, "orgs"), **data}
    )


@router.post("/orgs/{org_id}/departments")
async def department_submit(request: Request, org_id: str) -> Response:
    caller = await _caller(request)
    require_signed_in(caller)
    data = await _form(request, caller)
    payload = {
        "name": data.get("name", ""),
        "credit_code": data.get("credit_code", ""),
        "parent_id": org_id,
    }
    created = await _run(
        request,
        caller,
        lambda ctx: runtime_of(request).registry.run("department_create", ctx, payload),
    )
    return RedirectResponse(f"/orgs/{created.id}", status_code=303)


@router.get("/users")
async def users_page(request: Request) -> Response:
    caller = await _caller(request)
    if not caller.actor.is_authenticated:
        return _login_redirect(request)
    registry = runtime_of(request).registry

    def work(ctx: Context) -> dict[str, Any]:
        users = registry.run("user_list", ctx, {})
        creatable = registry.run(
            "organisation_options", ctx, {"permission": "accounts:user:create"}
        )
        return {"users": users, "creatable_orgs": creatable}

    data = await _run(request, caller, work)
    roles = [(r.value, ROLE_LABELS[r]) for r in sorted(ASSIGNABLE_ROLES)]
    return render(
        "portal/users.html",
        {"page": _page(request, caller, "用户", "users"), "roles": roles, **data},
    )


@router.post("/users")
async def user_submit(request: Request) -> Response:
    caller = await _caller(request)
    require_signed_in(caller)
    data = await _form(request, caller)
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
    await _run(
        request, caller, lambda ctx: runtime_of(request).registry.run("user_create", ctx, payload)
    )
    return RedirectResponse("/users", status_code=303)


@router.get("/applications")
async def applications_page(request: Request) -> Response:
    caller = await _caller(request)
    if not caller.actor.is_authenticated:
        return _login_redirect(request)
    registry = runtime_of(request).registry

    def work(ctx: Context) -> dict[str, Any]:
        apps = registry.run("application_list", ctx, {})
        creatable = registry.run(
            "organisation_options", ctx, {"permission": "accounts:application:create"}
        )
        return {"applications": apps, "creatable_orgs": creatable}

    data = await _run(request, caller, work)
    return render(
        "portal/applications.html",
        {"page": _page(request, caller, "应用与密钥", "applications"), "issued": None, **data},
    )


@router.post("/applications")
async def application_submit(request: Request) -> Response:
    caller = await _caller(request)
    require_signed_in(caller)
    data = await _form(request, caller)
    payload = {
        "name": data.get("name", ""),
        "organisation_id": data.get("organisation_id", ""),
        "description": data.get("description", ""),
    }
    await _run(
        request,
        caller,
        lambda ctx: runtime_of(request).registry.run("application_create", ctx, payload),
    )
    return RedirectResponse("/applications", status_code=303)


@router.post("/applications/{app_id}/keys")
async def api_key_submit(request: Request, app_id: str) -> Response:
    caller = await _caller(request)
    require_signed_in(caller)
    await _form(request, caller)
    registry = runtime_of(request).registry

    def work(ctx: Context) -> dict[str, Any]:
        issued = registry.run("api_key_create", ctx, {"application_id": app_id})
        return {
            "issued": issued,
            "applications": registry.run("application_list", ctx, {}),
            "creatable_orgs": [],
        }

    data = await _run(request, caller, work)
    return render(
        "portal/applications.html",
        {"page": _page(request, caller, "应用与密钥", "applications"), **data},
    )
