"""Roles, permissions declared as data, and the one ``authorize`` call.

Each area declares its permissions in its ``permissions.py``; the app composes
them into one :class:`PolicyTable`. A decision looks at the actor's role grants
(a role held at an organisation, optionally over its whole subtree) and the
organisation the action touches. Anything not explicitly allowed is denied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from govdata.errors import Forbidden, Unauthenticated


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    AUTHORITY_REVIEWER = "authority_reviewer"
    PROVIDER_OFFICER = "provider_officer"
    CONSUMER_OFFICER = "consumer_officer"
    AUDITOR = "auditor"
    PUBLIC = "public"
    # Held implicitly by every signed-in person and every keyed application.
    MEMBER = "member"


ROLE_LABELS: dict[Role, str] = {
    Role.PLATFORM_ADMIN: "平台管理员",
    Role.AUTHORITY_REVIEWER: "数据主管部门审核员",
    Role.PROVIDER_OFFICER: "数据提供部门专员",
    Role.CONSUMER_OFFICER: "数据使用部门专员",
    Role.AUDITOR: "审计员",
    Role.PUBLIC: "公众",
    Role.MEMBER: "登录用户",
}

ASSIGNABLE_ROLES = frozenset(
    {
        Role.PLATFORM_ADMIN,
        Role.AUTHORITY_REVIEWER,
        Role.PROVIDER_OFFICER,
        Role.CONSUMER_OFFICER,
        Role.AUDITOR,
    }
)


@dataclass(frozen=True)
class Permission:
    """A named capability and the roles that hold it.

    ``scoped`` permissions are checked against a target organisation: the role
    must be held at that organisation, or at an ancestor with subtree scope.
    """

    name: str
    roles: frozenset[Role]
    description: str
    scoped: bool = True


def permission(
    name: str, roles: Iterable[Role], description: str, *, scoped: bool = True
) -> Permission:
    return Permission(name=name, roles=frozenset(roles), description=description, scoped=scoped)


@dataclass(frozen=True)
class OrgRef:
    """The organisation an action touches: its id and materialised path."""

    id: str
    path: str


@dataclass(frozen=True)
class RoleGrant:
    role: Role
    organisation_id: str | None  # None: the whole node (the local operator)
    organisation_path: str
    include_subtree: bool

    def covers(self, target: OrgRef | None) -> bool:
        if target is None or self.organisation_id is None:
            return True
        if target.id == self.organisation_id:
            return True
        return self.include_subtree and target.path.startswith(self.organisation_path)

    def covers_subtree(self, target: OrgRef) -> bool:
        """Whether this grant reaches the target and everything below it."""
        if self.organisation_id is None:
            return True
        return self.include_subtree and (
            target.id == self.organisation_id or target.path.startswith(self.organisation_path)
        )


# The target of node-wide operations: only a grant over the whole node covers it.
NODE_ROOT = OrgRef(id="*", path="/")

ActorKind = Literal["user", "application", "system", "anonymous"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str | None
    name: str
    organisation_id: str | None = None
    grants: tuple[RoleGrant, ...] = ()

    @property
    def is_authenticated(self) -> bool:
        return self.kind != "anonymous"

    def effective_grants(self) -> tuple[RoleGrant, ...]:
        implicit = [RoleGrant(Role.PUBLIC, None, "/", True)]
        if self.is_authenticated:
            implicit.append(RoleGrant(Role.MEMBER, None, "/", True))
        return (*implicit, *self.grants)

    def roles(self) -> frozenset[Role]:
        return frozenset(g.role for g in self.effective_grants())


ANONYMOUS = Actor(kind="anonymous", id=None, name="anonymous")


def system_actor(name: str = "system") -> Actor:
    """The local operator (CLI, jobs): platform administrator over the whole node."""
    return Actor(
        kind="system",
        id=None,
        name=name,
        grants=(RoleGrant(Role.PLATFORM_ADMIN, None, "/", True),),
    )


class PolicyTable:
    """Every permission of the composed application, by name."""

    def __init__(self, permissions: Iterable[Permission]) -> None:
        self._by_name: dict[str, Permission] = {}
        for perm in permissions:
            if perm.name in self._by_name:
                raise ValueError(f"permission declared twice: {perm.name}")
            self._by_name[perm.name] = perm

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> Permission:
        try:
            return self._by_name[name]
        except KeyError:
            raise LookupError(f"undeclared permission: {name}") from None

    def all(self) -> list[Permission]:
        return sorted(self._by_name.values(), key=lambda p: p.name)

    def is_allowed(self, actor: Actor, name: str, target: OrgRef | None = None) -> bool:
        perm = self.get(name)
        if perm.scoped and target is None:
            raise LookupError(f"permission {name} needs a target organisation")
        return any(
            grant.role in perm.roles and grant.covers(target if perm.scoped else None)
            for grant in actor.effective_grants()
        )

    def holds_anywhere(self, actor: Actor, name: str) -> bool:
        """Whether the actor holds the permission at some organisation at all."""
        perm = self.get(name)
        return any(grant.role in perm.roles for grant in actor.effective_grants())

    def may_delegate(self, actor: Actor, role: Role, target: OrgRef, *, subtree: bool) -> bool:
        """Whether the actor may hand ``role`` at ``target`` (and below, with ``subtree``)
        to someone else: only what the actor holds itself, as the role itself or as
        platform administrator, over at least the same reach. No one can give away
        more than they have."""
        return any(
            grant.role in (role, Role.PLATFORM_ADMIN)
            and (grant.covers_subtree(target) if subtree else grant.covers(target))
            for grant in actor.grants
        )

    def check(
        self, actor: Actor, name: str, target: OrgRef | None = None, *, anywhere: bool = False
    ) -> None:
        allowed = (
            self.holds_anywhere(actor, name) if anywhere else self.is_allowed(actor, name, target)
        )
        if allowed:
            return
        if not actor.is_authenticated:
            raise Unauthenticated()
        raise Forbidden(
            f"当前账号无权执行“{self.get(name).description}”", fields={"permission": name}
        )
