"""Hostile or broken input gets a clear error with a stable code, never a 500."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
import structlog
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.accounts.models import User
from govdata.app import create_app
from govdata.db import Database
from govdata.log import configure_logging
from govdata.settings import Settings
from tests.factories import login


def error_code(response: object) -> str:
    code: str = response.json()["error"]["code"]  # type: ignore[attr-defined]
    return code


@pytest.mark.parametrize(
    "body",
    [
        b'{"username": "admin", "password": "x", "n": ' + b"1" * 5000 + b"}",
        b"[" * 10_000 + b"]" * 10_000,
        b'{"username": "\xff\xfe"}',
        b'{"username": "admin"',
    ],
    ids=["huge-integer", "deep-nesting", "not-utf8", "truncated"],
)
def test_unparseable_json_is_malformed_json(client: TestClient, body: bytes) -> None:
    response = client.post(
        "/api/v1/session", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert error_code(response) == "malformed_json"


def test_a_body_that_is_not_declared_json_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/v1/session",
        content=b'{"username": "admin", "password": "Govdata-Demo-2026"}',
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("POST", "/api/v1/session", {"username": "ad\u0000min", "password": "x"}),
        ("GET", "/api/v1/organisations/a%00b", None),
        ("GET", "/api/v1/organisation-lookup/x%00y", None),
        ("GET", "/api/v1/organisations?root_id=a%00", None),
    ],
)
def test_control_characters_are_invalid_input(
    client: TestClient, method: str, path: str, payload: dict[str, str] | None
) -> None:
    response = client.request(method, path, json=payload)
    assert response.status_code == 422
    assert error_code(response) == "invalid_input"


def test_control_characters_in_a_name_are_refused_and_nothing_is_written(
    client: TestClient, session: Session
) -> None:
    csrf = login(client, "admin")
    org_id = client.get("/api/v1/organisation-lookup/150000").json()["id"]
    response = client.post(
        "/api/v1/users",
        json={
            "username": "nul.user",
            "display_name": "A\u0000B",
            "organisation_id": org_id,
            "password": "Str0ng-Passw0rd!",
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 422
    assert "display_name" in response.json()["error"]["fields"]
    assert session.scalar(select(User).where(User.username == "nul.user")) is None


@pytest.fixture
def console_logging(settings: Settings) -> Iterator[io.StringIO]:
    """The node's console logging, written to a buffer the test can read."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    config = structlog.get_config()
    configure_logging(settings)
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.configure(**config)


def test_a_500_is_logged_once_without_the_request_or_local_variables(
    settings: Settings, db: Database, console_logging: io.StringIO
) -> None:
    app: FastAPI = create_app(settings, db)

    async def explode(request: Request) -> None:
        body = await request.body()
        raise RuntimeError(f"failed after reading {len(body)} bytes")

    app.add_api_route("/api/v1/explode", explode, methods=["POST"])
    with TestClient(app) as test_client:
        response = test_client.post("/api/v1/explode", json={"password": "Secret-Passw0rd-123"})
    assert response.status_code == 500
    assert error_code(response) == "internal_error"
    logged = console_logging.getvalue()
    assert "RuntimeError" in logged
    assert logged.count("unhandled_error") == 1
    assert "Secret-Passw0rd-123" not in logged
