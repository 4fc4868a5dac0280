"""The DCAT-AP export routes (O6): ``/api/v1/catalog/dcat.ttl`` and ``dcat.jsonld``.

A thin adapter over the ``entry_export`` action, so that the caller sees exactly what the
action shows them (open entries only when not signed in), one page of
:data:`PAGE_SIZE` entries at a time, with Hydra links to the other pages. The node is
described from the settings; its address is ``public_url``, or the address the request
came to when none is configured.

The application includes these routes with the CKAN-compatible action API, through
:func:`govdata.catalog.ckan.build_open_data_router`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from govdata.catalog.dcat import CatalogDescription, Format, Page, build_graph, page_url, serialize
from govdata.catalog.schemas import ExportPage
from govdata.errors import InvalidInput, NotFound
from govdata.settings import Settings
from govdata.web.api_routes import ErrorBody, SchemaCollector
from govdata.web.auth import authenticate
from govdata.web.runtime import request_id_of, runtime_of

PAGE_SIZE = 100
# The largest page number ``entry_export`` accepts.
MAX_PAGE = 1_000_000


class TurtleResponse(Response):
    # Starlette adds "; charset=utf-8" to text/* media types.
    media_type = "text/turtle"


class JsonLdResponse(Response):
    media_type = "application/ld+json"


def node_base_url(settings: Settings, request: Request) -> str:
    """Where this node is reached: the configured public address, else the request's."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


def catalog_description(settings: Settings, base_url: str) -> CatalogDescription:
    return CatalogDescription(
        title=f"{settings.node_name}政务信息资源目录",
        description=f"{settings.node_name}已发布的政务信息资源目录（DCAT-AP）。",
        publisher=settings.node_name,
        base_url=base_url,
    )


def page_number(request: Request) -> int:
    """The ``page`` query parameter: a whole number from 1 (default 1)."""
    raw = request.query_params.get("page", "1").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 7 and 1 <= int(raw) <= MAX_PAGE):
        raise InvalidInput(
            "页码应为1到1000000之间的整数",
            code="invalid_page",
            fields={"page": f"应为1到{MAX_PAGE}之间的整数"},
        )
    return int(raw)


def export_endpoint(
    fmt: Format, suffix: str, response_class: type[Response]
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        number = page_number(request)
        caller = await authenticate(request, await request.body())
        rt = runtime_of(request)
        exported: ExportPage = await run_in_threadpool(
            rt.run_action,
            caller.actor,
            request_id_of(request),
            "entry_export",
            {"page": number, "page_size": PAGE_SIZE},
        )
        base = node_base_url(rt.settings, request)
        page = Page(number=number, size=PAGE_SIZE, total=exported.total, url=page_url(base, suffix))
        if number > page.last:
            raise NotFound(
                f"页码超出范围：目录共{page.last}页",
                code="page_out_of_range",
                fields={"page": f"最大为{page.last}"},
            )
        graph = build_graph(catalog_description(rt.settings, base), exported.entries, page)
        text = await run_in_threadpool(serialize, graph, fmt)
        return response_class(text)

    endpoint.__name__ = f"catalog_dcat_{suffix}"
    return endpoint


def _openapi(schemas: SchemaCollector, media_type: str, syntax: str) -> dict[str, Any]:
    responses = schemas.responses(200, ErrorBody)
    responses["200"] = {
        "description": f"目录的一页（{syntax}），含 Hydra 分页链接",
        "content": {media_type: {"schema": {"type": "string"}}},
    }
    return {
        "parameters": [
            {
                "name": "page",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
                "description": f"页码，每页{PAGE_SIZE}条",
            }
        ],
        "responses": responses,
    }


# (path suffix, serialisation, response class, operation id, syntax name)
EXPORTS: tuple[tuple[str, Format, type[Response], str, str], ...] = (
    ("ttl", "turtle", TurtleResponse, "catalog_dcat_turtle", "Turtle"),
    ("jsonld", "json-ld", JsonLdResponse, "catalog_dcat_jsonld", "JSON-LD"),
)


def build_dcat_router(schemas: SchemaCollector) -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    for suffix, fmt, response_class, operation_id, syntax in EXPORTS:
        router.add_api_route(
            f"/catalog/dcat.{suffix}",
            export_endpoint(fmt, suffix, response_class),
            methods=["GET"],
            summary=f"The published catalog as DCAT-AP ({syntax}), {PAGE_SIZE} entries a page "
            "(open entries only for callers who are not signed in).",
            operation_id=operation_id,
            tags=["catalog"],
            response_class=response_class,
            openapi_extra=_openapi(schemas, str(response_class.media_type), syntax),
        )
    return router
