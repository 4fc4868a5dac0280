"""Factories for tests: organisations, people and contexts built through actions."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.accounts.models import User
from govdata.accounts.services import actor_for_user
from govdata.actions import ActionRegistry, Context
from govdata.authz import ANONYMOUS, Actor, Role
from govdata.demo import DEMO_PASSWORD
from govdata.orgs.codes import make_credit_code, organisation_code_check_char
from govdata.orgs.models import Organisation

STRONG_PASSWORD = "Str0ng-Passw0rd!"


def region(session: Session, code: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.region_code == code))
    if org is None:
        raise LookupError(f"no region organisation {code}")
    return org


def department(session: Session, name: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        raise LookupError(f"no department named {name}")
    return org


_serial = iter(range(10_000_000, 99_999_999))


def fresh_credit_code(division_code: str = "150100") -> str:
    body = str(next(_serial))
    return make_credit_code("11" + division_code + body + organisation_code_check_char(body))


def context_for(operator: Context, actor: Actor) -> Context:
    return Context(
        session=operator.session,
        actor=actor,
        policy=operator.policy,
        settings=operator.settings,
        services=operator.services,
    )


def user_actor(session: Session, username: str) -> Actor:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise LookupError(username)
    return actor_for_user(session, user)


def make_user(
    registry: ActionRegistry,
    operator: Context,
    username: str,
    organisation: Organisation,
    role: Role | None = None,
    *,
    scope: Organisation | None = None,
    subtree: bool = False,
) -> Actor:
    roles: list[dict[str, Any]] = []
    if role is not None:
        target = scope or organisation
        roles.append({"role": role.value, "organisation_id": target.id, "include_subtree": subtree})
    registry.run(
        "user_create",
        operator,
        {
            "username": username,
            "display_name": username,
            "organisation_id": organisation.id,
            "password": STRONG_PASSWORD,
            "roles": roles,
        },
    )
    return user_actor(operator.session, username)


def anonymous(operator: Context) -> Context:
    return context_for(operator, ANONYMOUS)


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> str:
    """Log in through the API; returns the CSRF token (the cookie stays in the client)."""
    response = client.post("/api/v1/session", json={"username": username, "password": password})
    assert response.status_code == 201, response.text
    token: str = response.json()["csrf_token"]
    return token
