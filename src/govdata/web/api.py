"""The /api/v1 router: every area's action routes plus login and logout."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from govdata.accounts import api as accounts_api
from govdata.accounts.schemas import LoginInput, UserOut
from govdata.accounts.session_actions import LoginOutcome
from govdata.actions import ActionRegistry
from govdata.aggregation import api as aggregation_api
from govdata.audit import api as audit_api
from govdata.authz import ANONYMOUS
from govdata.catalog import api as catalog_api
from govdata.elements import api as elements_api
from govdata.ledger import api as ledger_api
from govdata.libraries import api as library_api
from govdata.lineage import api as lineage_api
from govdata.nodes import api as nodes_api
from govdata.objections import api as objections_api
from govdata.orgs import api as orgs_api
from govdata.profiles import api as profiles_api
from govdata.quality import api as quality_api
from govdata.sharing import api as sharing_api
from govdata.sharing import delivery_api as sharing_delivery_api
from govdata.sharing import service_api
from govdata.verification import api as verification_api
from govdata.web.api_routes import SchemaCollector, add_action_route, parse_json_object
from govdata.web.auth import CSRF_HEADER, SESSION_COOKIE, authenticate, require_csrf
from govdata.web.runtime import request_id_of, runtime_of


class LoginResponse(BaseModel):
    """What a login returns; the session token itself travels only in the cookie."""

    csrf_token: str
    expires_at: datetime
    user: UserOut


AREA_ROUTES = (
    ("nodes", nodes_api.ROUTES),
    ("orgs", orgs_api.ROUTES),
    ("accounts", accounts_api.ROUTES),
    ("catalog", catalog_api.ROUTES),
    ("aggregation", aggregation_api.ROUTES),
    ("libraries", library_api.ROUTES),
    ("lineage", lineage_api.ROUTES),
    ("elements", elements_api.ROUTES),
    ("objections", objections_api.ROUTES),
    ("sharing", sharing_api.ROUTES),
    ("sharing", sharing_delivery_api.ROUTES),
    ("ledger", ledger_api.ROUTES),
    ("audit", audit_api.ROUTES),
    ("quality", quality_api.ROUTES),
    ("profiles", profiles_api.ROUTES),
    ("verification", verification_api.ROUTES),
)


def build_api_router(registry: ActionRegistry, schemas: SchemaCollector) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    for tag, routes in AREA_ROUTES:
        for method, path, action, status in routes:
            add_action_route(
                router,
                registry,
                schemas,
                method=method,
                path=path,
                action=action,
                tags=[tag],
                status_code=status,
            )
    router.add_api_route(
        "/session",
        login,
        methods=["POST"],
        tags=["accounts"],
        summary="Log in with username and password; sets the session cookie.",
        operation_id="session_login",
        status_code=201,
        openapi_extra={
            "requestBody": {
                "content": {
                    "application/json": {"schema": schemas.schema(LoginInput, "validation")}
                },
                "required": True,
            },
            "responses": schemas.responses(201, LoginResponse),
        },
    )
    router.add_api_route(
        "/session",
        logout,
        methods=["DELETE"],
        tags=["accounts"],
        summary="Log out (cookie session; send X-CSRF-Token).",
        operation_id="session_logout",
        openapi_extra={"responses": schemas.responses(200, dict[str, str])},
    )
    audit_api.add_export_route(router, registry, schemas)
    sharing_delivery_api.add_download_route(router, registry, schemas)
    service_api.add_routes(router, registry, schemas)
    return router


async def login(request: Request) -> Response:
    rt = runtime_of(request)
    data = parse_json_object(await request.body(), request.headers.get("content-type"))
    outcome: LoginOutcome = await run_in_threadpool(
        rt.run_action, ANONYMOUS, request_id_of(request), "session_login", data
    )
    result = outcome.raise_if_refused()
    response = JSONResponse(
        jsonable_encoder(
            {"csrf_token": result.csrf_token, "expires_at": result.expires_at, "user": result.user}
        ),
        status_code=201,
    )
    set_session_cookie(
        response, result.token, rt.settings.session_hours, secure=rt.settings.secure_cookies
    )
    return response


async def logout(request: Request) -> Response:
    rt = runtime_of(request)
    body = await request.body()
    caller = await authenticate(request, body)
    require_csrf(request, caller, request.headers.get(CSRF_HEADER))
    await run_in_threadpool(
        rt.run_action,
        caller.actor,
        request_id_of(request),
        "session_logout",
        {"token": caller.session_token or "-"},
    )
    response = JSONResponse({"status": "logged_out"})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def set_session_cookie(response: Response, token: str, hours: int, *, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=hours * 3600,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
