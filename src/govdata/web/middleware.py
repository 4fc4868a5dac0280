"""ASGI middleware: request ids, body size limit and Prometheus metrics."""

from __future__ import annotations

import time
import uuid
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govdata.errors import GovdataError, InternalError, PayloadTooLarge, StorageBusy
from govdata.log import get_logger
from govdata.web.errors import error_response

REQUEST_ID_HEADER = b"x-request-id"

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

access_log = get_logger("govdata.access")
error_log = get_logger("govdata.errors")


class _BodyTooLargeError(Exception):
    pass


class BodySizeLimit:
    """Refuse bodies over ``limit`` bytes, by header or while streaming."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        *,
        large_paths: tuple[str, ...] = (),
        large_limit: int = 0,
    ) -> None:
        self.app = app
        self.limit = limit
        # File uploads (source files) have a limit of their own.
        self.large_paths = large_paths
        self.large_limit = large_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit
        if self.large_paths and str(scope.get("path", "")).startswith(self.large_paths):
            limit = max(self.large_limit, self.limit)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLargeError
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLargeError:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(scope, PayloadTooLarge(f"请求体超过{limit}字节上限"))
        await response(scope, receive, send)


class UnexpectedErrors:
    """Turn any exception that escaped the handlers into one logged 500.

    The response says nothing about the cause. A busy embedded database is a
    503 the caller may retry. The exception is logged once, here, and not
    passed on to the server, which would log it again with the whole request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def track(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, track)
        except Exception as exc:  # noqa: BLE001  (the last line of defence, by design)
            request_id = scope.get("state", {}).get("request_id")
            if _is_busy_database(exc):
                error: GovdataError = StorageBusy()
                error_log.warning("storage_busy", path=scope["path"], request_id=request_id)
            else:
                error = InternalError()
                error_log.error(
                    "unhandled_error", path=scope["path"], request_id=request_id, exc_info=exc
                )
            if not started:
                await error_response(scope, error)(scope, receive, send)


def _is_busy_database(exc: Exception) -> bool:
    return isinstance(exc, OperationalError) and "database is locked" in str(exc)


class SecurityHeaders:
    """Headers every response carries: no framing, no sniffing, no caching of
    anything but static assets, and only this node's own resources in pages."""

    HEADERS = (
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (
            b"content-security-policy",
            b"default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    )

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in self.HEADERS if h[0] not in present)
                if not cacheable and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestId:
    """Give every request an id (or keep the caller's) and echo it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The id is always the node's own: events and the audit trail must not
        # carry ids a caller chose. A caller's id is kept beside it for the log.
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER, b"").decode("latin-1")
        request_id = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        if 0 < len(given) <= 64 and given.isascii() and given.isprintable():
            state["client_request_id"] = given

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


class Metrics:
    """Request counts and latencies per route template, on a per-app registry."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "govdata_http_requests",
            "HTTP requests handled",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "govdata_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            elapsed = time.perf_counter() - started
            # Unknown methods share one label, so callers cannot grow the series.
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            self.requests.labels(method, template, str(status)).inc()
            self.latency.labels(method, template).observe(elapsed)
            access_log.info(
                "request",
                method=method,
                path=scope["path"],
                route=template,
                status=status,
                ms=round(elapsed * 1000, 1),
                request_id=scope.get("state", {}).get("request_id"),
                client_request_id=scope.get("state", {}).get("client_request_id"),
            )
