"""The grade policy as data, and the decision it drives.

Every read of graded data is decided from three things: the caller's roles, the
caller's *relation* to the organisation that holds the data, and the data's grade
(GB/T 43697). :data:`GRADE_POLICY` says, for each kind of read, role and relation,
the highest grade that may be served; a missing cell is a refusal. Nothing here
looks at a database: callers describe the data as a :class:`GradedResource` and
pass the caller's :class:`~govdata.access.grants.AccessGrant` records.

Relations, from the most to the least specific:

``own``
    the role is held at the holding organisation itself;
``subtree``
    the role is held at an ancestor with subtree scope (or over the whole node,
    the local operator's grant);
``granted``
    an explicit, unexpired access grant names the data, its holder and an
    organisation where the caller holds the role; the grant's ceiling caps the cell;
``member``
    any signed-in person or application of this node (the implicit ``member`` role);
``public``
    anyone (the implicit ``public`` role), and only for open data.

Ungraded data (no published grade) is decided as core data: default deny.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from govdata.access.grants import AccessGrant
from govdata.authz import Actor, OrgRef, Role
from govdata.grades import Grade


class ReadKind(StrEnum):
    """What a read serves: the description of data, or the data's values."""

    METADATA = "metadata"
    VALUES = "values"


class Relation(StrEnum):
    OWN = "own"
    SUBTREE = "subtree"
    GRANTED = "granted"
    MEMBER = "member"
    PUBLIC = "public"


RELATIONS: tuple[Relation, ...] = tuple(Relation)

READ_KIND_LABELS = {ReadKind.METADATA: "目录信息", ReadKind.VALUES: "数据内容"}
RELATION_LABELS = {
    Relation.OWN: "本机构",
    Relation.SUBTREE: "下级机构",
    Relation.GRANTED: "经授权",
    Relation.MEMBER: "本节点登录用户",
    Relation.PUBLIC: "公众（仅开放数据）",
}

# Short names keep the tables below readable as tables.
CORE, IMP = Grade.CORE, Grade.IMPORTANT
G4, G2, G1 = Grade.GENERAL_4, Grade.GENERAL_2, Grade.GENERAL_1
DENY = None

# One row per role; the cells follow RELATIONS (own, subtree, granted, member, public).
# A cell is the highest grade served through that relation; DENY refuses every grade.
# In the ``granted`` column the cell caps the grant, whose own ceiling applies below it.
Row = tuple[Grade | None, Grade | None, Grade | None, Grade | None, Grade | None]

VALUES_POLICY: dict[Role, Row] = {
    #                        own   subtree granted member public
    Role.PROVIDER_OFFICER: (CORE, IMP, DENY, DENY, DENY),
    Role.AUTHORITY_REVIEWER: (IMP, IMP, CORE, DENY, DENY),
    Role.PLATFORM_ADMIN: (G2, G2, CORE, DENY, DENY),
    Role.AUDITOR: (G2, G2, CORE, DENY, DENY),
    Role.CONSUMER_OFFICER: (DENY, DENY, CORE, DENY, DENY),
    Role.MEMBER: (DENY, DENY, DENY, DENY, DENY),
    Role.PUBLIC: (DENY, DENY, DENY, DENY, G1),
}

METADATA_POLICY: dict[Role, Row] = {
    #                        own   subtree granted member public
    Role.PROVIDER_OFFICER: (CORE, CORE, DENY, DENY, DENY),
    Role.AUTHORITY_REVIEWER: (CORE, CORE, CORE, DENY, DENY),
    Role.PLATFORM_ADMIN: (CORE, CORE, CORE, DENY, DENY),
    Role.AUDITOR: (CORE, CORE, CORE, DENY, DENY),
    Role.CONSUMER_OFFICER: (DENY, DENY, CORE, DENY, DENY),
    Role.MEMBER: (DENY, DENY, DENY, IMP, DENY),
    Role.PUBLIC: (DENY, DENY, DENY, DENY, G4),
}

GRADE_POLICY: Mapping[ReadKind, Mapping[Role, Row]] = {
    ReadKind.VALUES: VALUES_POLICY,
    ReadKind.METADATA: METADATA_POLICY,
}


def ceiling(kind: ReadKind, role: Role, relation: Relation) -> Grade | None:
    """The highest grade ``role`` may read through ``relation``; None refuses all."""
    row = GRADE_POLICY[kind].get(role)
    return None if row is None else row[RELATIONS.index(relation)]


def grant_roles() -> frozenset[Role]:
    """The roles that may read through an access grant, of either kind."""
    return frozenset(
        role
        for table in GRADE_POLICY.values()
        for role, row in table.items()
        if row[RELATIONS.index(Relation.GRANTED)] is not None
    )


@dataclass(frozen=True)
class GradedResource:
    """Data as the decision sees it.

    ``resource_id`` is the catalog entry the data belongs to (what grants name);
    ``holder`` the organisation holding it; ``grade`` None when ungraded; ``open``
    whether it is open data for this kind of read.
    """

    resource_id: str
    holder: OrgRef
    grade: Grade | None
    open: bool = False

    @property
    def effective_grade(self) -> Grade:
        return self.grade or Grade.CORE


