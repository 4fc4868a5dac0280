"""No one can hand on more than they hold: role grants, keys and re-enabled applications."""

from __future__ import annotations

import pytest

from govdata.accounts.models import ApiKey, Application
from govdata.accounts.services import actor_for_application
from govdata.actions import ActionRegistry, Context
from govdata.authz import Role
from govdata.errors import Forbidden, InvalidInput
from tests.factories import context_for, department, make_user, region, user_actor


@pytest.fixture
def hohhot_admin(registry: ActionRegistry, operator: Context) -> Context:
    """A platform administrator at 呼和浩特市 itself, not over its counties."""
    city = region(operator.session, "150100")
    actor = make_user(registry, operator, "city_only_admin", city, Role.PLATFORM_ADMIN)
    return context_for(operator, actor)


def test_an_admin_without_subtree_reach_cannot_grant_subtree_reach(
    registry: ActionRegistry, operator: Context, hohhot_admin: Context
) -> None:
    city = region(operator.session, "150100")
    clerk = make_user(registry, operator, "city_clerk", city)
    with pytest.raises(Forbidden) as raised:
        registry.run(
            "role_grant",
            hohhot_admin,
            {
                "user_id": clerk.id,
                "role": "platform_admin",
                "organisation_id": city.id,
                "include_subtree": True,
            },
        )
    assert raised.value.error_code == "delegation_refused"


def test_an_admin_grants_roles_within_their_own_reach(
    registry: ActionRegistry, operator: Context, hohhot_admin: Context
) -> None:
    city = region(operator.session, "150100")
    clerk = make_user(registry, operator, "city_auditor", city)
    granted = registry.run(
        "role_grant",
        hohhot_admin,
        {"user_id": clerk.id, "role": "auditor", "organisation_id": city.id},
    )
    assert granted.role == Role.AUDITOR


def test_an_admin_cannot_grant_roles_to_people_outside_their_reach(
    registry: ActionRegistry, operator: Context, hohhot_admin: Context
) -> None:
    city = region(operator.session, "150100")
    outsider = user_actor(operator.session, "provider")
    with pytest.raises(Forbidden):
        registry.run(
            "role_grant",
            hohhot_admin,
            {"user_id": outsider.id, "role": "auditor", "organisation_id": city.id},
        )


def test_an_admin_cannot_withdraw_a_grant_wider_than_their_reach(
    registry: ActionRegistry, operator: Context, hohhot_admin: Context
) -> None:
    city = region(operator.session, "150100")
    wide = make_user(registry, operator, "city_wide", city, Role.AUDITOR, scope=city, subtree=True)
    [assignment] = registry.run("user_show", operator, {"id": wide.id}).roles
    with pytest.raises(Forbidden):
        registry.run("role_revoke", hohhot_admin, {"id": assignment.id})


def app_with_role(
    registry: ActionRegistry, operator: Context, role: Role, *, subtree: bool = False
) -> str:
    bureau = department(operator.session, "内蒙古自治区市场监督管理局")
    top = region(operator.session, "150000")
    app = registry.run(
        "application_create", operator, {"name": f"{role.value}应用", "organisation_id": bureau.id}
    )
    registry.run(
        "role_grant",
        operator,
        {
            "application_id": app.id,
            "role": role.value,
            "organisation_id": top.id if subtree else bureau.id,
            "include_subtree": subtree,
        },
    )
    app_id: str = app.id
    return app_id


def test_an_officer_cannot_take_a_key_to_an_application_stronger_than_themself(
    registry: ActionRegistry, operator: Context
) -> None:
    app_id = app_with_role(registry, operator, Role.PLATFORM_ADMIN, subtree=True)
    provider = context_for(operator, user_actor(operator.session, "provider"))
    with pytest.raises(Forbidden) as raised:
        registry.run("api_key_create", provider, {"application_id": app_id})
    assert raised.value.error_code == "delegation_refused"


