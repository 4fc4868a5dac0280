"""Actions of the organisations area."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from govdata.actions import ActionSet, Context
from govdata.authz import NODE_ROOT
from govdata.db import new_id
from govdata.errors import Conflict, InvalidInput, NotFound
from govdata.events import record_event
from govdata.orgs.codes import NATION_CODE, DivisionLevel, division_level, parent_division_code
from govdata.orgs.events import DivisionEditionApplied, OrganisationCreated
from govdata.orgs.models import Division, DivisionEdition, Organisation
from govdata.orgs.schemas import (
    DepartmentCreate,
    DivisionImport,
    DivisionImportResult,
    DivisionOut,
    DivisionQuery,
    OptionsQuery,
    OrganisationId,
    OrganisationKey,
    OrganisationNode,
    OrganisationOption,
    OrganisationOut,
    OrganisationStats,
    RegionCreate,
    StatsQuery,
    TreeQuery,
)
from govdata.orgs.services import apply_edition

actions = ActionSet("orgs")

# Levels from the root: five of regions, then departments and their sub-units.
# Bounded so that a path always fits its column (36-character ids).
MAX_DEPTH = 20


def organisation_out(org: Organisation) -> OrganisationOut:
    return OrganisationOut(
        id=org.id,
        kind=org.kind,
        name=org.name,
        level=org.level,
        division_code=org.division_code,
        credit_code=org.credit_code,
        parent_id=org.parent_id,
        path=org.path,
    )


def get_organisation(ctx: Context, org_id: str, *, field: str = "id") -> Organisation:
    """The organisation with this id, or NotFound naming the input ``field``."""
    org = ctx.session.get(Organisation, org_id)
    if org is None:
        raise NotFound("组织机构不存在", fields={field: org_id})
    return org


def _current_division(ctx: Context, code: str) -> Division | None:
    return ctx.session.scalar(
        select(Division).where(Division.code == code, Division.valid_to.is_(None))
    )


@actions.register(
    "division_list",
    DivisionQuery,
    example={"parent_code": "150000"},
    summary="List administrative divisions, current or as of a date.",
    read_only=True,
)
def division_list(ctx: Context, data: DivisionQuery) -> list[DivisionOut]:
    ctx.authorize("orgs:division:read")
    query = select(Division).order_by(Division.code)
    if data.on is None:
        query = query.where(Division.valid_to.is_(None))
    else:
        query = query.where(
            or_(Division.valid_from.is_(None), Division.valid_from <= data.on),
            or_(Division.valid_to.is_(None), Division.valid_to > data.on),
        )
    if data.parent_code is not None:
        query = query.where(Division.parent_code == data.parent_code)
    if data.level is not None:
        query = query.where(Division.level == data.level.value)
    return [
        DivisionOut(
            code=d.code,
            name=d.name,
            level=DivisionLevel(d.level),
            parent_code=d.parent_code,
            valid_from=d.valid_from,
            valid_to=d.valid_to,
            source_edition=d.source_edition,
        )
        for d in ctx.session.scalars(query)
    ]


@actions.register(
    "division_import",
    DivisionImport,
    example={
        "edition": "example",
        "rows": [
            {"code": "150000", "name": "内蒙古自治区", "level": "province", "parent_code": "100000"}
        ],
    },
    summary="Apply an edition of the division table, keeping every earlier version.",
)
def division_import(ctx: Context, data: DivisionImport) -> DivisionImportResult:
    ctx.authorize("orgs:division:import", NODE_ROOT)
    if ctx.session.get(DivisionEdition, data.edition) is not None:
        raise Conflict(f"区划版本“{data.edition}”已经导入", code="division_edition_exists")
    codes = {row.code for row in data.rows}
    errors: dict[str, str] = {}
    for index, row in enumerate(data.rows):
        if division_level(row.code) != row.level:
            errors[f"rows.{index}.level"] = (
                f"代码{row.code}对应的层级是{division_level(row.code).value}，不是{row.level.value}"
            )
        if row.code != NATION_CODE and row.parent_code is None:
            errors[f"rows.{index}.parent_code"] = f"代码{row.code}缺少上级区划代码"
        elif (
            row.parent_code is not None
            and row.parent_code not in codes
            and (_current_division(ctx, row.parent_code) is None)
        ):
            errors[f"rows.{index}.parent_code"] = f"上级区划代码{row.parent_code}不存在"
    if len(codes) != len(data.rows):
        errors["rows"] = "同一版本中区划代码重复"
    if errors:
        raise InvalidInput("区划表有误，未导入任何数据", fields=errors)
    diff = apply_edition(ctx.session, data.edition, data.effective, data.rows)
    ctx.session.add(
        DivisionEdition(
            edition=data.edition,
            effective=data.effective,
            applied_by=ctx.actor.name,
            rows=len(data.rows),
            added=diff.added,
            changed=diff.changed,
            withdrawn=diff.withdrawn,
        )
    )
    record_event(
        ctx,
        DivisionEditionApplied(
            subject_id=data.edition,
            added=diff.added,
            changed=diff.changed,
            withdrawn=diff.withdrawn,
        ),
    )
    return DivisionImportResult(edition=data.edition, **diff.__dict__)


@actions.register(
    "region_create",
    RegionCreate,
    example={"division_code": "150100"},
    summary="Create the organisation of an administrative region from its division code.",
)
def region_create(ctx: Context, data: RegionCreate) -> OrganisationOut:
    ctx.authorize_somewhere("orgs:region:create")
    code = data.division_code
    parent: Organisation | None = None
    parent_code = parent_division_code(code)
    if parent_code is not None:
        parent = ctx.session.scalar(
            select(Organisation).where(Organisation.region_code == parent_code)
        )
    if parent is None and parent_code not in (None, NATION_CODE):
        # Below the province level the tree is built top down, so that every
        # region sits inside the subtree scopes of the regions above it.
        raise InvalidInput(
            f"请先创建上级行政区域（区划代码{parent_code}）",
            code="parent_region_missing",
            fields={"division_code": f"上级区划{parent_code}尚未建立组织"},
        )
    # A province (or the nation) without a parent organisation roots a tree.
    ctx.authorize("orgs:region:create", parent.ref if parent else NODE_ROOT)
    division = _current_division(ctx, code)
    if division is None:
        raise InvalidInput(
            f"行政区划代码{code}不在现行区划表中", fields={"division_code": "区划表中不存在该代码"}
        )
    if ctx.session.scalar(select(Organisation.id).where(Organisation.region_code == code)):
        raise Conflict(f"行政区域“{division.name}”已经存在", code="organisation_exists")
    org = Organisation(
        id=new_id(),
        kind="region",
        name=division.name,
        level=division.level,
        division_code=code,
        region_code=code,
        path="",
    )
    return _add_organisation(ctx, org, parent)


def _add_organisation(
    ctx: Context, org: Organisation, parent: Organisation | None
) -> OrganisationOut:
    """Place a new organisation under its parent and record the event."""
    org.parent_id = parent.id if parent else None
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    ctx.session.add(org)
    ctx.session.flush()
    record_event(
        ctx,
        OrganisationCreated(
            subject_id=org.id,
            kind=org.kind,
            org_name=org.name,
            division_code=org.division_code,
            credit_code=org.credit_code,
            parent_id=org.parent_id,
        ),
    )
    return organisation_out(org)


@actions.register(
    "department_create",
    DepartmentCreate,
    example={
        "name": "示例局",
        "credit_code": "11150000MB12345674",
        "parent_id": "00000000-0000-0000-0000-000000000000",
    },
    summary="Create a department under a region (or under another department).",
)
def department_create(ctx: Context, data: DepartmentCreate) -> OrganisationOut:
    ctx.authorize_somewhere("orgs:department:create")
    parent = get_organisation(ctx, data.parent_id)
    ctx.authorize("orgs:department:create", parent.ref)
    if parent.path.count("/") - 1 >= MAX_DEPTH:
        raise InvalidInput(
            f"组织层级不能超过{MAX_DEPTH}级", code="too_deep", fields={"parent_id": "层级过深"}
        )
    if ctx.session.scalar(
        select(Organisation.id).where(Organisation.credit_code == data.credit_code)
    ):
        raise Conflict(
            f"统一社会信用代码{data.credit_code}已被其他部门使用",
            code="credit_code_taken",
            fields={"credit_code": "已被使用"},
        )
    if ctx.session.scalar(
        select(Organisation.id).where(
            and_(Organisation.parent_id == parent.id, Organisation.name == data.name)
        )
    ):
        raise Conflict(
            f"“{parent.name}”下已有名为“{data.name}”的部门",
            code="organisation_exists",
            fields={"name": "同级名称重复"},
        )
    org = Organisation(
        id=new_id(),
        kind="department",
        name=data.name,
        level=parent.level,
        division_code=parent.division_code,
        credit_code=data.credit_code,
        path="",
    )
    return _add_organisation(ctx, org, parent)


@actions.register(
    "organisation_show",
    OrganisationId,
    example={"id": "00000000-0000-0000-0000-000000000000"},
    summary="One organisation.",
    read_only=True,
)
def organisation_show(ctx: Context, data: OrganisationId) -> OrganisationOut:
    ctx.authorize("orgs:organisation:read")
    return organisation_out(get_organisation(ctx, data.id))


@actions.register(
    "organisation_tree",
    TreeQuery,
    example={},
    summary="The organisation tree, whole or from one organisation down.",
    read_only=True,
)
def organisation_tree(ctx: Context, data: TreeQuery) -> list[OrganisationNode]:
    ctx.authorize("orgs:organisation:read")
    query = select(Organisation).order_by(
        Organisation.kind.desc(), Organisation.division_code, Organisation.name
    )
    root_parent: str | None = None
    if data.root_id is not None:
        root = get_organisation(ctx, data.root_id)
        query = query.where(Organisation.path.startswith(root.path))
        root_parent = root.parent_id
    if data.kind is not None:
        query = query.where(Organisation.kind == data.kind)
    nodes: dict[str, OrganisationNode] = {}
    orgs = list(ctx.session.scalars(query))
    for org in orgs:
        nodes[org.id] = OrganisationNode(**organisation_out(org).model_dump())
    roots: list[OrganisationNode] = []
    for org in orgs:
        node = nodes[org.id]
        if org.parent_id is not None and org.parent_id in nodes and org.parent_id != root_parent:
            nodes[org.parent_id].children.append(node)
        else:
            roots.append(node)
    return roots


@actions.register(
    "organisation_options",
    OptionsQuery,
    example={"permission": "accounts:user:create"},
    summary="Organisations where the caller holds a permission (for choosing a target).",
    read_only=True,
)
def organisation_options(ctx: Context, data: OptionsQuery) -> list[OrganisationOption]:
    ctx.authorize("orgs:organisation:read")
    if data.permission not in ctx.policy:
        raise InvalidInput("未声明的权限", fields={"permission": data.permission})
    query = select(Organisation).order_by(
        Organisation.division_code, Organisation.kind.desc(), Organisation.name
    )
    return [
        OrganisationOption(id=org.id, name=org.name, kind=org.kind, division_code=org.division_code)
        for org in ctx.session.scalars(query)
        if ctx.can(data.permission, org.ref)
    ]


@actions.register(
    "organisation_stats",
    StatsQuery,
    example={},
    summary="How many regions and departments this node holds, by level.",
    read_only=True,
)
def organisation_stats(ctx: Context, data: StatsQuery) -> OrganisationStats:
    ctx.authorize("orgs:organisation:read")
    rows = ctx.session.execute(
        select(Organisation.kind, Organisation.level, func.count()).group_by(
            Organisation.kind, Organisation.level
        )
    ).all()
    by_kind: dict[str, int] = {}
    by_level: dict[str, int] = {}
    for kind, level, count in rows:
        by_kind[kind] = by_kind.get(kind, 0) + count
        if kind == "region":
            by_level[level] = count
    return OrganisationStats(
        regions=by_kind.get("region", 0),
        departments=by_kind.get("department", 0),
        by_level=by_level,
    )


@actions.register(
    "organisation_find",
    OrganisationKey,
    example={"key": "150000"},
    summary="One organisation by id, unified social credit code or division code.",
    read_only=True,
)
def organisation_find(ctx: Context, data: OrganisationKey) -> OrganisationOut:
    ctx.authorize("orgs:organisation:read")
    org = ctx.session.scalar(
        select(Organisation).where(
            or_(
                Organisation.id == data.key,
                Organisation.credit_code == data.key.upper(),
                Organisation.region_code == data.key,
            )
        )
    )
    if org is None:
        raise NotFound(f"找不到组织机构“{data.key}”", fields={"key": data.key})
    return organisation_out(org)
