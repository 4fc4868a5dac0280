"""Template rendering for the portal, and the HTML error page."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse, Response
from starlette.types import Scope

from govdata.authz import ROLE_LABELS, Role
from govdata.errors import GovdataError
from govdata.orgs.codes import DIVISION_LEVEL_LABELS, DivisionLevel

BEIJING = ZoneInfo("Asia/Shanghai")


def _local_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def _level_label(value: str) -> str:
    try:
        return DIVISION_LEVEL_LABELS[DivisionLevel(value)]
    except ValueError:
        return value


def _role_label(value: str) -> str:
    try:
        return ROLE_LABELS[Role(value)]
    except ValueError:
        return value


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("govdata", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local_time"] = _local_time
    env.filters["level_label"] = _level_label
    env.filters["role_label"] = _role_label
    return env


def render(template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code)


def render_error_page(scope: Scope, error: GovdataError) -> Response:
    state = scope.get("state", {})
    return render(
        "portal/error.html",
        {
            "error": error,
            "page": {
                "title": "出错了",
                "user": state.get("portal_user"),
                "node_name": None,
                "csrf_token": state.get("portal_csrf"),
            },
            "request_id": state.get("request_id"),
        },
        status_code=error.http_status,
    )
