"""Specification of the actions on people and their roles, at the action level.

Every test runs the actions through ``registry.run(name, ctx, data)`` with a
context acting as a demo account or as an account made for the test.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata.accounts.models import RoleAssignment, User
from govdata.accounts.passwords import verify_password
from govdata.accounts.schemas import UserOut
from govdata.actions import ActionRegistry, Context
from govdata.areas import build_policy
from govdata.authz import Actor, Role
from govdata.db import Database
from govdata.demo import DEMO_PASSWORD
from govdata.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from govdata.events import EventRecord
from govdata.orgs.models import Organisation
from govdata.services import Services
from govdata.settings import Settings
from tests.factories import (
    STRONG_PASSWORD,
    anonymous,
    context_for,
    department,
    make_user,
    region,
    user_actor,
)

REGION_DATA_BUREAU = "内蒙古自治区政务服务与数据管理局"
HOHHOT_DATA_BUREAU = "呼和浩特市政务服务与数据管理局"
XINCHENG = "150102"  # 呼和浩特市新城区
BAOTOU = "150200"  # 包头市


def as_user(operator: Context, username: str) -> Context:
    return context_for(operator, user_actor(operator.session, username))


def new_user(
    username: str,
    organisation: Organisation,
    *,
    password: str = STRONG_PASSWORD,
    roles: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "username": username,
        "display_name": f"测试用户{username}",
        "organisation_id": organisation.id,
        "password": password,
        "roles": roles or [],
    }


def user_row(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def hohhot_admin(registry: ActionRegistry, operator: Context) -> Actor:
    """A platform administrator whose scope is 呼和浩特市 and everything under it."""
    session = operator.session
    return make_user(
        registry,
        operator,
        "hohhot_admin",
        department(session, HOHHOT_DATA_BUREAU),
        Role.PLATFORM_ADMIN,
        scope=region(session, "150100"),
        subtree=True,
    )


# --- user_create -----------------------------------------------------------


def test_admin_creates_a_user_with_a_role(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    bureau = department(session, REGION_DATA_BUREAU)
    created = registry.run(
        "user_create",
        as_user(operator, "admin"),
        new_user(
            "wang.fang",
            bureau,
            roles=[{"role": "auditor", "organisation_id": bureau.id, "include_subtree": True}],
        ),
    )

    assert isinstance(created, UserOut)
    assert created.username == "wang.fang"
    assert created.organisation_id == bureau.id
    assert created.organisation_name == REGION_DATA_BUREAU
    assert created.is_active is True
    assert [(r.role, r.organisation_id, r.include_subtree) for r in created.roles] == [
        (Role.AUDITOR, bureau.id, True)
    ]
    assert created.roles[0].role_label == "审计员"
    row = user_row(session, "wang.fang")
    assert row is not None
    assert row.id == created.id
    assert row.failed_logins == 0
    assert verify_password(row.password_hash, STRONG_PASSWORD)
    assert STRONG_PASSWORD not in row.password_hash
    grants = session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == row.id)).all()
    assert [(g.role, g.organisation_id, g.granted_by) for g in grants] == [
        ("auditor", bureau.id, "admin")
    ]


def test_created_user_can_act_with_the_granted_role(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    bureau = department(session, REGION_DATA_BUREAU)
    registry.run(
        "user_create",
        as_user(operator, "admin"),
        new_user(
            "li.lei",
            bureau,
            roles=[{"role": "auditor", "organisation_id": bureau.id, "include_subtree": False}],
        ),
    )

    listed = registry.run("user_list", as_user(operator, "li.lei"), {})

    assert {u.username for u in listed} >= {"admin", "reviewer", "auditor", "li.lei"}


def test_weak_password_is_refused_with_weak_password_and_no_user_is_written(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    bureau = department(session, REGION_DATA_BUREAU)

    with pytest.raises(InvalidInput) as raised:
        registry.run(
            "user_create", as_user(operator, "admin"), new_user("weakling", bureau, password="abc")
        )

    assert raised.value.error_code == "weak_password"
    assert raised.value.http_status == 422
    assert "密码至少10位" in raised.value.fields["password"]
    assert user_row(session, "weakling") is None


def test_password_containing_the_username_is_refused(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    bureau = department(session, REGION_DATA_BUREAU)

    with pytest.raises(InvalidInput) as raised:
        registry.run(
            "user_create",
            as_user(operator, "admin"),
            new_user("zhaoyun", bureau, password="Zhaoyun-2026!"),
        )

    assert raised.value.error_code == "weak_password"
    assert "密码不能包含用户名" in raised.value.fields["password"]
    assert user_row(session, "zhaoyun") is None


def test_duplicate_username_is_refused_with_username_taken(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    bureau = department(session, REGION_DATA_BUREAU)

    with pytest.raises(Conflict) as raised:
        registry.run("user_create", as_user(operator, "admin"), new_user("reviewer", bureau))

    assert raised.value.error_code == "username_taken"
    assert raised.value.http_status == 409
    assert raised.value.fields == {"username": "已被使用"}
    count = session.scalar(
        select(func.count()).select_from(User).where(User.username == "reviewer")
    )
    assert count == 1


def test_username_must_match_the_login_name_pattern(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    bureau = department(session, REGION_DATA_BUREAU)

    with pytest.raises(InvalidInput) as raised:
        registry.run("user_create", as_user(operator, "admin"), new_user("Upper Case", bureau))

    assert raised.value.error_code == "invalid_input"
    assert "username" in raised.value.fields


def test_prefecture_admin_creates_users_in_a_county_of_the_prefecture(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    ctx = context_for(operator, hohhot_admin(registry, operator))
    xincheng = region(session, XINCHENG)

    created = registry.run("user_create", ctx, new_user("xincheng.clerk", xincheng))

    assert created.organisation_id == xincheng.id
    assert user_row(session, "xincheng.clerk") is not None


def test_prefecture_admin_is_forbidden_to_create_users_in_another_prefecture(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    ctx = context_for(operator, hohhot_admin(registry, operator))

    with pytest.raises(Forbidden) as raised:
        registry.run("user_create", ctx, new_user("baotou.clerk", region(session, BAOTOU)))

    assert raised.value.error_code == "forbidden"
    assert raised.value.http_status == 403
    assert raised.value.fields == {"permission": "accounts:user:create"}
    assert user_row(session, "baotou.clerk") is None


def test_prefecture_admin_cannot_grant_roles_above_the_prefecture(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    ctx = context_for(operator, hohhot_admin(registry, operator))
    xincheng = region(session, XINCHENG)
    whole_region = region(session, "150000")

    with pytest.raises(Forbidden):
        registry.run(
            "user_create",
            ctx,
            new_user(
                "climber",
                xincheng,
                roles=[{"role": "platform_admin", "organisation_id": whole_region.id}],
            ),
        )


def test_auditor_can_list_users(registry: ActionRegistry, operator: Context) -> None:
    listed = registry.run("user_list", as_user(operator, "auditor"), {})

    assert {"admin", "reviewer", "provider", "consumer", "auditor"} <= {u.username for u in listed}


def test_auditor_cannot_create_users(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    bureau = department(session, REGION_DATA_BUREAU)

    with pytest.raises(Forbidden) as raised:
        registry.run("user_create", as_user(operator, "auditor"), new_user("sneaky", bureau))

    assert raised.value.fields == {"permission": "accounts:user:create"}
    assert user_row(session, "sneaky") is None


def test_an_officer_without_a_user_reading_role_cannot_list_users(
    registry: ActionRegistry, operator: Context
) -> None:
    with pytest.raises(Forbidden):
        registry.run("user_list", as_user(operator, "provider"), {})


def test_anonymous_caller_cannot_list_users(registry: ActionRegistry, operator: Context) -> None:
    with pytest.raises(Unauthenticated):
        registry.run("user_list", anonymous(operator), {})


# --- user_list scope -------------------------------------------------------


def test_user_list_returns_only_users_inside_the_callers_scope(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    ctx = context_for(operator, hohhot_admin(registry, operator))
    make_user(registry, operator, "in.xincheng", region(session, XINCHENG))
    make_user(registry, operator, "in.baotou", region(session, BAOTOU))
    make_user(registry, operator, "in.hohhot.police", department(session, "呼和浩特市公安局"))

    listed = {u.username for u in registry.run("user_list", ctx, {})}

    # county: the demo's officer of 回民区公安分局, a county of 呼和浩特市
    assert listed == {"hohhot_admin", "in.xincheng", "in.hohhot.police", "county"}


def test_user_list_of_an_organisation_outside_the_scope_is_forbidden(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    ctx = context_for(operator, hohhot_admin(registry, operator))

    with pytest.raises(Forbidden):
        registry.run("user_list", ctx, {"organisation_id": region(session, BAOTOU).id})


def test_user_list_filtered_by_organisation_returns_that_subtree_only(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    make_user(registry, operator, "in.xincheng", region(session, XINCHENG))
    make_user(registry, operator, "in.baotou", region(session, BAOTOU))

    listed = registry.run(
        "user_list", as_user(operator, "admin"), {"organisation_id": region(session, "150100").id}
    )

    # county: the demo's officer of 回民区公安分局, in 呼和浩特市 too
    assert [u.username for u in listed] == ["county", "in.xincheng"]


# --- role_grant / role_revoke ----------------------------------------------


@pytest.mark.parametrize("role", ["public", "member"])
def test_role_grant_refuses_implicit_roles(
    registry: ActionRegistry, operator: Context, session: Session, role: str
) -> None:
    bureau = department(session, REGION_DATA_BUREAU)
    target = make_user(registry, operator, "grantee", bureau)

    with pytest.raises(InvalidInput) as raised:
        registry.run(
            "role_grant",
            as_user(operator, "admin"),
            {"user_id": target.id, "role": role, "organisation_id": bureau.id},
        )

    assert raised.value.fields == {"role": "不可授予"}
    assert (
        session.scalar(
            select(func.count())
            .select_from(RoleAssignment)
            .where(RoleAssignment.user_id == target.id)
        )
        == 0
    )


def test_role_grant_gives_the_user_the_role(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    bureau = department(session, REGION_DATA_BUREAU)
    target = make_user(registry, operator, "grantee", bureau)

    granted = registry.run(
        "role_grant",
        as_user(operator, "admin"),
        {"user_id": target.id, "role": "auditor", "organisation_id": bureau.id},
    )

    assert granted.role == Role.AUDITOR
    assert granted.organisation_name == REGION_DATA_BUREAU
    assert user_actor(session, "grantee").roles() >= {Role.AUDITOR}


def test_role_grant_twice_is_a_conflict(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    bureau = department(session, REGION_DATA_BUREAU)
    target = make_user(registry, operator, "grantee", bureau)
    grant = {"user_id": target.id, "role": "auditor", "organisation_id": bureau.id}
    registry.run("role_grant", as_user(operator, "admin"), grant)

    with pytest.raises(Conflict) as raised:
        registry.run("role_grant", as_user(operator, "admin"), grant)

    assert raised.value.error_code == "role_already_granted"


def test_role_grant_needs_exactly_one_grantee(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    bureau = department(session, REGION_DATA_BUREAU)

    with pytest.raises(InvalidInput):
        registry.run(
            "role_grant",
            as_user(operator, "admin"),
            {"role": "auditor", "organisation_id": bureau.id},
        )


def test_role_revoke_removes_the_assignment(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    bureau = department(session, REGION_DATA_BUREAU)
    target = make_user(registry, operator, "grantee", bureau, Role.AUDITOR)
    admin = as_user(operator, "admin")
    assignment = registry.run("user_show", admin, {"id": target.id}).roles[0]

    result = registry.run("role_revoke", admin, {"id": assignment.id})

    assert result == {"id": assignment.id, "status": "revoked"}
    assert session.get(RoleAssignment, assignment.id) is None
    assert registry.run("user_show", admin, {"id": target.id}).roles == []
    assert Role.AUDITOR not in user_actor(session, "grantee").roles()


def test_role_revoke_is_forbidden_to_an_auditor(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    bureau = department(session, REGION_DATA_BUREAU)
    target = make_user(registry, operator, "grantee", bureau, Role.AUDITOR)
    assignment_id = session.scalar(
        select(RoleAssignment.id).where(RoleAssignment.user_id == target.id)
    )

    with pytest.raises(Forbidden):
        registry.run("role_revoke", as_user(operator, "auditor"), {"id": assignment_id})

    assert session.get(RoleAssignment, assignment_id) is not None


# --- password_change -------------------------------------------------------


def test_password_change_with_the_right_current_password_and_a_strong_new_one(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    actor = make_user(registry, operator, "changer", department(session, REGION_DATA_BUREAU))
    new_password = "N3w-Secret-Phrase!"

    result = registry.run(
        "password_change",
        context_for(operator, actor),
        {"current_password": STRONG_PASSWORD, "new_password": new_password},
    )

    assert result == {"status": "changed", "sessions": "ended"}
    row = user_row(session, "changer")
    assert row is not None
    assert verify_password(row.password_hash, new_password)
    assert not verify_password(row.password_hash, STRONG_PASSWORD)


def test_password_change_with_a_wrong_current_password_is_refused(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    actor = make_user(registry, operator, "changer", department(session, REGION_DATA_BUREAU))

    with pytest.raises(InvalidInput) as raised:
        registry.run(
            "password_change",
            context_for(operator, actor),
            {"current_password": "Not-The-Passw0rd", "new_password": "N3w-Secret-Phrase!"},
        )

    assert raised.value.error_code == "wrong_password"
    assert raised.value.fields == {"current_password": "不正确"}
    row = user_row(session, "changer")
    assert row is not None
    assert verify_password(row.password_hash, STRONG_PASSWORD)


def test_password_change_to_a_weak_password_is_refused(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    actor = make_user(registry, operator, "changer", department(session, REGION_DATA_BUREAU))

    with pytest.raises(InvalidInput) as raised:
        registry.run(
            "password_change",
            context_for(operator, actor),
            {"current_password": STRONG_PASSWORD, "new_password": "password123"},
        )

    assert raised.value.error_code == "weak_password"
    assert "密码过于常见" in raised.value.fields["new_password"]
    row = user_row(session, "changer")
    assert row is not None
    assert verify_password(row.password_hash, STRONG_PASSWORD)


def test_password_change_is_for_people_only(registry: ActionRegistry, operator: Context) -> None:
    with pytest.raises(InvalidInput):
        registry.run(
            "password_change",
            operator,
            {"current_password": DEMO_PASSWORD, "new_password": "N3w-Secret-Phrase!"},
        )


def test_password_change_needs_a_signed_in_caller(
    registry: ActionRegistry, operator: Context
) -> None:
    with pytest.raises(Unauthenticated):
        registry.run(
            "password_change",
            anonymous(operator),
            {"current_password": DEMO_PASSWORD, "new_password": "N3w-Secret-Phrase!"},
        )


# --- events ----------------------------------------------------------------


def test_user_create_records_an_event_in_the_same_transaction(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    bureau = department(session, REGION_DATA_BUREAU)
    admin = user_actor(session, "admin")

    created = registry.run("user_create", context_for(operator, admin), new_user("evented", bureau))

    # Not committed: the event is visible in the very session that made the user.
    event = session.scalar(
        select(EventRecord).where(
            EventRecord.name == "accounts:user:created", EventRecord.subject_id == created.id
        )
    )
    assert event is not None
    assert event.actor_kind == "user"
    assert event.actor_id == admin.id
    assert event.actor_name == "admin"
    assert event.data == {"username": "evented", "organisation_id": bureau.id}


def test_a_failed_user_create_leaves_neither_user_nor_event(
    registry: ActionRegistry, db: Database, settings: Settings, services: Services
) -> None:
    # The user row and its event are written, then granting the unassignable
    # role fails: rolling the caller's transaction back removes both.
    with pytest.raises(InvalidInput), db.transaction() as tx:
        bureau = department(tx, REGION_DATA_BUREAU)
        ctx = Context(
            session=tx,
            actor=user_actor(tx, "admin"),
            policy=build_policy(),
            settings=settings,
            services=services,
        )
        registry.run(
            "user_create",
            ctx,
            new_user("half.made", bureau, roles=[{"role": "public", "organisation_id": bureau.id}]),
        )

    with db.sessionmaker() as fresh:
        assert user_row(fresh, "half.made") is None
        events = fresh.scalars(
            select(EventRecord).where(EventRecord.name == "accounts:user:created")
        ).all()
        assert events  # the demo accounts' events are there
        assert all(e.data.get("username") != "half.made" for e in events)


def test_weak_password_records_no_event(
    registry: ActionRegistry, operator: Context, session: Session
) -> None:
    before = session.scalar(select(func.count()).select_from(EventRecord))

    with pytest.raises(InvalidInput):
        registry.run(
            "user_create",
            as_user(operator, "admin"),
            new_user("weakling", department(session, REGION_DATA_BUREAU), password="abc"),
        )

    assert session.scalar(select(func.count()).select_from(EventRecord)) == before
