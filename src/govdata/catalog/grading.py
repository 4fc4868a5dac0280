"""Catalog entries as the grade decision sees them (X2, C8).

An entry's grade is the highest grade of its items (C8), per version. Reads of the
entry's description (metadata) are decided on the versions shown; reads of its
data (stored or logically accessed) on the version in force, or on the version in
progress when the provider has already graded it higher. Data whose entry was
never published is ungraded, which the policy decides as core data.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.access.policy import GradedResource
from govdata.catalog.models import CatalogEntry, EntryVersion
from govdata.catalog.vocab import WORKING_STATES, OpenType, VersionStatus
from govdata.errors import NotFound
from govdata.grades import Grade, highest_grade
from govdata.orgs.models import Organisation

# Open data as far as its description goes: listed to everyone.
OPEN_TYPES = (OpenType.UNCONDITIONAL.value, OpenType.CONDITIONAL.value)
# Open data as far as its values go: conditional opening needs an application (O2).
OPEN_VALUE_TYPES = (OpenType.UNCONDITIONAL.value,)


def _grade(value: str | None) -> Grade | None:
    return Grade(value) if value else None


def metadata_resource(
    entry: CatalogEntry, provider: Organisation, versions: Iterable[EntryVersion]
) -> GradedResource:
    """The description of an entry, as the given versions show it."""
    shown = list(versions)
    return GradedResource(
        resource_id=entry.id,
        holder=provider.ref,
        grade=highest_grade(g for v in shown if (g := _grade(v.grade)) is not None),
        open=bool(shown) and all(v.open_type in OPEN_TYPES for v in shown),
    )


def data_resource(session: Session, entry_id: str) -> GradedResource:
    """The data of an entry (a source's rows, a library member's part)."""
    entry = session.get(CatalogEntry, entry_id)
    if entry is None:  # pragma: no cover - sources reference entries by foreign key
        raise NotFound("目录不存在", fields={"id": entry_id})
    holder = session.get(Organisation, entry.organisation_id)
    if holder is None:  # pragma: no cover - a foreign key guards it
        raise NotFound("提供部门不存在", fields={"id": entry_id})
    if entry.published_number is None:
        return GradedResource(resource_id=entry.id, holder=holder.ref, grade=None)
    numbers = [entry.published_number]
    if VersionStatus(entry.status) in WORKING_STATES:
        numbers.append(entry.latest_number)
    versions = {
        number: (grade, open_type)
        for number, grade, open_type in session.execute(
            select(EntryVersion.number, EntryVersion.grade, EntryVersion.open_type).where(
                EntryVersion.entry_id == entry.id, EntryVersion.number.in_(numbers)
            )
        )
    }
    published_grade, open_type = versions[entry.published_number]
    working_grade = versions.get(entry.latest_number, (None, ""))[0]
    grade = _grade(published_grade)
    if grade is not None:
        grade = highest_grade(g for g in (grade, _grade(working_grade)) if g is not None)
    return GradedResource(
        resource_id=entry.id,
        holder=holder.ref,
        grade=grade,
        open=open_type in OPEN_VALUE_TYPES,
    )
