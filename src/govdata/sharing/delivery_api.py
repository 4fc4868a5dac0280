"""JSON API routes of bulk delivery and subscriptions, and the download route."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from govdata.actions import ActionRegistry
from govdata.sharing.delivery_schemas import DeliveryFile
from govdata.web.api_routes import ErrorBody, SchemaCollector
from govdata.web.auth import authenticate
from govdata.web.runtime import client_address_of, request_id_of, runtime_of

ROUTES = (
    ("GET", "/sharing/deliveries", "delivery_list", 200),
    ("POST", "/sharing/deliveries", "delivery_start", 201),
    ("GET", "/sharing/deliveries/{id}", "delivery_get", 200),
    ("GET", "/sharing/subscriptions", "subscription_list", 200),
    ("POST", "/sharing/subscriptions", "subscription_create", 201),
    ("POST", "/sharing/subscriptions/{id}/cancel", "subscription_cancel", 200),
    ("GET", "/sharing/subscriptions/{id}/batches", "subscription_batch_list", 200),
    ("POST", "/sharing/subscriptions/{id}/pull", "subscription_pull", 200),
    ("POST", "/sharing/subscriptions/{id}/ack", "subscription_ack", 200),
)
DOWNLOAD_PATH = "/sharing/deliveries/{id}/files/{name}"


async def download(request: Request) -> Response:
    """``delivery_file`` as the file itself (a GET: nothing changes, no CSRF token)."""
    caller = await authenticate(request, b"")
    rt = runtime_of(request)
    found: DeliveryFile = await run_in_threadpool(
        rt.run_action,
        caller.actor,
        request_id_of(request),
        "delivery_file",
        dict(request.path_params),
        client_address_of(request),
    )
    return FileResponse(found.path, media_type=found.media_type, filename=found.name)


def add_download_route(
    router: APIRouter, registry: ActionRegistry, schemas: SchemaCollector
) -> None:
    spec = registry.get("delivery_file")
    router.add_api_route(
        DOWNLOAD_PATH,
        download,
        methods=["GET"],
        tags=["sharing"],
        summary=spec.summary,
        operation_id="delivery_file",
        openapi_extra={
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {
                    "description": "交付文件（CSV、Parquet 或清单 JSON）",
                    "content": {"application/octet-stream": {"schema": {"type": "string"}}},
                },
                "4XX": {
                    "description": "调用方可纠正的错误（代码见 error.code）",
                    "content": schemas.json_content(ErrorBody),
                },
            },
        },
    )
