"""Specification of logging in and out through the JSON API.

``POST /api/v1/session`` checks a username and password, sets the HttpOnly
``govdata_session`` cookie and returns the CSRF token that cookie-authenticated
writes must echo in ``X-CSRF-Token``. ``DELETE /api/v1/session`` ends it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.accounts.models import LoginSession, User
from govdata.accounts.services import token_hash
from govdata.db import utcnow
from govdata.demo import DEMO_PASSWORD
from govdata.events import EventRecord
from govdata.settings import Settings
from tests.factories import department, login

SESSION_COOKIE = "govdata_session"
WRONG_PASSWORD = "Not-The-Demo-2026"


def post_login(client: TestClient, username: str, password: str) -> httpx.Response:
    return client.post("/api/v1/session", json={"username": username, "password": password})


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    return error


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def fresh_user(session: Session, username: str) -> User:
    session.expire_all()
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None
    return user


# --- logging in ------------------------------------------------------------


def test_login_with_the_demo_admin_returns_201_and_a_csrf_token(client: TestClient) -> None:
    response = post_login(client, "admin", DEMO_PASSWORD)

    assert response.status_code == 201
    body = response.json()
    assert isinstance(body["csrf_token"], str)
    assert len(body["csrf_token"]) >= 32
    assert body["user"]["username"] == "admin"
    assert body["user"]["display_name"] == "平台管理员"
    assert [r["role"] for r in body["user"]["roles"]] == ["platform_admin"]
    assert "expires_at" in body
    assert "token" not in body  # the session token travels only in the cookie


def test_login_sets_an_httponly_samesite_lax_session_cookie(client: TestClient) -> None:
    response = post_login(client, "admin", DEMO_PASSWORD)

    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith(f"{SESSION_COOKIE}=")
    attributes = {part.strip().lower() for part in set_cookie.split(";")}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes
    assert client.cookies.get(SESSION_COOKIE)


def test_login_stores_only_the_hash_of_the_session_token(
    client: TestClient, session: Session
) -> None:
    response = post_login(client, "admin", DEMO_PASSWORD)

    token = client.cookies[SESSION_COOKIE]
    stored = session.get(LoginSession, token_hash(token))
    assert stored is not None
    assert stored.csrf_token == response.json()["csrf_token"]
    assert session.get(LoginSession, token) is None


def test_login_accepts_the_username_in_any_case(client: TestClient) -> None:
    assert post_login(client, "ADMIN", DEMO_PASSWORD).status_code == 201


def test_after_login_the_cookie_authenticates_api_reads(client: TestClient) -> None:
    login(client, "admin")

    response = client.get("/api/v1/users")

    assert response.status_code == 200
    assert {"admin", "reviewer", "provider", "consumer", "auditor"} <= {
        u["username"] for u in response.json()
    }


def test_without_a_session_api_reads_are_401(client: TestClient) -> None:
    response = client.get("/api/v1/users")

    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_a_made_up_session_cookie_does_not_authenticate(client: TestClient) -> None:
    client.cookies.set(SESSION_COOKIE, "made-up-token-value")

    assert client.get("/api/v1/users").status_code == 401


def test_wrong_password_is_401_login_failed_with_a_chinese_message(client: TestClient) -> None:
    response = post_login(client, "admin", WRONG_PASSWORD)

    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "login_failed"
    assert error["message"] == "用户名或密码错误"
    assert has_chinese(error["message"])
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert client.cookies.get(SESSION_COOKIE) is None


def test_unknown_username_gets_the_same_refusal_as_a_wrong_password(client: TestClient) -> None:
    unknown = post_login(client, "nobody.here", WRONG_PASSWORD)
    wrong = post_login(client, "admin", WRONG_PASSWORD)

    assert unknown.status_code == wrong.status_code == 401
    assert error_of(unknown) == error_of(wrong)


def test_a_login_body_with_extra_fields_is_refused(client: TestClient) -> None:
    response = client.post(
        "/api/v1/session",
        json={"username": "admin", "password": DEMO_PASSWORD, "remember": True},
    )

    assert response.status_code == 422
    assert error_of(response)["code"] == "invalid_input"


def test_a_failed_login_is_counted_in_the_users_table(client: TestClient, session: Session) -> None:
    post_login(client, "reviewer", WRONG_PASSWORD)
    post_login(client, "reviewer", WRONG_PASSWORD)

    assert fresh_user(session, "reviewer").failed_logins == 2


def test_a_failed_login_is_recorded_as_a_refusal_event(
    client: TestClient, session: Session
) -> None:
    post_login(client, "reviewer", WRONG_PASSWORD)

    reviewer = fresh_user(session, "reviewer")
    events = session.scalars(
        select(EventRecord).where(
            EventRecord.name == "accounts:session:refused",
            EventRecord.subject_id == reviewer.id,
        )
    ).all()
    assert [e.data for e in events] == [{"username": "reviewer", "reason": "login_failed"}]


def test_a_successful_login_resets_the_failure_counter(
    client: TestClient, session: Session
) -> None:
    post_login(client, "reviewer", WRONG_PASSWORD)
    post_login(client, "reviewer", WRONG_PASSWORD)

    assert post_login(client, "reviewer", DEMO_PASSWORD).status_code == 201
    assert fresh_user(session, "reviewer").failed_logins == 0


def test_the_account_locks_after_max_login_failures(
    client: TestClient, session: Session, settings: Settings
) -> None:
    for attempt in range(1, settings.max_login_failures):
        assert error_of(post_login(client, "reviewer", WRONG_PASSWORD))["code"] == "login_failed"
        assert fresh_user(session, "reviewer").failed_logins == attempt
    assert fresh_user(session, "reviewer").locked_until is None

    last = post_login(client, "reviewer", WRONG_PASSWORD)

    assert last.status_code == 401
    reviewer = fresh_user(session, "reviewer")
    assert reviewer.locked_until is not None
    assert reviewer.locked_until > utcnow()


def test_a_locked_account_is_refused_even_with_the_right_password(
    client: TestClient, session: Session, settings: Settings
) -> None:
    for _ in range(settings.max_login_failures):
        post_login(client, "reviewer", WRONG_PASSWORD)

    response = post_login(client, "reviewer", DEMO_PASSWORD)

    assert response.status_code == 401
    error = error_of(response)
    assert error["code"] == "account_locked"
    assert has_chinese(error["message"])
    assert client.cookies.get(SESSION_COOKIE) is None
    reviewer = fresh_user(session, "reviewer")
    assert (
        session.scalars(select(LoginSession).where(LoginSession.user_id == reviewer.id)).all() == []
    )


def test_the_lock_lasts_login_lock_minutes(
    client: TestClient, session: Session, settings: Settings
) -> None:
    before = utcnow()
    for _ in range(settings.max_login_failures):
        post_login(client, "reviewer", WRONG_PASSWORD)

    locked_until = fresh_user(session, "reviewer").locked_until

    assert locked_until is not None
    lock = timedelta(minutes=settings.login_lock_minutes)
    assert before + lock <= locked_until <= utcnow() + lock


def test_once_the_lock_has_expired_the_right_password_works_again(
    client: TestClient, session: Session, settings: Settings
) -> None:
    for _ in range(settings.max_login_failures):
        post_login(client, "reviewer", WRONG_PASSWORD)
    reviewer = fresh_user(session, "reviewer")
    reviewer.locked_until = utcnow() - timedelta(seconds=1)
    session.flush()

    response = post_login(client, "reviewer", DEMO_PASSWORD)

    assert response.status_code == 201
    reviewer = fresh_user(session, "reviewer")
    assert reviewer.locked_until is None
    assert reviewer.failed_logins == 0


def test_a_disabled_account_cannot_log_in(client: TestClient, session: Session) -> None:
    fresh_user(session, "reviewer").is_active = False
    session.flush()

    response = post_login(client, "reviewer", DEMO_PASSWORD)

    assert response.status_code == 401
    assert error_of(response)["code"] == "account_disabled"


def test_disabling_an_account_ends_its_cookie_sessions(
    client: TestClient, session: Session
) -> None:
    login(client, "reviewer")
    fresh_user(session, "reviewer").is_active = False
    session.flush()

    assert client.get("/api/v1/users").status_code == 401


def test_locking_one_account_leaves_the_others_usable(
    client: TestClient, settings: Settings
) -> None:
    for _ in range(settings.max_login_failures):
        post_login(client, "reviewer", WRONG_PASSWORD)

    assert post_login(client, "auditor", DEMO_PASSWORD).status_code == 201


# --- CSRF ------------------------------------------------------------------


def application_body(session: Session, name: str) -> dict[str, str]:
    return {"name": name, "organisation_id": department(session, "内蒙古自治区公安厅").id}


def test_a_cookie_authenticated_post_without_the_csrf_header_is_403_csrf_failed(
    client: TestClient, session: Session
) -> None:
    login(client, "admin")

    response = client.post("/api/v1/applications", json=application_body(session, "无令牌应用"))

    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "csrf_failed"
    assert has_chinese(error["message"])
    assert client.get("/api/v1/applications").json() == []


def test_a_cookie_authenticated_post_with_a_wrong_csrf_token_is_403(
    client: TestClient, session: Session
) -> None:
    login(client, "admin")

    response = client.post(
        "/api/v1/applications",
        json=application_body(session, "错令牌应用"),
        headers={"X-CSRF-Token": "not-the-token"},
    )

    assert response.status_code == 403
    assert error_of(response)["code"] == "csrf_failed"


def test_a_cookie_authenticated_post_with_the_csrf_token_succeeds(
    client: TestClient, session: Session
) -> None:
    csrf = login(client, "admin")

    response = client.post(
        "/api/v1/applications",
        json=application_body(session, "带令牌应用"),
        headers={"X-CSRF-Token": csrf},
    )

    assert response.status_code == 201
    assert response.json()["name"] == "带令牌应用"
    assert [a["name"] for a in client.get("/api/v1/applications").json()] == ["带令牌应用"]


def test_a_cookie_authenticated_get_needs_no_csrf_token(client: TestClient) -> None:
    login(client, "admin")

    assert client.get("/api/v1/applications").status_code == 200


# --- logging out -----------------------------------------------------------


def test_logout_returns_logged_out_and_clears_the_cookie(client: TestClient) -> None:
    csrf = login(client, "admin")

    response = client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})

    assert response.status_code == 200
    assert response.json() == {"status": "logged_out"}
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    assert client.cookies.get(SESSION_COOKIE) is None


def test_after_logout_the_old_cookie_no_longer_authenticates(
    client: TestClient, session: Session
) -> None:
    csrf = login(client, "admin")
    token = client.cookies[SESSION_COOKIE]

    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 200

    assert session.get(LoginSession, token_hash(token)) is None
    client.cookies.set(SESSION_COOKIE, token)  # a client that kept the old cookie
    response = client.get("/api/v1/users")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_logout_without_the_csrf_token_is_refused_and_keeps_the_session(
    client: TestClient,
) -> None:
    login(client, "admin")

    response = client.delete("/api/v1/session")

    assert response.status_code == 403
    assert error_of(response)["code"] == "csrf_failed"
    assert client.get("/api/v1/users").status_code == 200


def test_logout_ends_only_the_callers_session(client: TestClient, app: FastAPI) -> None:
    csrf = login(client, "admin")
    with TestClient(app, base_url="http://testserver") as other:
        login(other, "auditor")

        client.delete("/api/v1/session", headers={"X-CSRF-Token": csrf})

        assert other.get("/api/v1/users").status_code == 200
