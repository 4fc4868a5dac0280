"""Loading and writing entries and versions, shared by the catalog actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from govdata.catalog.models import (
    CatalogEntry,
    DataResource,
    EntryVersion,
    IndexQueueItem,
    InformationItem,
    InformationSystem,
)
from govdata.catalog.presenters import entry_out
from govdata.catalog.schemas import EntryMetadata, EntryOut
from govdata.catalog.vocab import WORKING_STATES, Grade, VersionStatus, highest_grade
from govdata.db import utcnow
from govdata.errors import InvalidInput, NotFound
from govdata.orgs.models import Organisation

if TYPE_CHECKING:
    # Only for annotations: the search service (services.py) loads this module
    # while the action layer itself is still being imported.
    from govdata.actions import Context


def entries_with_version(
    which: Literal["latest", "published"],
) -> Select[CatalogEntry, EntryVersion, Organisation]:
    """Entries with one version each (the latest, or the one in force) and the provider."""
    number = CatalogEntry.latest_number if which == "latest" else CatalogEntry.published_number
    return (
        select(CatalogEntry, EntryVersion, Organisation)
        .join(
            EntryVersion,
            (EntryVersion.entry_id == CatalogEntry.id) & (EntryVersion.number == number),
        )
        .join(Organisation, Organisation.id == CatalogEntry.organisation_id)
    )


def current_entry_out(session: Session, entry: CatalogEntry, provider: Organisation) -> EntryOut:
    """The entry as its department and reviewers see it, after a change."""
    session.flush()
    return entry_out(
        session,
        entry,
        provider,
        published_version(session, entry),
        working_version(session, entry),
        insider=True,
    )


def get_entry(
    session: Session, entry_id: str, *, for_update: bool = False
) -> tuple[CatalogEntry, Organisation]:
    """The entry and its provider. ``for_update`` locks the entry's row (PostgreSQL;
    SQLite's write transaction is already exclusive), so that two reviewers or a
    reviewer and the provider cannot change the same entry at once."""
    entry = session.get(CatalogEntry, entry_id, with_for_update=for_update)
    if entry is None:
        raise NotFound("目录不存在", fields={"id": entry_id})
    org = session.get(Organisation, entry.organisation_id)
    if org is None:  # pragma: no cover - a foreign key guards it
        raise NotFound("提供部门不存在", fields={"id": entry_id})
    return entry, org


def load_version(session: Session, entry_id: str, number: int | None) -> EntryVersion | None:
    if number is None:
        return None
    return session.scalar(
        select(EntryVersion)
        .where(EntryVersion.entry_id == entry_id, EntryVersion.number == number)
        .options(selectinload(EntryVersion.items), selectinload(EntryVersion.resources))
    )


def require_version(session: Session, entry_id: str, number: int) -> EntryVersion:
    version = load_version(session, entry_id, number)
    if version is None:
        raise NotFound("目录版本不存在", fields={"number": str(number)})
    return version


def working_version(session: Session, entry: CatalogEntry) -> EntryVersion | None:
    """The latest version when it is still in progress (draft, submitted, returned)."""
    if VersionStatus(entry.status) not in WORKING_STATES:
        return None
    return load_version(session, entry.id, entry.latest_number)


def published_version(session: Session, entry: CatalogEntry) -> EntryVersion | None:
    return load_version(session, entry.id, entry.published_number)


def write_metadata(
    ctx: Context, version: EntryVersion, data: EntryMetadata, provider: Organisation
) -> None:
    """Replace a version's content with ``data``, checking the systems it names."""
    _check_systems(ctx.session, data, provider)
    version.name = data.name
    version.classification_code = data.classification_code
    version.resource_code = data.resource_code
    version.provider_code = provider.credit_code or ""
    version.abstract = data.abstract
    version.format_category = data.format_category.value
    version.format_detail = data.format_detail
    version.share_type = data.share_type.value
    version.share_conditions = data.share_conditions
    version.share_methods = [m.value for m in data.share_methods]
    version.open_type = data.open_type.value
    version.open_conditions = data.open_conditions
    version.update_cycle = data.update_cycle.value
    version.related_codes = list(data.related_codes)
    grade = highest_grade([item.grade for item in data.items])
    version.grade = grade.value if grade else None
    version.items = [
        InformationItem(
            position=index,
            name=item.name,
            data_type=item.data_type.value,
            length=item.length,
            grade=item.grade.value,
            sensitive=item.sensitive,
            description=item.description,
        )
        for index, item in enumerate(data.items)
    ]
    version.resources = [
        DataResource(
            position=index,
            name=res.name,
            kind=res.kind.value,
            location=res.location,
            system_id=res.system_id,
        )
        for index, res in enumerate(data.resources)
    ]
    version.updated_at = utcnow()


def copy_version(source: EntryVersion, number: int, actor_name: str) -> EntryVersion:
    """A new draft with the content of ``source``: the start of a revision."""
    copied = EntryVersion(
        entry_id=source.entry_id,
        number=number,
        status=VersionStatus.DRAFT.value,
        name=source.name,
        classification_code=source.classification_code,
        resource_code=source.resource_code,
        provider_code=source.provider_code,
        abstract=source.abstract,
        format_category=source.format_category,
        format_detail=source.format_detail,
        share_type=source.share_type,
        share_conditions=source.share_conditions,
        share_methods=list(source.share_methods),
        open_type=source.open_type,
        open_conditions=source.open_conditions,
        update_cycle=source.update_cycle,
        related_codes=list(source.related_codes),
        grade=source.grade,
        created_by=actor_name,
        review_reasons=[],
    )
    copied.items = [
        InformationItem(
            position=item.position,
            name=item.name,
            data_type=item.data_type,
            length=item.length,
            grade=item.grade,
            sensitive=item.sensitive,
            description=item.description,
        )
        for item in source.items
    ]
    copied.resources = [
        DataResource(
            position=res.position,
            name=res.name,
            kind=res.kind,
            location=res.location,
            system_id=res.system_id,
        )
        for res in source.resources
    ]
    return copied


def _check_systems(session: Session, data: EntryMetadata, provider: Organisation) -> None:
    ids = {r.system_id for r in data.resources if r.system_id}
    if not ids:
        return
    owners = dict(
        session.execute(
            select(InformationSystem.id, InformationSystem.organisation_id).where(
                InformationSystem.id.in_(ids)
            )
        ).all()
    )
    errors: dict[str, str] = {}
    for index, res in enumerate(data.resources):
        if res.system_id is None:
            continue
        owner = owners.get(res.system_id)
        if owner is None:
            errors[f"resources.{index}.system_id"] = "信息系统不存在"
        elif owner != provider.id:
            errors[f"resources.{index}.system_id"] = "信息系统不属于提供部门"
    if errors:
        raise InvalidInput("数据资源关联的信息系统有误", fields=errors)


def enqueue_for_index(ctx: Context, entry: CatalogEntry) -> None:
    """Ask the search index to refresh this entry once the transaction commits."""
    ctx.session.add(IndexQueueItem(entry_id=entry.id))
    ctx.after_commit(ctx.services.search.request_sync)


def grade_of(version: EntryVersion) -> Grade | None:
    return Grade(version.grade) if version.grade else None
