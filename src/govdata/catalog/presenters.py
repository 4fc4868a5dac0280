"""Plain outputs from catalog rows: actions return these, never ORM objects."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.catalog.models import CatalogEntry, EntryVersion, InformationSystem
from govdata.catalog.schemas import (
    EntryBrief,
    EntryOut,
    ItemOut,
    ProviderOut,
    ResourceOut,
    VersionOut,
    VersionSummary,
)
from govdata.catalog.vocab import (
    DataType,
    FormatCategory,
    Grade,
    OpenType,
    ResourceKind,
    ShareMethod,
    ShareType,
    UpdateCycle,
    VersionStatus,
)
from govdata.orgs.models import Organisation


def provider_out(org: Organisation) -> ProviderOut:
    return ProviderOut(
        id=org.id, name=org.name, credit_code=org.credit_code, division_code=org.division_code
    )


def system_names(session: Session, versions: Iterable[EntryVersion]) -> dict[str, str]:
    ids = {r.system_id for v in versions for r in v.resources if r.system_id}
    if not ids:
        return {}
    rows = session.execute(
        select(InformationSystem.id, InformationSystem.name).where(InformationSystem.id.in_(ids))
    )
    return {row.id: row.name for row in rows}


def version_out(version: EntryVersion, systems: dict[str, str]) -> VersionOut:
    return VersionOut(
        number=version.number,
        status=VersionStatus(version.status),
        name=version.name,
        classification_code=version.classification_code,
        resource_code=version.resource_code,
        provider_code=version.provider_code,
        abstract=version.abstract,
        format_category=FormatCategory(version.format_category),
        format_detail=version.format_detail,
        items=[
            ItemOut(
                name=item.name,
                data_type=DataType(item.data_type),
                length=item.length,
                grade=Grade(item.grade),
                sensitive=item.sensitive,
                description=item.description,
            )
            for item in version.items
        ],
        share_type=ShareType(version.share_type),
        share_conditions=version.share_conditions,
        share_methods=[ShareMethod(m) for m in version.share_methods],
        open_type=OpenType(version.open_type),
        open_conditions=version.open_conditions,
        update_cycle=UpdateCycle(version.update_cycle),
        related_codes=list(version.related_codes),
        resources=[
            ResourceOut(
                name=res.name,
                kind=ResourceKind(res.kind),
                location=res.location,
                system_id=res.system_id,
                system_name=systems.get(res.system_id) if res.system_id else None,
            )
            for res in version.resources
        ],
        grade=Grade(version.grade) if version.grade else None,
        publish_date=version.publish_date,
        created_at=version.created_at,
        created_by=version.created_by,
        submitted_at=version.submitted_at,
        reviewed_at=version.reviewed_at,
        reviewed_by=version.reviewed_by,
        review_reasons=list(version.review_reasons),
    )


def version_summary(version: EntryVersion) -> VersionSummary:
    return VersionSummary(
        number=version.number,
        status=VersionStatus(version.status),
        name=version.name,
        created_at=version.created_at,
        reviewed_at=version.reviewed_at,
        publish_date=version.publish_date,
    )


def entry_brief(entry: CatalogEntry, version: EntryVersion, org: Organisation) -> EntryBrief:
    return EntryBrief(
        id=entry.id,
        resource_code=entry.resource_code,
        name=version.name,
        provider=provider_out(org),
        number=version.number,
        status=VersionStatus(version.status),
        grade=Grade(version.grade) if version.grade else None,
        submitted_at=version.submitted_at,
        updated_at=version.updated_at,
    )


def entry_out(
    session: Session,
    entry: CatalogEntry,
    provider: Organisation,
    published: EntryVersion | None,
    working: EntryVersion | None,
    *,
    insider: bool,
) -> EntryOut:
    """An entry as a reader sees it: outsiders get the published versions only."""
    shown = [v for v in (published, working) if v is not None]
    systems = system_names(session, shown)
    versions = session.scalars(
        select(EntryVersion)
        .where(EntryVersion.entry_id == entry.id)
        .order_by(EntryVersion.number.desc())
    )
    return EntryOut(
        id=entry.id,
        resource_code=entry.resource_code,
        provider=provider_out(provider),
        published=version_out(published, systems) if published else None,
        working=version_out(working, systems) if working and insider else None,
        versions=[
            version_summary(v)
            for v in versions
            if insider or v.status in (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED)
        ],
    )
