"""Authorisation by role and organisation scope, decided from the policy table."""

from __future__ import annotations

import pytest

from govdata.authz import (
    ANONYMOUS,
    NODE_ROOT,
    Actor,
    OrgRef,
    PolicyTable,
    Role,
    RoleGrant,
    permission,
    system_actor,
)
from govdata.errors import Forbidden, Unauthenticated

REGION = OrgRef("region", "/region/")
CITY = OrgRef("city", "/region/city/")
COUNTY = OrgRef("county", "/region/city/county/")
OTHER_CITY = OrgRef("other", "/region/other/")

POLICY = PolicyTable(
    [
        permission("thing:edit", [Role.PROVIDER_OFFICER], "edit"),
        permission("thing:read", [Role.PUBLIC], "read", scoped=False),
        permission("thing:audit", [Role.AUDITOR], "audit", scoped=False),
        permission("thing:self", [Role.MEMBER], "self", scoped=False),
    ]
)


def officer(at: OrgRef, *, subtree: bool) -> Actor:
    grant = RoleGrant(Role.PROVIDER_OFFICER, at.id, at.path, subtree)
    return Actor(kind="user", id="u1", name="officer", grants=(grant,))


@pytest.mark.parametrize(
    ("grant_at", "subtree", "target", "allowed"),
    [
        (CITY, False, CITY, True),
        (CITY, False, COUNTY, False),
        (CITY, True, COUNTY, True),
        (CITY, True, REGION, False),
        (CITY, True, OTHER_CITY, False),
        (COUNTY, True, CITY, False),
    ],
)
def test_a_scoped_permission_covers_the_own_organisation_and_optionally_its_subtree(
    grant_at: OrgRef, subtree: bool, target: OrgRef, allowed: bool
) -> None:
    assert POLICY.is_allowed(officer(grant_at, subtree=subtree), "thing:edit", target) is allowed


def test_a_role_that_is_not_listed_is_denied_even_at_its_own_organisation() -> None:
    auditor = Actor(
        kind="user", id="a", name="a", grants=(RoleGrant(Role.AUDITOR, CITY.id, CITY.path, True),)
    )
    assert not POLICY.is_allowed(auditor, "thing:edit", CITY)


def test_public_permissions_are_open_to_anonymous_callers() -> None:
    assert POLICY.is_allowed(ANONYMOUS, "thing:read")


def test_member_permissions_need_a_signed_in_caller() -> None:
    assert not POLICY.is_allowed(ANONYMOUS, "thing:self")
    assert POLICY.is_allowed(officer(CITY, subtree=False), "thing:self")


def test_anonymous_callers_are_told_to_authenticate_and_others_are_forbidden() -> None:
    with pytest.raises(Unauthenticated):
        POLICY.check(ANONYMOUS, "thing:edit", CITY)
    with pytest.raises(Forbidden) as raised:
        POLICY.check(officer(OTHER_CITY, subtree=True), "thing:edit", CITY)
    assert raised.value.fields == {"permission": "thing:edit"}


def test_only_a_node_wide_grant_covers_the_node_root() -> None:
    assert not POLICY.is_allowed(officer(REGION, subtree=True), "thing:edit", NODE_ROOT)
    admin_policy = PolicyTable([permission("node:op", [Role.PLATFORM_ADMIN], "op")])
    assert admin_policy.is_allowed(system_actor(), "node:op", NODE_ROOT)


def test_listing_requires_holding_the_permission_somewhere() -> None:
    auditor = Actor(
        kind="user", id="a", name="a", grants=(RoleGrant(Role.AUDITOR, CITY.id, CITY.path, False),)
    )
    POLICY.check(auditor, "thing:audit", anywhere=True)
    with pytest.raises(Forbidden):
        POLICY.check(officer(CITY, subtree=True), "thing:audit", anywhere=True)


def test_a_scoped_permission_checked_without_a_target_is_a_programming_error() -> None:
    with pytest.raises(LookupError):
        POLICY.is_allowed(officer(CITY, subtree=False), "thing:edit")


def test_undeclared_permissions_are_a_programming_error_not_a_denial() -> None:
    with pytest.raises(LookupError, match="undeclared"):
        POLICY.is_allowed(ANONYMOUS, "thing:unknown")


def test_a_permission_cannot_be_declared_twice() -> None:
    with pytest.raises(ValueError, match="twice"):
        PolicyTable([permission("a:b", [Role.PUBLIC], "x"), permission("a:b", [Role.PUBLIC], "y")])
