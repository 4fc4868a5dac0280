"""Base libraries (基础库) and theme libraries (主题库): define, add sources, build, read."""

from __future__ import annotations

from sqlalchemy import select

from govdata.access.enforce import require_grade
from govdata.access.policy import ReadKind
from govdata.actions import ActionSet, Context
from govdata.aggregation.columns import encrypted_names
from govdata.aggregation.data_actions import jsonable
from govdata.aggregation.grading import library_resources, record_read
from govdata.aggregation.masked_reads import mask_page, sensitive_by_checks
from govdata.aggregation.models import Library, LibraryMember, Run, Source
from govdata.aggregation.presenters import run_out
from govdata.aggregation.run_actions import enqueue
from govdata.aggregation.schemas import RunOut
from govdata.aggregation.store import ACTIVE_RUN_STATES, declared_columns, get_source, org_ref
from govdata.audit.guard import ReadAttempt, guard_read
from govdata.audit.lookups import recorded_where
from govdata.db import new_id
from govdata.errors import Conflict, InvalidInput, NotFound
from govdata.lake.protection import read_decrypted
from govdata.lake.tables import LakeTable
from govdata.libraries.build import library_columns
from govdata.libraries.schemas import (
    LibraryCreate,
    LibraryDataQuery,
    LibraryListQuery,
    LibraryOut,
    LibraryPage,
    LibraryRef,
    MemberAdd,
    MemberOut,
)
from govdata.libraries.standards import get_standard
from govdata.orgs.models import Organisation

actions = ActionSet("libraries")


def _get(ctx: Context, library_id: str, *, for_update: bool = False) -> Library:
    query = select(Library).where(Library.id == library_id)
    if for_update:
        query = query.with_for_update()
    library = ctx.session.scalar(query)
    if library is None:
        raise NotFound("库不存在", code="library_not_found")
    return library


def _current_version(ctx: Context, library: Library) -> int | None:
    lake = LakeTable(ctx.services.lake, library.table_name)
    return lake.version() if lake.exists() else None


def _out(ctx: Context, library: Library) -> LibraryOut:
    members = ctx.session.execute(
        select(LibraryMember, Source, Organisation)
        .join(Source, Source.id == LibraryMember.source_id)
        .join(Organisation, Organisation.id == Source.organisation_id)
        .where(LibraryMember.library_id == library.id)
        .order_by(LibraryMember.priority, LibraryMember.created_at)
    ).all()
    return LibraryOut(
        id=library.id,
        organisation_id=library.organisation_id,
        kind=library.kind,
        code=library.code,
        name=library.name,
        description=library.description,
        standard=library.standard,
        columns=library_columns(library),
        key_columns=list(library.key_columns),
        table_name=library.table_name,
        members=[
            MemberOut(
                id=member.id,
                source_id=source.id,
                source_name=source.name,
                organisation_name=org.name,
                mapping=dict(member.mapping),
                priority=member.priority,
            )
            for member, source, org in members
        ],
        current_version=_current_version(ctx, library),
        created_at=library.created_at,
    )


@actions.register(
    "library_create",
    LibraryCreate,
    example={
        "organisation_id": "<authority organisation id>",
        "kind": "base",
        "code": "population",
        "name": "人口基础库",
        "standard": "population",
    },
    summary="Define a base library from its standard schema, or a theme library with its "
    "own columns and key.",
)
def library_create(ctx: Context, data: LibraryCreate) -> LibraryOut:
    ctx.authorize_somewhere("library:manage")
    ctx.authorize("library:manage", org_ref(ctx.session, data.organisation_id))
    if data.kind == "base":
        assert data.standard is not None  # noqa: S101 (validated)
        standard = get_standard(data.standard)
        columns = list(standard.columns)
        key = list(standard.key)
        description = data.description or standard.description
    else:
        columns, key, description = list(data.columns), list(data.key_columns), data.description
    if ctx.session.scalar(select(Library.id).where(Library.code == data.code)) is not None:
        raise Conflict("库代码已被使用", code="library_code_taken")
    library_id = new_id()
    library = Library(
        id=library_id,
        organisation_id=data.organisation_id,
        kind=data.kind,
        code=data.code,
        name=data.name,
        description=description,
        standard=data.standard,
        columns=[c.model_dump(mode="json") for c in columns],
        key_columns=key,
        table_name=f"lib_{data.code}"[:63],
        created_by=ctx.actor.name,
    )
    ctx.session.add(library)
    ctx.session.flush()
    return _out(ctx, library)