@dataclass(frozen=True)
class Reach:
    """One way a caller reaches data: a role, a relation and its ceiling.

    ``organisation_id``/``organisation_path`` are where the role is held (None for
    the node-wide grant); ``grant`` the access grant of a ``granted`` reach.
    """

    role: Role
    relation: Relation
    ceiling: Grade
    organisation_id: str | None = None
    organisation_path: str = "/"
    grant: AccessGrant | None = None

    def matches(self, resource: GradedResource) -> bool:
        holder = resource.holder
        if self.relation is Relation.OWN:
            return holder.id == self.organisation_id
        if self.relation is Relation.SUBTREE:
            return self.organisation_id is None or (
                holder.id != self.organisation_id and holder.path.startswith(self.organisation_path)
            )
        if self.relation is Relation.GRANTED:
            assert self.grant is not None  # noqa: S101 (a granted reach carries its grant)
            return (
                self.grant.resource_id == resource.resource_id and self.grant.holder_id == holder.id
            )
        if self.relation is Relation.MEMBER:
            return True
        return resource.open

    def expired(self, now: datetime) -> bool:
        return self.grant is not None and self.grant.expires_at <= now


def reaches(actor: Actor, kind: ReadKind, grants: Iterable[AccessGrant]) -> Iterator[Reach]:
    """Every way ``actor`` reaches data of this kind, with its ceiling (expired
    grants included: the decision tells them apart)."""
    grants = tuple(grants)
    for held in actor.effective_grants():
        role = held.role
        found: list[tuple[Relation, AccessGrant | None]] = []
        if role is Role.PUBLIC:
            found.append((Relation.PUBLIC, None))
        elif role is Role.MEMBER:
            found.append((Relation.MEMBER, None))
        elif held.organisation_id is None:
            found.append((Relation.SUBTREE, None))
        else:
            found.append((Relation.OWN, None))
            if held.include_subtree:
                found.append((Relation.SUBTREE, None))
            found.extend(
                (Relation.GRANTED, grant)
                for grant in grants
                if grant.grantee_id == held.organisation_id
            )
        for relation, grant in found:
            cell = ceiling(kind, role, relation)
            if cell is None:
                continue
            if grant is not None and grant.ceiling.rank < cell.rank:
                cell = grant.ceiling
            yield Reach(
                role=role,
                relation=relation,
                ceiling=cell,
                organisation_id=held.organisation_id,
                organisation_path=held.organisation_path,
                grant=grant,
            )


Reason = Literal["allowed", "grade_forbidden", "grant_expired"]


@dataclass(frozen=True)
class Decision:
    """The outcome of one read decision, recorded by the caller.

    ``relation``/``role``/``ceiling`` are those of the reach that allowed the read,
    or of the best reach that fell short (None when nothing reached the data).
    """

    allowed: bool
    reason: Reason
    kind: ReadKind
    resource_id: str
    grade: Grade | None
    relation: Relation | None = None
    role: Role | None = None
    ceiling: Grade | None = None
    grant_id: str | None = None


def _decision(
    allowed: bool, reason: Reason, kind: ReadKind, resource: GradedResource, reach: Reach | None
) -> Decision:
    return Decision(
        allowed=allowed,
        reason=reason,
        kind=kind,
        resource_id=resource.resource_id,
        grade=resource.grade,
        relation=reach.relation if reach else None,
        role=reach.role if reach else None,
        ceiling=reach.ceiling if reach else None,
        grant_id=reach.grant.id if reach and reach.grant else None,
    )


def decide(
    actor: Actor,
    resource: GradedResource,
    kind: ReadKind,
    grants: Iterable[AccessGrant],
    now: datetime,
) -> Decision:
    """Allow the read when some reach of the caller matches the data and its
    ceiling is at least the data's grade; refuse otherwise (default deny)."""
    grade = resource.effective_grade
    matching = [reach for reach in reaches(actor, kind, grants) if reach.matches(resource)]
    live = [reach for reach in matching if not reach.expired(now)]
    allowed = [reach for reach in live if reach.ceiling.rank >= grade.rank]
    if allowed:
        best = min(allowed, key=lambda reach: RELATIONS.index(reach.relation))
        return _decision(True, "allowed", kind, resource, best)
    expired = [r for r in matching if r.expired(now) and r.ceiling.rank >= grade.rank]
    if expired:
        return _decision(False, "grant_expired", kind, resource, expired[0])
    closest = max(live, key=lambda reach: reach.ceiling.rank, default=None)
    return _decision(False, "grade_forbidden", kind, resource, closest)


def decide_all(
    actor: Actor,
    resources: Sequence[GradedResource],
    kind: ReadKind,
    grants: Iterable[AccessGrant],
    now: datetime,
) -> Decision:
    """One decision for data assembled from several holders' data (a library):
    allowed only when each part is; the refusal of the highest-graded part
    otherwise, else the allowance of the highest-graded part."""
    if not resources:
        raise ValueError("nothing to decide on")
    grants = tuple(grants)
    decisions = [decide(actor, resource, kind, grants, now) for resource in resources]
    ordered = sorted(
        zip(decisions, resources, strict=True),
        key=lambda pair: pair[1].effective_grade.rank,
        reverse=True,
    )
    refused = [decision for decision, _resource in ordered if not decision.allowed]
    return refused[0] if refused else ordered[0][0]
