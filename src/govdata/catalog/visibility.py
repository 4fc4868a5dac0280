"""Catalog lists restricted by the grade policy, decided in SQL.

The same reaches as :func:`govdata.access.policy.decide` (one per role grant, relation
and access grant of the caller), turned into one condition per reach, so that a
list stays one query with a correct total. ``tests/test_grade_policy.py`` checks
that the condition and the decision agree entry by entry.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true

from govdata.access.enforce import actor_grants
from govdata.access.policy import Reach, ReadKind, Relation, reaches
from govdata.actions import Context
from govdata.catalog.grading import OPEN_TYPES
from govdata.catalog.models import CatalogEntry, EntryVersion
from govdata.db import utcnow
from govdata.grades import Grade, grades_up_to
from govdata.orgs.models import Organisation


def _graded_at_most(ceiling: Grade) -> ColumnElement[bool]:
    """Ungraded versions count as core data."""
    if ceiling is Grade.CORE:
        return true()
    return EntryVersion.grade.in_([grade.value for grade in grades_up_to(ceiling)])


def _reached(reach: Reach) -> ColumnElement[bool]:
    if reach.relation is Relation.OWN:
        return Organisation.id == reach.organisation_id
    if reach.relation is Relation.SUBTREE:
        if reach.organisation_id is None:
            return true()
        return and_(
            Organisation.path.startswith(reach.organisation_path),
            Organisation.id != reach.organisation_id,
        )
    if reach.relation is Relation.GRANTED:
        assert reach.grant is not None  # noqa: S101 (a granted reach carries its grant)
        return and_(
            CatalogEntry.id == reach.grant.resource_id,
            Organisation.id == reach.grant.holder_id,
        )
    if reach.relation is Relation.MEMBER:
        return true()
    return EntryVersion.open_type.in_(OPEN_TYPES)


def visible_entries(ctx: Context) -> ColumnElement[bool]:
    """A condition on a query joining ``CatalogEntry``, one ``EntryVersion`` each and
    the provider ``Organisation``: the entries whose description, as that version
    gives it, the caller may read."""
    now = utcnow()
    conditions = [
        and_(_reached(reach), _graded_at_most(reach.ceiling))
        for reach in reaches(ctx.actor, ReadKind.METADATA, actor_grants(ctx))
        if not reach.expired(now)
    ]
    return or_(*conditions) if conditions else false()


def listed_grades(ctx: Context) -> tuple[Grade, ...]:
    """The grades the caller may find in the catalog search: those every department's
    entries are visible at (as a member of the node, or as the public for open
    entries). Entries visible only in the caller's own scope, or through a grant,
    are listed by ``entry_list`` instead."""
    best: Grade | None = None
    for reach in reaches(ctx.actor, ReadKind.METADATA, ()):
        everywhere = reach.relation in {Relation.MEMBER, Relation.PUBLIC} or (
            reach.relation is Relation.SUBTREE and reach.organisation_id is None
        )
        if everywhere and (best is None or reach.ceiling.rank > best.rank):
            best = reach.ceiling
    return grades_up_to(best) if best is not None else ()
