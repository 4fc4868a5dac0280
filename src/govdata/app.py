"""create_app(settings): compose the areas, middleware and error handling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import structlog
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.staticfiles import StaticFiles

from govdata import __version__
from govdata.aggregation.runner import execute_run
from govdata.aggregation.scheduler import SchedulerThread
from govdata.areas import build_policy, build_registry
from govdata.catalog.ckan import build_open_data_router
from govdata.db import READ_ONLY, Database
from govdata.log import configure_logging
from govdata.portal import (
    aggregation_pages,
    audit_pages,
    catalog_pages,
    delivery_pages,
    element_pages,
    ledger_pages,
    library_pages,
    lineage_pages,
    objection_pages,
    profile_pages,
    quality_pages,
    sharing_pages,
    verification_pages,
)
from govdata.portal import applications as application_pages
from govdata.portal import people as people_pages
from govdata.portal import views as public_pages
from govdata.services import Services, build_services
from govdata.settings import Settings
from govdata.sharing.subscriptions import DispatcherThread
from govdata.web.api import build_api_router
from govdata.web.api_routes import SchemaCollector
from govdata.web.errors import install_error_handlers
from govdata.web.heap import freeze_start_up_objects
from govdata.web.middleware import (
    BodySizeLimit,
    Metrics,
    RequestId,
    SecurityHeaders,
    UnexpectedErrors,
)
from govdata.web.runtime import Runtime, runtime_of

# Source file uploads may be far larger than any other request body.
UPLOAD_PATHS = ("/aggregation/inbox",)


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    services: Services | None = None,
    *,
    settle_heap: bool = False,
) -> FastAPI:
    """The node's app. ``settle_heap`` (a serving process: `govdata serve`) freezes
    what start-up left alive out of the garbage collector's view once the app is
    ready (govdata.web.heap); tests, which make many apps in one process, do not."""
    settings = settings or Settings()
    if not structlog.is_configured():
        # Served by another process manager than `govdata serve`: log the same way.
        configure_logging(settings)
    db = database or Database.from_url(settings.effective_database_url)
    registry = build_registry()
    metrics = CollectorRegistry()
    runtime = Runtime(
        settings=settings,
        db=db,
        registry=registry,
        policy=build_policy(),
        services=services or build_services(settings),
        metrics=metrics,
    )

    runtime.services.jobs.bind_inline(
        lambda run_id: execute_run(run_id, settings, db, runtime.services)
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(runtime.prepare)
        if settle_heap:
            freeze_start_up_objects()
        scheduler = (
            SchedulerThread(db, settings, runtime.services) if settings.scheduler_enabled else None
        )
        # Subscriptions' change batches and queued bulk deliveries (govdata.sharing).
        dispatcher = (
            DispatcherThread(db, settings, runtime.services) if settings.scheduler_enabled else None
        )
        if scheduler is not None:
            scheduler.start()
        if dispatcher is not None:
            dispatcher.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            if dispatcher is not None:
                dispatcher.stop()
            await run_in_threadpool(runtime.committer.stop)

    app = FastAPI(
        lifespan=lifespan,
        title="govdata",
        version=__version__,
        description="一体化政务大数据体系平台 API",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            document.setdefault("components", {}).setdefault("schemas", {}).update(
                schemas.components
            )
            app.openapi_schema = document
        return app.openapi_schema

    # FastAPI's documented way to extend the generated document.
    app.openapi = openapi  # type: ignore[method-assign]
    install_error_handlers(app)
    schemas = SchemaCollector()
    app.include_router(build_api_router(registry, schemas))
    app.include_router(build_open_data_router(schemas))
    for pages in (
        public_pages,
        people_pages,
        application_pages,
        catalog_pages,
        aggregation_pages,
        library_pages,
        lineage_pages,
        objection_pages,
        sharing_pages,
        delivery_pages,
        element_pages,
        ledger_pages,
        audit_pages,
        profile_pages,
        quality_pages,
        verification_pages,
    ):
        app.include_router(pages.router)
    app.add_api_route("/healthz", healthz, methods=["GET", "HEAD"], include_in_schema=False)
    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    static_dir = resources.files("govdata").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    # The middleware added last runs first: RequestId wraps SecurityHeaders wraps
    # Metrics wraps UnexpectedErrors wraps BodySizeLimit, so every response (a
    # refused body, a 500 too) is counted and carries the id and the headers.
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_body_bytes,
        large_paths=UPLOAD_PATHS,
        large_limit=settings.max_upload_bytes,
    )
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(Metrics, registry=metrics)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestId)
    return app


async def healthz(request: Request) -> Response:
    rt = runtime_of(request)

    def probe() -> bool:
        try:
            with rt.db.engine.connect().execution_options(**READ_ONLY) as connection:
                connection.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001  (any failure means unhealthy; reported, not raised)
            return False
        return True

    healthy = await run_in_threadpool(probe)
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": "ok" if healthy else "unreachable",
        "node": rt.settings.node_code,
        "version": __version__,
    }
    return JSONResponse(body, status_code=200 if healthy else 503)


async def metrics_endpoint(request: Request) -> Response:
    return Response(generate_latest(runtime_of(request).metrics), media_type=CONTENT_TYPE_LATEST)
