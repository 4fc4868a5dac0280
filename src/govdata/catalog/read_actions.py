"""Reading the catalog: an entry with its versions, comparisons, lists, export."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from govdata.access.enforce import require_grade
from govdata.access.policy import ReadKind
from govdata.actions import ActionSet, Context
from govdata.catalog.compare import compare_versions
from govdata.catalog.grading import OPEN_TYPES, metadata_resource
from govdata.catalog.models import CatalogEntry, EntryVersion
from govdata.catalog.presenters import (
    entry_brief,
    entry_out,
    provider_out,
    system_names,
    version_out,
)
from govdata.catalog.schemas import (
    CompareQuery,
    EntryId,
    EntryListQuery,
    EntryOut,
    EntryPage,
    ExportPage,
    ExportQuery,
    VersionComparison,
    VersionOut,
    VersionRef,
)
from govdata.catalog.store import (
    entries_with_version,
    get_entry,
    published_version,
    require_version,
    working_version,
)
from govdata.catalog.visibility import visible_entries
from govdata.catalog.vocab import VersionStatus
from govdata.errors import NotFound
from govdata.orgs.models import Organisation
from govdata.orgs.scopes import scoped_listing

actions = ActionSet("catalog-read")


def sees_published(ctx: Context, version: EntryVersion | None) -> bool:
    """Every member sees the published catalog; everyone sees its open entries."""
    if version is None:
        return False
    return ctx.can("catalog:entry:read") or version.open_type in OPEN_TYPES


@actions.register(
    "entry_show",
    EntryId,
    example={"id": "<entry id>"},
    summary="An entry: the version in force, the one in progress (to its department and "
    "reviewers) and the list of versions.",
    read_only=True,
)
def entry_show(ctx: Context, data: EntryId) -> EntryOut:
    ctx.authorize_somewhere("catalog:open:read")
    entry, provider = get_entry(ctx.session, data.id)
    published = published_version(ctx.session, entry)
    insider = ctx.can("catalog:entry:read_working", provider.ref)
    if not insider and not sees_published(ctx, published):
        raise NotFound("目录不存在", fields={"id": data.id})
    working = working_version(ctx.session, entry) if insider else None
    shown = [version for version in (published, working) if version is not None]
    require_grade(ctx, [metadata_resource(entry, provider, shown)], ReadKind.METADATA)
    return entry_out(ctx.session, entry, provider, published, working, insider=insider)


def _visible_versions(ctx: Context, entry_id: str, numbers: list[int]) -> list[EntryVersion]:
    """The versions asked for, when the caller may see each of them; the grade
    decision is taken on all of them together."""
    entry, provider = get_entry(ctx.session, entry_id)
    insider = ctx.can("catalog:entry:read_working", provider.ref)
    versions = []
    for number in numbers:
        version = require_version(ctx.session, entry.id, number)
        was_published = version.status in (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED)
        if not insider and (not was_published or not sees_published(ctx, version)):
            raise NotFound("目录版本不存在", fields={"number": str(number)})
        versions.append(version)
    require_grade(ctx, [metadata_resource(entry, provider, versions)], ReadKind.METADATA)
    return versions


@actions.register(
    "entry_version_show",
    VersionRef,
    example={"id": "<entry id>", "number": 1},
    summary="One version of an entry, as it was.",
    read_only=True,
)
def entry_version_show(ctx: Context, data: VersionRef) -> VersionOut:
    ctx.authorize_somewhere("catalog:open:read")
    [version] = _visible_versions(ctx, data.id, [data.number])
    return version_out(version, system_names(ctx.session, [version]))


@actions.register(
    "entry_compare",
    CompareQuery,
    example={"id": "<entry id>", "number": 2},
    summary="What changed from the previous version to this one.",
    read_only=True,
)
def entry_compare(ctx: Context, data: CompareQuery) -> VersionComparison:
    ctx.authorize_somewhere("catalog:open:read")
    before, after = _visible_versions(ctx, data.id, [data.number - 1, data.number])
    systems = system_names(ctx.session, [before, after])
    return compare_versions(data.id, version_out(before, systems), version_out(after, systems))


@actions.register(
    "entry_list",
    EntryListQuery,
    example={"status": "draft"},
    summary="Entries of the departments in the caller's scope, latest version each.",
    read_only=True,
)
def entry_list(ctx: Context, data: EntryListQuery) -> EntryPage:
    query = entries_with_version("latest")
    query = scoped_listing(ctx, query, "catalog:entry:read_working", data.organisation_id)
    query = query.where(visible_entries(ctx))
    if data.status is not None:
        query = query.where(CatalogEntry.status == data.status.value)
    total = ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = ctx.session.execute(
        query.order_by(CatalogEntry.updated_at.desc(), CatalogEntry.id)
        .offset(data.offset)
        .limit(data.limit)
    )
    return EntryPage(
        total=total, entries=[entry_brief(entry, version, org) for entry, version, org in rows]
    )


@actions.register(
    "entry_export",
    ExportQuery,
    example={"page": 1, "page_size": 100},
    summary="Published entries in full, page by page, in resource-code order, as far as "
    "the caller may read them by grade (open entries only for callers not signed in).",
    read_only=True,
)
def entry_export(ctx: Context, data: ExportQuery) -> ExportPage:
    ctx.authorize_somewhere("catalog:open:read")
    query = entries_with_version("published").where(visible_entries(ctx))
    if data.organisation_id is not None:
        query = query.where(Organisation.id == data.organisation_id)
    if data.resource_codes:
        query = query.where(CatalogEntry.resource_code.in_(data.resource_codes))
    total = ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        ctx.session.execute(
            query.options(selectinload(EntryVersion.items), selectinload(EntryVersion.resources))
            .order_by(CatalogEntry.resource_code)
            .offset((data.page - 1) * data.page_size)
            .limit(data.page_size)
        )
    )
    systems = system_names(ctx.session, [version for _, version, _ in rows])
    return ExportPage(
        total=total,
        page=data.page,
        page_size=data.page_size,
        entries=[
            EntryOut(
                id=entry.id,
                resource_code=entry.resource_code,
                provider=provider_out(org),
                published=version_out(version, systems),
                working=None,
                versions=[],
            )
            for entry, version, org in rows
        ],
    )
