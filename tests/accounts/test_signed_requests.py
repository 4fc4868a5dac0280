"""Specification of requests signed by applications with HMAC API keys.

An application (a calling system) gets an API key whose secret is shown once;
it signs each request (see :mod:`govdata.accounts.signing`) and the API then
acts as the application, with the roles granted to it, and without CSRF.
Nonces are single-use, timestamps must be close to the server clock.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.accounts.models import ApiKey, Application
from govdata.accounts.signing import signed_request_headers
from govdata.db import utcnow
from govdata.events import EventRecord
from govdata.services import Services
from govdata.settings import Settings
from tests.factories import department, login

MARKET_BUREAU = "内蒙古自治区市场监督管理局"


@dataclass(frozen=True)
class AppKey:
    application_id: str
    organisation_id: str
    key_id: str
    secret: str


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    return error


@pytest.fixture
def app_key(client: TestClient, session: Session) -> AppKey:
    """An application of 内蒙古自治区市场监督管理局 with the roles auditor and
    consumer officer at that department and then one API key, set up by the
    demo admin through the API; the client is left without any cookie."""
    csrf = {"X-CSRF-Token": login(client, "admin")}
    bureau = department(session, MARKET_BUREAU)
    created = client.post(
        "/api/v1/applications",
        json={"name": "市场主体登记系统", "organisation_id": bureau.id},
        headers=csrf,
    )
    assert created.status_code == 201, created.text
    application_id = created.json()["id"]
    for role in ("auditor", "consumer_officer"):
        granted = client.post(
            "/api/v1/role-assignments",
            json={"application_id": application_id, "role": role, "organisation_id": bureau.id},
            headers=csrf,
        )
        assert granted.status_code == 201, granted.text
    issued = client.post("/api/v1/api-keys", json={"application_id": application_id}, headers=csrf)
    assert issued.status_code == 201, issued.text
    client.cookies.clear()
    return AppKey(
        application_id=application_id,
        organisation_id=bureau.id,
        key_id=issued.json()["key_id"],
        secret=issued.json()["secret"],
    )


def signed(
    key: AppKey,
    method: str,
    path: str,
    *,
    query: str = "",
    body: bytes = b"",
    timestamp: int | None = None,
    secret: str | None = None,
    key_id: str | None = None,
) -> dict[str, str]:
    return signed_request_headers(
        key_id or key.key_id,
        secret or key.secret,
        method=method,
        path=path,
        query=query,
        body=body,
        timestamp=int(time.time()) if timestamp is None else timestamp,
    )


def new_application_body(key: AppKey, name: str) -> bytes:
    return json.dumps({"name": name, "organisation_id": key.organisation_id}).encode()


JSON = {"Content-Type": "application/json"}


# --- issuing keys ----------------------------------------------------------


def test_api_key_is_issued_with_a_key_id_and_a_secret_once(
    client: TestClient, app_key: AppKey
) -> None:
    assert app_key.key_id.startswith("gk_")
    assert len(app_key.secret) >= 32
    login(client, "admin")
    shown = client.get(f"/api/v1/applications/{app_key.application_id}")
    assert shown.status_code == 200
    assert [k["key_id"] for k in shown.json()["keys"]] == [app_key.key_id]
    assert app_key.secret not in shown.text


def test_the_stored_secret_is_not_the_plaintext(
    app_key: AppKey, session: Session, services: Services
) -> None:
    stored = session.get(ApiKey, app_key.key_id)

    assert stored is not None
    assert app_key.secret.encode() not in stored.secret_ciphertext
    assert stored.secret_ciphertext != app_key.secret.encode()
    # ...but the node can recover it to check signatures.
    opened = services.secretbox.open(stored.secret_ciphertext, app_key.key_id.encode())
    assert opened == app_key.secret.encode()


# --- accepted requests -----------------------------------------------------


def test_a_correctly_signed_get_succeeds_and_acts_as_the_application(
    client: TestClient, app_key: AppKey
) -> None:
    response = client.get("/api/v1/users", headers=signed(app_key, "GET", "/api/v1/users"))

    assert response.status_code == 200
    # The application is an auditor of the market bureau only: it sees that
    # bureau's people, not the whole region as the demo admin would.
    assert [u["username"] for u in response.json()] == ["provider"]


def test_a_signed_get_with_a_query_string_succeeds(client: TestClient, app_key: AppKey) -> None:
    query = f"organisation_id={app_key.organisation_id}"

    response = client.get(
        f"/api/v1/applications?{query}",
        headers=signed(app_key, "GET", "/api/v1/applications", query=query),
    )

    assert response.status_code == 200
    assert [a["id"] for a in response.json()] == [app_key.application_id]


def test_a_signed_request_records_when_the_key_was_last_used(
    client: TestClient, app_key: AppKey, session: Session
) -> None:
    client.get("/api/v1/users", headers=signed(app_key, "GET", "/api/v1/users"))

    session.expire_all()
    stored = session.get(ApiKey, app_key.key_id)
    assert stored is not None
    assert stored.last_used_at is not None


def test_a_signed_post_with_a_json_body_succeeds_without_csrf(
    client: TestClient, app_key: AppKey, session: Session
) -> None:
    body = new_application_body(app_key, "签名创建的应用")

    response = client.post(
        "/api/v1/applications",
        content=body,
        headers={**JSON, **signed(app_key, "POST", "/api/v1/applications", body=body)},
    )

    assert response.status_code == 201, response.text
    created = session.get(Application, response.json()["id"])
    assert created is not None
    assert created.name == "签名创建的应用"
    assert created.created_by == app_key.application_id
    event = session.scalar(
        select(EventRecord).where(
            EventRecord.name == "accounts:application:created", EventRecord.subject_id == created.id
        )
    )
    assert event is not None
    assert (event.actor_kind, event.actor_id) == ("application", app_key.application_id)


def test_a_signed_request_is_limited_to_the_applications_roles(
    client: TestClient, app_key: AppKey, session: Session
) -> None:
    body = json.dumps(
        {"name": "越权应用", "organisation_id": department(session, "内蒙古自治区公安厅").id}
    ).encode()

    response = client.post(
        "/api/v1/applications",
        content=body,
        headers={**JSON, **signed(app_key, "POST", "/api/v1/applications", body=body)},
    )

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


# --- refused requests ------------------------------------------------------


def test_replaying_the_exact_same_headers_is_401_signature_replayed(
    client: TestClient, app_key: AppKey
) -> None:
    headers = signed(app_key, "GET", "/api/v1/users")
    assert client.get("/api/v1/users", headers=headers).status_code == 200

    replay = client.get("/api/v1/users", headers=headers)

    assert replay.status_code == 401
    assert error_of(replay)["code"] == "signature_replayed"


def test_replaying_a_signed_post_does_not_run_it_twice(
    client: TestClient, app_key: AppKey, session: Session
) -> None:
    body = new_application_body(app_key, "只应创建一次")
    headers = {**JSON, **signed(app_key, "POST", "/api/v1/applications", body=body)}
    assert client.post("/api/v1/applications", content=body, headers=headers).status_code == 201

    replay = client.post("/api/v1/applications", content=body, headers=headers)

    assert replay.status_code == 401
    assert error_of(replay)["code"] == "signature_replayed"
    names = session.scalars(select(Application.name).where(Application.name == "只应创建一次"))
    assert list(names) == ["只应创建一次"]


def test_a_timestamp_older_than_the_allowed_skew_is_401_signature_expired(
    client: TestClient, app_key: AppKey, settings: Settings
) -> None:
    stale = int(time.time()) - settings.signature_max_skew_seconds - 60

    response = client.get(
        "/api/v1/users", headers=signed(app_key, "GET", "/api/v1/users", timestamp=stale)
    )

    assert response.status_code == 401
    assert error_of(response)["code"] == "signature_expired"


def test_a_timestamp_too_far_in_the_future_is_401_signature_expired(
    client: TestClient, app_key: AppKey, settings: Settings
) -> None:
    future = int(time.time()) + settings.signature_max_skew_seconds + 60

    response = client.get(
        "/api/v1/users", headers=signed(app_key, "GET", "/api/v1/users", timestamp=future)
    )

    assert response.status_code == 401
    assert error_of(response)["code"] == "signature_expired"


def test_a_timestamp_within_the_allowed_skew_is_accepted(
    client: TestClient, app_key: AppKey, settings: Settings
) -> None:
    slightly_old = int(time.time()) - settings.signature_max_skew_seconds + 30

    response = client.get(
        "/api/v1/users", headers=signed(app_key, "GET", "/api/v1/users", timestamp=slightly_old)
    )

    assert response.status_code == 200


def test_a_signature_made_with_the_wrong_secret_is_401_signature_invalid(
    client: TestClient, app_key: AppKey
) -> None:
    headers = signed(app_key, "GET", "/api/v1/users", secret="not-" + app_key.secret)

    response = client.get("/api/v1/users", headers=headers)

    assert response.status_code == 401
    assert error_of(response)["code"] == "signature_invalid"


def test_a_body_other_than_the_signed_one_is_401_signature_invalid(
    client: TestClient, app_key: AppKey, session: Session
) -> None:
    signed_body = new_application_body(app_key, "签名时的名称")
    sent_body = new_application_body(app_key, "篡改后的名称")

    response = client.post(
        "/api/v1/applications",
        content=sent_body,
        headers={**JSON, **signed(app_key, "POST", "/api/v1/applications", body=signed_body)},
    )

    assert response.status_code == 401
    assert error_of(response)["code"] == "signature_invalid"
    assert session.scalar(select(Application).where(Application.name == "篡改后的名称")) is None


def test_a_signature_for_another_path_is_401_signature_invalid(
    client: TestClient, app_key: AppKey
) -> None:
    headers = signed(app_key, "GET", "/api/v1/applications")

    response = client.get("/api/v1/users", headers=headers)

    assert response.status_code == 401
    assert error_of(response)["code"] == "signature_invalid"


def test_a_signature_for_another_query_is_401_signature_invalid(
    client: TestClient, app_key: AppKey
) -> None:
    headers = signed(app_key, "GET", "/api/v1/applications", query="organisation_id=x")

    response = client.get("/api/v1/applications?organisation_id=y", headers=headers)

    assert response.status_code == 401
    assert error_of(response)["code"] == "signature_invalid"


def test_an_unknown_key_is_401_api_key_unknown(client: TestClient, app_key: AppKey) -> None:
    headers = signed(app_key, "GET", "/api/v1/users", key_id="gk_" + "0" * 24)

    response = client.get("/api/v1/users", headers=headers)

    assert response.status_code == 401
    assert error_of(response)["code"] == "api_key_unknown"


def test_a_revoked_key_is_401_api_key_revoked(
    client: TestClient, app_key: AppKey, session: Session
) -> None:
    csrf = login(client, "admin")
    revoked = client.delete(f"/api/v1/api-keys/{app_key.key_id}", headers={"X-CSRF-Token": csrf})
    assert revoked.status_code == 200
    assert revoked.json() == {"key_id": app_key.key_id, "status": "revoked"}
    client.cookies.clear()
    session.expire_all()
    stored = session.get(ApiKey, app_key.key_id)
    assert stored is not None
    assert stored.revoked_at is not None

    response = client.get("/api/v1/users", headers=signed(app_key, "GET", "/api/v1/users"))

    assert response.status_code == 401
    assert error_of(response)["code"] == "api_key_revoked"


@pytest.mark.parametrize(
    "missing",
    ["X-Govdata-Key", "X-Govdata-Timestamp", "X-Govdata-Nonce", "X-Govdata-Signature"],
)
def test_a_request_missing_one_signing_header_is_401_signature_incomplete(
    client: TestClient, app_key: AppKey, missing: str
) -> None:
    headers = signed(app_key, "GET", "/api/v1/users")
    del headers[missing]

    response = client.get("/api/v1/users", headers=headers)

    assert response.status_code == 401
    assert error_of(response)["code"] == "signature_incomplete"


def test_a_nonce_outside_the_allowed_alphabet_is_401_signature_invalid(
    client: TestClient, app_key: AppKey
) -> None:
    headers = signed_request_headers(
        app_key.key_id,
        app_key.secret,
        method="GET",
        path="/api/v1/users",
        timestamp=int(time.time()),
        nonce="short",
    )

    response = client.get("/api/v1/users", headers=headers)

    assert response.status_code == 401
    assert error_of(response)["code"] == "signature_invalid"


def test_a_malformed_timestamp_is_401_signature_invalid(
    client: TestClient, app_key: AppKey
) -> None:
    headers = {**signed(app_key, "GET", "/api/v1/users"), "X-Govdata-Timestamp": "yesterday"}

    response = client.get("/api/v1/users", headers=headers)

    assert response.status_code == 401
    assert error_of(response)["code"] == "signature_invalid"


def test_an_expired_key_is_401_api_key_revoked(
    client: TestClient, app_key: AppKey, session: Session
) -> None:
    stored = session.get(ApiKey, app_key.key_id)
    assert stored is not None
    stored.expires_at = utcnow() - timedelta(minutes=1)
    session.flush()

    response = client.get("/api/v1/users", headers=signed(app_key, "GET", "/api/v1/users"))

    assert response.status_code == 401
    assert error_of(response)["code"] == "api_key_revoked"


def test_a_refused_signature_does_not_fall_back_to_the_session_cookie(
    client: TestClient, app_key: AppKey
) -> None:
    login(client, "admin")
    headers = signed(app_key, "GET", "/api/v1/users", secret="wrong-secret-value")

    response = client.get("/api/v1/users", headers=headers)

    assert response.status_code == 401
    assert error_of(response)["code"] == "signature_invalid"


def test_a_request_refused_after_authentication_cannot_be_replayed(
    client: TestClient, app_key: AppKey, session: Session
) -> None:
    # The nonce is consumed in its own transaction, before the action runs.
    body = json.dumps(
        {"name": "越权应用", "organisation_id": department(session, "内蒙古自治区公安厅").id}
    ).encode()
    headers = {**JSON, **signed(app_key, "POST", "/api/v1/applications", body=body)}
    assert client.post("/api/v1/applications", content=body, headers=headers).status_code == 403

    replay = client.post("/api/v1/applications", content=body, headers=headers)

    assert replay.status_code == 401
    assert error_of(replay)["code"] == "signature_replayed"


def test_a_wrong_signature_does_not_use_up_the_nonce(client: TestClient, app_key: AppKey) -> None:
    good = signed(app_key, "GET", "/api/v1/users")
    forged = {**good, "X-Govdata-Signature": "0" * 64}
    assert client.get("/api/v1/users", headers=forged).status_code == 401

    assert client.get("/api/v1/users", headers=good).status_code == 200


def test_a_signature_with_non_ascii_characters_is_401_signature_invalid(
    app: FastAPI, app_key: AppKey
) -> None:
    headers = signed(app_key, "GET", "/api/v1/users")
    headers["X-Govdata-Signature"] = headers["X-Govdata-Signature"][:-1] + "\u00e9"  # é
    raw = {name: value.encode("latin-1") for name, value in headers.items()}

    with TestClient(app, raise_server_exceptions=False) as plain:
        response = plain.get("/api/v1/users", headers=raw)

    assert response.status_code == 401
    assert error_of(response)["code"] == "signature_invalid"
