"""Portal pages for signed-in people: navigation by role, own account, applications."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.accounts.models import ApiKey, RoleAssignment, User
from govdata.accounts.passwords import verify_password
from govdata.accounts.signing import signed_request_headers
from govdata.demo import DEMO_PASSWORD
from tests.factories import department, login

HTML = {"Accept": "text/html"}


@pytest.mark.parametrize(
    ("username", "sees_users", "sees_applications"),
    [
        ("admin", True, True),
        ("auditor", True, True),
        ("provider", False, True),
        ("reviewer", False, False),
    ],
)
def test_the_navigation_offers_only_pages_the_role_may_open(
    client: TestClient, username: str, sees_users: bool, sees_applications: bool
) -> None:
    login(client, username)
    page = client.get("/", headers=HTML).text
    assert ('href="/users"' in page) is sees_users
    assert ('href="/applications"' in page) is sees_applications


def test_a_person_sees_their_own_account_and_roles(client: TestClient) -> None:
    login(client, "provider")
    page = client.get("/account", headers=HTML)
    assert page.status_code == 200
    assert "内蒙古自治区市场监督管理局" in page.text
    assert "数据提供部门专员" in page.text


def test_a_person_changes_their_password_in_the_portal(
    client: TestClient, session: Session
) -> None:
    csrf = login(client, "consumer")
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": DEMO_PASSWORD,
            "new_password": "Another-Passw0rd!",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login?changed=1&next=/account"
    assert client.get("/account", headers=HTML, follow_redirects=False).status_code == 303
    user = session.scalar(select(User).where(User.username == "consumer"))
    assert user is not None
    session.refresh(user)
    assert verify_password(user.password_hash, "Another-Passw0rd!")


def test_a_weak_new_password_is_refused_with_the_reasons(client: TestClient) -> None:
    csrf = login(client, "consumer")
    response = client.post(
        "/account/password",
        data={"csrf_token": csrf, "current_password": DEMO_PASSWORD, "new_password": "short"},
        headers=HTML,
    )
    assert response.status_code == 422
    assert "密码至少10位" in response.text


def test_an_admin_grants_an_application_a_role_and_revokes_its_key_in_the_portal(
    client: TestClient, session: Session
) -> None:
    csrf = login(client, "admin")
    bureau = department(session, "内蒙古自治区公安厅")
    app = client.post(
        "/api/v1/applications",
        json={"name": "人口核验系统", "organisation_id": bureau.id},
        headers={"X-CSRF-Token": csrf},
    ).json()
    issued = client.post(f"/applications/{app['id']}/keys", data={"csrf_token": csrf}, headers=HTML)
    assert issued.status_code == 200
    assert "密钥只显示这一次" in issued.text
    key = session.scalar(select(ApiKey).where(ApiKey.application_id == app["id"]))
    assert key is not None

    granted = client.post(
        f"/applications/{app['id']}/roles",
        data={"csrf_token": csrf, "role": "consumer_officer", "organisation_id": bureau.id},
        follow_redirects=False,
    )
    assert granted.status_code == 303
    assert session.scalar(select(RoleAssignment).where(RoleAssignment.application_id == app["id"]))

    revoked = client.post(
        f"/api-keys/{key.key_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    session.refresh(key)
    assert key.revoked_at is not None
    page = client.get("/applications", headers=HTML).text
    assert "已吊销" in page
    assert "数据使用部门专员" in page


def test_portal_forms_without_the_session_csrf_token_are_refused(client: TestClient) -> None:
    login(client, "admin")
    response = client.post(
        "/account/password",
        data={"current_password": DEMO_PASSWORD, "new_password": "Another-Passw0rd!"},
        headers=HTML,
    )
    assert response.status_code == 403
    assert "csrf_failed" in response.text


def test_an_auditor_sees_applications_but_no_buttons_to_manage_them(
    client: TestClient, session: Session
) -> None:
    csrf = login(client, "admin")
    bureau = department(session, "内蒙古自治区公安厅")
    client.post(
        "/api/v1/applications",
        json={"name": "审计可见的应用", "organisation_id": bureau.id},
        headers={"X-CSRF-Token": csrf},
    )
    client.cookies.clear()
    login(client, "auditor")
    page = client.get("/applications", headers=HTML).text
    assert "审计可见的应用" in page
    assert "签发密钥" not in page
    assert "停用" not in page


def test_an_admin_withdraws_a_role_in_the_portal(client: TestClient, session: Session) -> None:
    csrf = login(client, "admin")
    provider = session.scalar(select(User).where(User.username == "provider"))
    assert provider is not None
    assignment = session.scalar(select(RoleAssignment).where(RoleAssignment.user_id == provider.id))
    assert assignment is not None
    assignment_id = assignment.id
    assert f"/role-assignments/{assignment_id}/revoke" in client.get("/users", headers=HTML).text

    response = client.post(
        f"/role-assignments/{assignment_id}/revoke",
        data={"csrf_token": csrf, "next": "/\\evil.example"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/users"
    session.expire_all()
    assert session.get(RoleAssignment, assignment_id) is None


def test_portal_forms_do_not_accept_signed_requests(client: TestClient, session: Session) -> None:
    """A signature covers an API body; portal forms are for people with a session."""
    csrf = login(client, "admin")
    bureau = department(session, "内蒙古自治区公安厅")
    app = client.post(
        "/api/v1/applications",
        json={"name": "签名门户测试", "organisation_id": bureau.id},
        headers={"X-CSRF-Token": csrf},
    ).json()
    key = client.post(
        "/api/v1/api-keys", json={"application_id": app["id"]}, headers={"X-CSRF-Token": csrf}
    ).json()
    client.cookies.clear()
    headers = signed_request_headers(
        key["key_id"], key["secret"], method="POST", path="/users", timestamp=int(time.time())
    )
    response = client.post(
        "/users",
        data={"username": "via.signature", "display_name": "x", "password": "Str0ng-Passw0rd!"},
        headers={**headers, **HTML},
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert session.scalar(select(User).where(User.username == "via.signature")) is None


def test_an_error_page_still_offers_a_working_logout(client: TestClient) -> None:
    csrf = login(client, "admin")
    page = client.get("/orgs/does-not-exist", headers=HTML).text
    assert f'name="csrf_token" value="{csrf}"' in page
