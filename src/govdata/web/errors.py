"""Rendering errors: JSON for the API, a Chinese HTML page for the portal."""

from __future__ import annotations

from typing import cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from govdata.errors import GovdataError, InvalidInput, MethodNotAllowed, NotFound
from govdata.log import get_logger
from govdata.portal.rendering import render_error_page

log = get_logger(__name__)


def wants_json(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    if path.startswith("/api/") or path in {"/healthz", "/metrics"}:
        return True
    accept = dict(scope.get("headers", [])).get(b"accept", b"").decode("latin-1")
    return "application/json" in accept and "text/html" not in accept


def error_response(scope: Scope, error: GovdataError) -> Response:
    if wants_json(scope):
        return JSONResponse(error.to_dict(), status_code=error.http_status)
    return render_error_page(scope, error)


def install_error_handlers(app: FastAPI) -> None:
    async def on_govdata_error(request: Request, exc: Exception) -> Response:
        return error_response(request.scope, cast("GovdataError", exc))

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        fields: dict[str, str] = {}
        for err in cast("RequestValidationError", exc).errors():
            loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
            fields[loc or "body"] = str(err.get("msg", ""))
        return error_response(request.scope, InvalidInput(fields=fields))

    async def on_http_error(request: Request, raised: Exception) -> Response:
        exc = cast("StarletteHTTPException", raised)
        if exc.status_code == 404:
            missing = NotFound("页面或接口不存在", code="route_not_found")
            return error_response(request.scope, missing)
        if exc.status_code == 405:
            return error_response(request.scope, MethodNotAllowed())
        return error_response(
            request.scope,
            GovdataError(str(exc.detail), code="http_error", status=exc.status_code),
        )

    app.add_exception_handler(GovdataError, on_govdata_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
