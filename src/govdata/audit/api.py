"""JSON API routes of the audit (method, path, action, status), and the CSV export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from govdata.actions import ActionRegistry
from govdata.audit.schemas import AuditCsv
from govdata.web.api_routes import ErrorBody, SchemaCollector
from govdata.web.auth import authenticate
from govdata.web.runtime import client_address_of, request_id_of, runtime_of

ROUTES = (
    ("GET", "/audit/events", "audit_search", 200),
    ("GET", "/audit/alerts", "audit_alert_list", 200),
    ("POST", "/audit/alerts/{id}/review", "audit_alert_review", 200),
)


def csv_response(export: AuditCsv) -> Response:
    return Response(
        export.content.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{export.filename}"'},
    )


async def export_csv(request: Request) -> Response:
    """``audit_export`` as a CSV file (a GET: nothing changes, no CSRF token needed)."""
    caller = await authenticate(request, b"")
    data: dict[str, Any] = dict(request.query_params)
    rt = runtime_of(request)
    export: AuditCsv = await run_in_threadpool(
        rt.run_action,
        caller.actor,
        request_id_of(request),
        "audit_export",
        data,
        client_address_of(request),
    )
    return csv_response(export)


def add_export_route(router: APIRouter, registry: ActionRegistry, schemas: SchemaCollector) -> None:
    spec = registry.get("audit_export")
    input_schema = schemas.schema(spec.input_model, "validation")
    required = set(input_schema.get("required", []))
    parameters = [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in input_schema.get("properties", {}).items()
    ]
    router.add_api_route(
        "/audit/events.csv",
        export_csv,
        methods=["GET"],
        tags=["audit"],
        summary=spec.summary,
        operation_id="audit_export",
        openapi_extra={
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "CSV（UTF-8，带 BOM，可直接用 Excel 打开）",
                    "content": {"text/csv": {"schema": {"type": "string"}}},
                },
                "4XX": {
                    "description": "调用方可纠正的错误（代码见 error.code）",
                    "content": schemas.json_content(ErrorBody),
                },
            },
        },
    )
