"""What every portal page shares: the caller, the unit of work, forms, page chrome."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govdata.actions import Context
from govdata.authz import ASSIGNABLE_ROLES, ROLE_LABELS
from govdata.web.auth import Caller, authenticate, require_csrf, require_signed_in
from govdata.web.runtime import client_address_of, request_id_of, runtime_of

# The roles a form may offer (public and member are implicit).
ASSIGNABLE_ROLE_CHOICES = [(role.value, ROLE_LABELS[role]) for role in sorted(ASSIGNABLE_ROLES)]

# Navigation entries shown to callers who hold the permission somewhere.
NAVIGATION = (
    ("users", "/users", "用户", "accounts:user:read"),
    ("applications", "/applications", "应用与密钥", "accounts:application:read"),
    ("catalog", "/catalog", "目录", "catalog:open:read"),
    ("catalog_mine", "/catalog/mine", "我的目录", "catalog:entry:draft"),
    ("catalog_review", "/catalog/review", "审核队列", "catalog:entry:review"),
    ("catalog_deadlines", "/catalog/deadlines", "编目时限", "catalog:deadline:read"),
    ("catalog_ledger", "/catalog/ledger", "一本账", "catalog:entry:read"),
    ("aggregation", "/aggregation", "数据归集", "aggregation:run:read"),
    ("libraries", "/libraries", "基础库与主题库", "library:read"),
    ("quality", "/quality", "数据质量", "quality:read"),
    ("profiles", "/profiles", "一人一档", "profile:read"),
    ("objections", "/objections", "数据异议", "objection:read"),
    ("sharing", "/sharing", "数据共享", "sharing:read"),
    ("sharing_grants", "/sharing/grants", "共享授权", "sharing:read"),
    ("sharing_return", "/sharing/return", "数据回流", "sharing:return"),
    ("sharing_deliveries", "/sharing/deliveries", "批量交付", "sharing:receive"),
    ("sharing_subscriptions", "/sharing/subscriptions", "数据订阅", "sharing:read"),
    ("sharing_console", "/sharing/console", "服务测试台", "sharing:service:call"),
    ("elements", "/elements", "数据元", "element:read"),
    ("verification", "/verification", "多源校核", "verification:read"),
    ("audit", "/audit", "审计日志", "audit:read"),
    ("audit_alerts", "/audit/alerts", "异常告警", "audit:read"),
    ("ledger", "/ledger", "存证记录", "ledger:read"),
)


async def current_caller(request: Request) -> Caller:
    """The person behind the session cookie (signed requests are for the API)."""
    caller = await authenticate(request, b"", allow_signed=False)
    if caller.actor.is_authenticated:
        # Kept for the error page, which is rendered outside the view.
        request.state.portal_user = caller.actor.name
        request.state.portal_csrf = caller.csrf_token
    return caller


async def run_unit(
    request: Request, caller: Caller, work: Callable[[Context], Any], *, read_only: bool = False
) -> Any:
    """Run ``work`` (several actions for one page) in one unit of work."""
    rt = runtime_of(request)
    return await run_in_threadpool(
        partial(rt.unit_of_work, read_only=read_only, client_address=client_address_of(request)),
        caller.actor,
        request_id_of(request),
        work,
    )


async def read_form(request: Request, caller: Caller) -> dict[str, str]:
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    require_csrf(request, caller, data.pop("csrf_token", None))
    return data


async def run_action(request: Request, caller: Caller, name: str, data: dict[str, Any]) -> Any:
    """Run one action in its own unit of work."""
    rt = runtime_of(request)
    return await run_in_threadpool(
        rt.run_action, caller.actor, request_id_of(request), name, data, client_address_of(request)
    )


FormBuilder = Callable[[dict[str, str]], dict[str, Any]]


async def submit_form(
    request: Request, action: str, build: FormBuilder, redirect_to: Callable[[dict[str, str]], str]
) -> Response:
    """A portal form that runs one action: signed-in caller, CSRF token, the
    action's input built from the form, then a redirect (303, POST-redirect-GET)."""
    caller = await current_caller(request)
    require_signed_in(caller)
    form = await read_form(request, caller)
    await run_action(request, caller, action, build(form))
    return RedirectResponse(redirect_to(form), status_code=303)


def option_ids(options: list[Any]) -> set[str]:
    """The ids of organisation_options results, for per-row decisions in templates."""
    return {str(option.id) for option in options}


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go to after a form, never another site."""
    # "//host" and "/\host" are read by browsers as another site.
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return default


def page_chrome(request: Request, caller: Caller, title: str, active: str) -> dict[str, Any]:
    rt = runtime_of(request)
    return {
        "title": title,
        "active": active,
        "node_name": rt.settings.node_name,
        "user": caller.actor.name if caller.actor.is_authenticated else None,
        "csrf_token": caller.csrf_token,
        "navigation": [
            {"key": key, "href": href, "label": label}
            for key, href, label, permission in NAVIGATION
            if rt.policy.holds_anywhere(caller.actor, permission)
        ],
    }


def login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