def test_an_officer_issues_keys_to_an_application_acting_with_their_own_role(
    registry: ActionRegistry, operator: Context
) -> None:
    app_id = app_with_role(registry, operator, Role.PROVIDER_OFFICER)
    provider = context_for(operator, user_actor(operator.session, "provider"))
    issued = registry.run("api_key_create", provider, {"application_id": app_id})
    assert issued.key_id.startswith("gk_")


def test_an_officer_cannot_switch_a_stronger_application_back_on(
    registry: ActionRegistry, operator: Context
) -> None:
    app_id = app_with_role(registry, operator, Role.PLATFORM_ADMIN, subtree=True)
    registry.run("application_set_active", operator, {"id": app_id, "active": False})
    provider = context_for(operator, user_actor(operator.session, "provider"))
    with pytest.raises(Forbidden):
        registry.run("application_set_active", provider, {"id": app_id, "active": True})
    registry.run("application_set_active", provider, {"id": app_id, "active": False})


def test_an_admin_cannot_withdraw_their_own_role(
    registry: ActionRegistry, operator: Context
) -> None:
    admin = user_actor(operator.session, "admin")
    [assignment] = registry.run("user_show", operator, {"id": admin.id}).roles
    with pytest.raises(InvalidInput) as raised:
        registry.run("role_revoke", context_for(operator, admin), {"id": assignment.id})
    assert raised.value.error_code == "cannot_revoke_own_role"


def test_a_role_granted_after_a_key_was_issued_does_not_reach_that_key(
    registry: ActionRegistry, operator: Context
) -> None:
    app_id = app_with_role(registry, operator, Role.PROVIDER_OFFICER)
    provider = context_for(operator, user_actor(operator.session, "provider"))
    issued = registry.run("api_key_create", provider, {"application_id": app_id})
    top = region(operator.session, "150000")
    registry.run(
        "role_grant",
        operator,
        {
            "application_id": app_id,
            "role": "platform_admin",
            "organisation_id": top.id,
            "include_subtree": True,
        },
    )
    operator.session.flush()
    key = operator.session.get(ApiKey, issued.key_id)
    app = operator.session.get(Application, app_id)
    assert key is not None
    assert app is not None
    actor = actor_for_application(operator.session, app, key)
    assert {grant.role for grant in actor.grants} == {Role.PROVIDER_OFFICER}


def test_withdrawing_a_role_of_someone_outside_ones_reach_is_forbidden(
    registry: ActionRegistry, operator: Context, hohhot_admin: Context
) -> None:
    city = region(operator.session, "150100")
    provider = user_actor(operator.session, "provider")
    assignment = registry.run(
        "role_grant",
        operator,
        {"user_id": provider.id, "role": "auditor", "organisation_id": city.id},
    )
    with pytest.raises(Forbidden):
        registry.run("role_revoke", hohhot_admin, {"id": assignment.id})


def test_switching_a_person_back_on_needs_reach_over_their_roles(
    registry: ActionRegistry, operator: Context, hohhot_admin: Context
) -> None:
    city = region(operator.session, "150100")
    strong = make_user(
        registry, operator, "city_strong", city, Role.PLATFORM_ADMIN, scope=city, subtree=True
    )
    registry.run("user_set_active", operator, {"id": strong.id, "active": False})
    with pytest.raises(Forbidden):
        registry.run("user_set_active", hohhot_admin, {"id": strong.id, "active": True})


def test_an_admin_cannot_disable_someone_whose_roles_reach_further(
    registry: ActionRegistry, operator: Context
) -> None:
    bureau = department(operator.session, "内蒙古自治区政务服务与数据管理局")
    narrow = make_user(registry, operator, "bureau_admin", bureau, Role.PLATFORM_ADMIN)
    admin = user_actor(operator.session, "admin")
    with pytest.raises(Forbidden):
        registry.run(
            "user_set_active", context_for(operator, narrow), {"id": admin.id, "active": False}
        )
