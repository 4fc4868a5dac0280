"""Drafting actions of the catalog: create, edit, submit, revise (C1, C2, C4)."""

from __future__ import annotations

from sqlalchemy import select

from govdata.actions import ActionSet, Context
from govdata.catalog.events import EntryDrafted, EntrySubmitted
from govdata.catalog.models import CatalogEntry, EntryVersion
from govdata.catalog.precheck import precheck
from govdata.catalog.schemas import EntryCreate, EntryId, EntryOut, EntryUpdate
from govdata.catalog.store import (
    copy_version,
    current_entry_out,
    get_entry,
    published_version,
    working_version,
    write_metadata,
)
from govdata.catalog.vocab import VersionStatus
from govdata.db import utcnow
from govdata.errors import Conflict, InvalidInput
from govdata.events import record_event
from govdata.orgs.actions import get_organisation

actions = ActionSet("catalog")

_EXAMPLE_METADATA = {
    "name": "企业营业执照登记信息",
    "classification_code": "102001",
    "resource_code": "102001/000001",
    "abstract": "市场主体登记注册的营业执照信息，用于企业身份核验。",
    "format_category": "database",
    "format_detail": "KingbaseES",
    "items": [
        {"name": "统一社会信用代码", "data_type": "C", "length": 18, "grade": "general_2"},
        {"name": "企业名称", "data_type": "C", "length": 200, "grade": "general_2"},
    ],
    "share_type": "unconditional",
    "share_methods": ["interface"],
    "open_type": "conditional",
    "open_conditions": "仅开放企业名称与登记状态",
    "update_cycle": "daily",
}


@actions.register(
    "entry_create",
    EntryCreate,
    example={"organisation_id": "<department id>", **_EXAMPLE_METADATA},
    summary="Draft a catalog entry for a provider department (version 1, draft).",
)
def entry_create(ctx: Context, data: EntryCreate) -> EntryOut:
    ctx.authorize_somewhere("catalog:entry:draft")
    provider = get_organisation(ctx, data.organisation_id, field="organisation_id")
    ctx.authorize("catalog:entry:draft", provider.ref)
    if provider.kind != "department" or not provider.credit_code:
        raise InvalidInput(
            "目录的提供方须为有统一社会信用代码的部门",
            fields={"organisation_id": "不是部门"},
        )
    _refuse_taken_code(ctx, data.resource_code)
    entry = CatalogEntry(
        resource_code=data.resource_code,
        organisation_id=provider.id,
        latest_number=1,
        status=VersionStatus.DRAFT.value,
        created_by=ctx.actor.name,
    )
    ctx.session.add(entry)
    ctx.session.flush()
    version = EntryVersion(
        entry_id=entry.id,
        number=1,
        status=VersionStatus.DRAFT.value,
        created_by=ctx.actor.name,
        review_reasons=[],
    )
    write_metadata(ctx, version, data, provider)
    ctx.session.add(version)
    ctx.session.flush()
    record_event(
        ctx, EntryDrafted(subject_id=entry.id, resource_code=entry.resource_code, number=1)
    )
    return current_entry_out(ctx.session, entry, provider)


@actions.register(
    "entry_update",
    EntryUpdate,
    example={"id": "<entry id>", **_EXAMPLE_METADATA},
    summary="Replace the content of the entry's draft or returned version.",
)
def entry_update(ctx: Context, data: EntryUpdate) -> EntryOut:
    ctx.authorize_somewhere("catalog:entry:draft")
    entry, provider = get_entry(ctx.session, data.id, for_update=True)
    ctx.authorize("catalog:entry:draft", provider.ref)
    version = working_version(ctx.session, entry)
    if version is None or version.status == VersionStatus.SUBMITTED:
        raise Conflict(
            "只有草稿或被退回的版本可以修改；已发布的目录请先发起新版本",
            code="entry_not_editable",
        )
    if data.resource_code != entry.resource_code:
        if entry.published_number is not None:
            raise InvalidInput(
                "已发布目录的资源代码不能修改",
                fields={"resource_code": "资源代码是目录的标识"},
            )
        _refuse_taken_code(ctx, data.resource_code)
        entry.resource_code = data.resource_code
    write_metadata(ctx, version, data, provider)
    version.status = VersionStatus.DRAFT.value
    entry.status = version.status
    entry.updated_at = utcnow()
    ctx.session.flush()
    return current_entry_out(ctx.session, entry, provider)


@actions.register(
    "entry_submit",
    EntryId,
    example={"id": "<entry id>"},
    summary="Submit the draft for review, after the platform's pre-check passes.",
)
def entry_submit(ctx: Context, data: EntryId) -> EntryOut:
    ctx.authorize_somewhere("catalog:entry:draft")
    entry, provider = get_entry(ctx.session, data.id, for_update=True)
    ctx.authorize("catalog:entry:draft", provider.ref)
    version = working_version(ctx.session, entry)
    if version is None or version.status == VersionStatus.SUBMITTED:
        raise Conflict("没有可提交的草稿", code="entry_not_submittable")
    problems = precheck(ctx.session, entry, version)
    if problems:
        raise InvalidInput(
            "目录未通过预检，请修改后再提交",
            code="precheck_failed",
            fields={p.field: p.message for p in problems},
        )
    version.status = VersionStatus.SUBMITTED.value
    version.submitted_at = utcnow()
    version.submitted_by = ctx.actor.name
    version.review_reasons = []
    entry.status = version.status
    entry.updated_at = version.submitted_at
    record_event(
        ctx,
        EntrySubmitted(
            subject_id=entry.id, resource_code=entry.resource_code, number=version.number
        ),
    )
    return current_entry_out(ctx.session, entry, provider)


@actions.register(
    "entry_revise",
    EntryId,
    example={"id": "<entry id>"},
    summary="Start a new version of a published entry; the published one stays in force.",
)
def entry_revise(ctx: Context, data: EntryId) -> EntryOut:
    ctx.authorize_somewhere("catalog:entry:draft")
    entry, provider = get_entry(ctx.session, data.id, for_update=True)
    ctx.authorize("catalog:entry:draft", provider.ref)
    if working_version(ctx.session, entry) is not None:
        raise Conflict("该目录已有未完成的版本", code="revision_in_progress")
    published = published_version(ctx.session, entry)
    if published is None:  # pragma: no cover - an entry is either working or published
        raise Conflict("目录尚未发布", code="entry_not_published")
    number = entry.latest_number + 1
    draft = copy_version(published, number, ctx.actor.name)
    ctx.session.add(draft)
    entry.latest_number = number
    entry.status = VersionStatus.DRAFT.value
    entry.updated_at = utcnow()
    ctx.session.flush()
    record_event(
        ctx, EntryDrafted(subject_id=entry.id, resource_code=entry.resource_code, number=number)
    )
    return current_entry_out(ctx.session, entry, provider)


def _refuse_taken_code(ctx: Context, code: str) -> None:
    taken = ctx.session.scalar(select(CatalogEntry.id).where(CatalogEntry.resource_code == code))
    if taken is not None:
        raise Conflict(
            f"资源代码“{code}”已被登记",
            code="resource_code_taken",
            fields={"resource_code": "已被其他目录使用"},
        )