@actions.register(
    "library_add_member",
    MemberAdd,
    example={"library_id": "<library id>", "source_id": "<source id>", "mapping": {}},
    summary="Add a physically aggregated source to a library, mapping its columns onto the "
    "library's; a lower priority wins where members hold the same key.",
)
def library_add_member(ctx: Context, data: MemberAdd) -> LibraryOut:
    ctx.authorize_somewhere("library:manage")
    library = _get(ctx, data.library_id, for_update=True)
    ctx.authorize("library:manage", org_ref(ctx.session, library.organisation_id))
    source = get_source(ctx, data.source_id)
    ctx.authorize("aggregation:data:read", org_ref(ctx.session, source.organisation_id))
    if source.mode != "physical":
        raise InvalidInput("只有归集入库的数据源可以加入基础库或主题库", code="source_is_logical")
    library_names = {c.name for c in library_columns(library)}
    source_names = {c.name for c in declared_columns(source)}
    bad_targets = [name for name in data.mapping if name not in library_names]
    bad_sources = [value for value in data.mapping.values() if value not in source_names]
    if bad_targets or bad_sources:
        raise InvalidInput(
            "列映射有误",
            fields={
                "mapping": "；".join(
                    [f"库中没有列 {n}" for n in bad_targets]
                    + [f"数据源中没有列 {n}" for n in bad_sources]
                )
            },
        )
    mapping = {name: name for name in library_names if name in source_names}
    mapping.update(data.mapping)
    missing_keys = [k for k in library.key_columns if k not in mapping]
    if missing_keys:
        raise InvalidInput(
            f"主键列 {'、'.join(missing_keys)} 没有对应的数据源列",
            fields={"mapping": "缺少主键列的映射"},
        )
    taken = ctx.session.scalar(
        select(LibraryMember.id).where(
            LibraryMember.library_id == library.id, LibraryMember.source_id == source.id
        )
    )
    if taken is not None:
        raise Conflict("该数据源已是库的成员", code="library_member_exists")
    ctx.session.add(
        LibraryMember(
            library_id=library.id,
            source_id=source.id,
            mapping=mapping,
            priority=data.priority,
            created_by=ctx.actor.name,
        )
    )
    ctx.session.flush()
    return _out(ctx, library)


@actions.register(
    "library_get",
    LibraryRef,
    example={"id": "<library id>"},
    summary="A library with its schema, members and current version.",
    read_only=True,
)
def library_get(ctx: Context, data: LibraryRef) -> LibraryOut:
    ctx.authorize_somewhere("library:read")
    library = _get(ctx, data.id)
    ctx.authorize("library:read", org_ref(ctx.session, library.organisation_id))
    return _out(ctx, library)


@actions.register(
    "library_list",
    LibraryListQuery,
    example={},
    summary="Libraries the caller may read.",
    read_only=True,
)
def library_list(ctx: Context, data: LibraryListQuery) -> list[LibraryOut]:
    ctx.authorize_somewhere("library:read")
    query = select(Library).order_by(Library.kind, Library.code)
    if data.kind is not None:
        query = query.where(Library.kind == data.kind)
    return [
        _out(ctx, library)
        for library in ctx.session.scalars(query)
        if ctx.can("library:read", org_ref(ctx.session, library.organisation_id))
    ]


@actions.register(
    "library_build",
    LibraryRef,
    example={"id": "<library id>"},
    summary="Build a new library version from the current versions of its members.",
)
def library_build(ctx: Context, data: LibraryRef) -> RunOut:
    ctx.authorize_somewhere("library:manage")
    library = _get(ctx, data.id, for_update=True)
    ctx.authorize("library:manage", org_ref(ctx.session, library.organisation_id))
    active = ctx.session.scalar(
        select(Run.id).where(Run.library_id == library.id, Run.status.in_(ACTIVE_RUN_STATES))
    )
    if active is not None:
        raise Conflict("该库已有进行中的构建任务", code="run_in_progress")
    run = enqueue(
        ctx,
        Run(
            library_id=library.id,
            organisation_id=library.organisation_id,
            trigger="manual",
            strategy="full",
        ),
    )
    return run_out(run)


@actions.register(
    "library_read",
    LibraryDataQuery,
    example={"library_id": "<library id>", "where": {"id_number": "150102199001011234"}},
    summary="Rows of a library version (default: latest), with their source; recorded. "
    "Each member's part is decided by its own grade and holder.",
)
def library_read(ctx: Context, data: LibraryDataQuery) -> LibraryPage:
    ctx.authorize_somewhere("library:read")
    library = _get(ctx, data.library_id)
    ctx.authorize("library:read", org_ref(ctx.session, library.organisation_id))
    lake = LakeTable(ctx.services.lake, library.table_name)
    if not lake.exists():
        raise NotFound("该库尚未构建", code="lake_table_not_found")
    decision = require_grade(ctx, library_resources(ctx.session, library), ReadKind.VALUES)
    version = data.version if data.version is not None else lake.version()
    columns = library_columns(library)
    sensitive = sensitive_by_checks(columns)
    recorded = recorded_where(ctx, data.where, {*sensitive, *encrypted_names(columns)})
    release = guard_read(
        ctx,
        ReadAttempt(
            action="library_read",
            subject_id=library.id,
            holder_id=library.organisation_id,
            grade=decision.grade.value if decision.grade else None,
            rows=data.limit,
            version=data.version,
            where=recorded,
            offset=data.offset,
        ),
    )
    table, total = read_decrypted(
        ctx.session,
        ctx.services.keystore,
        lake,
        version,
        where=data.where,
        limit=data.limit,
        offset=data.offset,
    )
    page = mask_page(table, sensitive, decision)
    rows = jsonable(page.table.to_pylist())
    record_read(
        ctx,
        decision,
        release=release,
        page=page,
        subject_id=library.id,
        source_id=None,
        library_id=library.id,
        mode="library",
        version=version,
        where=recorded,
        rows=len(rows),
        purpose="query",
    )
    return LibraryPage(
        library_id=library.id,
        version=version,
        total=total,
        columns=table.schema.names,
        rows=rows,
        audience=page.audience.value,
        masked=page.masked,
    )
