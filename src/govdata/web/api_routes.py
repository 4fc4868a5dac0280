"""Turning actions into JSON API routes.

Every route is a thin adapter: read the body, identify the caller, check
CSRF for cookie sessions, run one action in one transaction, render JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, Literal, get_type_hints

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field, TypeAdapter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from govdata.actions import ActionRegistry
from govdata.errors import InvalidInput, UnsupportedMediaType
from govdata.web.auth import CSRF_HEADER, Caller, authenticate, require_csrf
from govdata.web.runtime import client_address_of, request_id_of, runtime_of

Source = Literal["query", "body"]


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. invalid_input")
    message: str = Field(description="What went wrong, in Chinese")
    fields: dict[str, str] | None = Field(default=None, description="Problems per input field")


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class SchemaCollector:
    """JSON schemas for OpenAPI, with shared models gathered as components."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def schema(
        self, annotation: Any, mode: Literal["validation", "serialization"]
    ) -> dict[str, Any]:
        schema = TypeAdapter(annotation).json_schema(
            ref_template="#/components/schemas/{model}", mode=mode
        )
        self.components.update(schema.pop("$defs", {}))
        return schema

    def json_content(self, annotation: Any) -> dict[str, Any]:
        return {"application/json": {"schema": self.schema(annotation, "serialization")}}

    def responses(self, status_code: int, annotation: Any) -> dict[str, Any]:
        return {
            str(status_code): {"description": "成功", "content": self.json_content(annotation)},
            "4XX": {
                "description": "调用方可纠正的错误（代码见 error.code）",
                "content": self.json_content(ErrorBody),
            },
            "5XX": {
                "description": "服务端错误：internal_error（不含细节）或 storage_busy（可重试）",
                "content": self.json_content(ErrorBody),
            },
        }


def parse_json_object(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The JSON object a request carries. Only ``application/json`` is read, so
    that a cross-site form (text/plain) can never pass for an API call."""
    if not body.strip():
        return {}
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType("请求体须为JSON（Content-Type: application/json）")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise InvalidInput(f"请求体不是合法的JSON：{exc}", code="malformed_json") from None
    if not isinstance(value, dict):
        raise InvalidInput("请求体应为JSON对象", code="malformed_json")
    return value


async def request_data(request: Request, body: bytes, source: Source) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if source == "body":
        data.update(parse_json_object(body, request.headers.get("content-type")))
    else:
        for key in request.query_params:
            data[key] = request.query_params[key]
    data.update(request.path_params)
    return data


async def run_as(request: Request, caller: Caller, name: str, data: dict[str, Any]) -> Any:
    """Run the action ``name`` for ``caller`` in a worker thread."""
    rt = runtime_of(request)
    return await run_in_threadpool(
        rt.run_action, caller.actor, request_id_of(request), name, data, client_address_of(request)
    )


def action_endpoint(
    name: str, source: Source, status_code: int
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        body = await request.body()
        caller = await authenticate(request, body)
        require_csrf(request, caller, request.headers.get(CSRF_HEADER))
        data = await request_data(request, body, source)
        result = await run_as(request, caller, name, data)
        return JSONResponse(jsonable_encoder(result), status_code=status_code)

    endpoint.__name__ = name
    return endpoint


def add_action_route(
    router: APIRouter,
    registry: ActionRegistry,
    schemas: SchemaCollector,
    *,
    method: str,
    path: str,
    action: str,
    tags: list[str | Enum],
    status_code: int = 200,
    endpoint: Callable[[Request], Awaitable[Response]] | None = None,
    description: str | None = None,
) -> None:
    """Add one action's route; ``endpoint`` replaces the default adapter (the
    services audit refused signatures), ``description`` adds OpenAPI prose."""
    spec = registry.get(action)
    # GET and DELETE carry their input in the path and the query string.
    source: Source = "query" if method in {"GET", "DELETE"} else "body"
    path_fields = re.findall(r"{(\w+)}", path)
    input_schema = schemas.schema(spec.input_model, "validation")
    properties: dict[str, Any] = input_schema.get("properties", {})
    required = set(input_schema.get("required", []))
    parameters: list[dict[str, Any]] = [
        {
            "name": field,
            "in": "path",
            "required": True,
            "schema": properties.get(field, {"type": "string"}),
        }
        for field in path_fields
    ]
    returns = get_type_hints(spec.func)["return"]
    extra: dict[str, Any] = {
        "parameters": parameters,
        "responses": schemas.responses(status_code, returns),
    }
    body_fields = {name: prop for name, prop in properties.items() if name not in path_fields}
    if source == "body":
        body_schema = {
            **input_schema,
            "properties": body_fields,
            "required": sorted(required & set(body_fields)),
        }
        extra["requestBody"] = {
            "content": {"application/json": {"schema": body_schema}},
            "required": bool(body_schema["required"]),
        }
    else:
        parameters.extend(
            {"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in body_fields.items()
        )
    router.add_api_route(
        path,
        endpoint or action_endpoint(action, source, status_code),
        methods=[method],
        summary=spec.summary,
        description=description or "",
        operation_id=action,
        tags=tags,
        status_code=status_code,
        openapi_extra=extra,
    )
