"""Disabling and enabling people and applications."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata.accounts.models import LoginSession, User
from govdata.accounts.signing import signed_request_headers
from govdata.actions import ActionRegistry, Context
from govdata.authz import Role
from govdata.errors import Forbidden, InvalidInput
from govdata.events import EventRecord
from tests.factories import context_for, department, login, make_user, region, user_actor


def sessions_of(session: Session, username: str) -> int:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None
    return (
        session.scalar(
            select(func.count()).select_from(LoginSession).where(LoginSession.user_id == user.id)
        )
        or 0
    )


def test_disabling_a_person_ends_their_sessions_and_refuses_their_cookie(
    client: TestClient, registry: ActionRegistry, operator: Context
) -> None:
    login(client, "provider")
    assert sessions_of(operator.session, "provider") == 1
    provider = user_actor(operator.session, "provider")
    disabled = registry.run("user_set_active", operator, {"id": provider.id, "active": False})
    assert disabled.is_active is False
    assert sessions_of(operator.session, "provider") == 0
    assert client.get("/api/v1/applications").status_code == 401
    event = operator.session.scalar(
        select(EventRecord).where(EventRecord.name == "accounts:user:activity_changed")
    )
    assert event is not None
    assert event.data == {"active": False}


def test_a_disabled_person_cannot_log_in_until_enabled_again(
    client: TestClient, registry: ActionRegistry, operator: Context
) -> None:
    provider = user_actor(operator.session, "provider")
    registry.run("user_set_active", operator, {"id": provider.id, "active": False})
    refused = client.post(
        "/api/v1/session", json={"username": "provider", "password": "Govdata-Demo-2026"}
    )
    assert refused.json()["error"]["code"] == "account_disabled"
    registry.run("user_set_active", operator, {"id": provider.id, "active": True})
    login(client, "provider")


def test_an_admin_cannot_disable_their_own_account(
    registry: ActionRegistry, operator: Context
) -> None:
    admin = user_actor(operator.session, "admin")
    with pytest.raises(InvalidInput) as raised:
        registry.run(
            "user_set_active", context_for(operator, admin), {"id": admin.id, "active": False}
        )
    assert raised.value.error_code == "cannot_disable_self"


def test_a_prefecture_admin_cannot_disable_people_outside_the_prefecture(
    registry: ActionRegistry, operator: Context
) -> None:
    hohhot = region(operator.session, "150100")
    admin = make_user(registry, operator, "hohhot_boss", hohhot, Role.PLATFORM_ADMIN, subtree=True)
    provider = user_actor(operator.session, "provider")
    with pytest.raises(Forbidden):
        registry.run(
            "user_set_active", context_for(operator, admin), {"id": provider.id, "active": False}
        )


def test_a_disabled_application_cannot_call_with_its_keys(
    client: TestClient, registry: ActionRegistry, operator: Context, session: Session
) -> None:
    bureau = department(session, "内蒙古自治区公安厅")
    app = registry.run(
        "application_create", operator, {"name": "户籍核验", "organisation_id": bureau.id}
    )
    registry.run(
        "role_grant",
        operator,
        {"application_id": app.id, "role": "auditor", "organisation_id": bureau.id},
    )
    key = registry.run("api_key_create", operator, {"application_id": app.id})
    operator.session.flush()  # the API runs on the same connection: make the key visible

    def call() -> int:
        headers = signed_request_headers(
            key.key_id, key.secret, method="GET", path="/api/v1/users", timestamp=int(time.time())
        )
        return client.get("/api/v1/users", headers=headers).status_code

    assert call() == 200
    registry.run("application_set_active", operator, {"id": app.id, "active": False})
    operator.session.flush()
    assert call() == 401
    registry.run("application_set_active", operator, {"id": app.id, "active": True})
    operator.session.flush()
    assert call() == 200


def test_a_locked_account_gives_the_same_answer_whatever_the_password(
    client: TestClient, operator: Context
) -> None:
    for _ in range(operator.settings.max_login_failures):
        client.post("/api/v1/session", json={"username": "auditor", "password": "wrong"})
    answers = {
        client.post("/api/v1/session", json={"username": "auditor", "password": password}).json()[
            "error"
        ]["code"]
        for password in ("still-wrong", "Govdata-Demo-2026")
    }
    assert answers == {"account_locked"}
