"""Data element actions: list and define elements, check conformance (G7)."""

from __future__ import annotations

from sqlalchemy import select

from govdata.access.enforce import authorize_read, require_grade
from govdata.access.policy import ReadKind
from govdata.actions import ActionSet, Context
from govdata.aggregation.grading import source_resource
from govdata.aggregation.store import declared_columns, get_source
from govdata.catalog.grading import metadata_resource
from govdata.catalog.models import InformationItem
from govdata.catalog.read_actions import sees_published
from govdata.catalog.store import get_entry, published_version, working_version
from govdata.db import utcnow
from govdata.elements.catalogue import Matcher, all_elements, normalised
from govdata.elements.conformance import check_columns, check_items
from govdata.elements.events import ElementDefined
from govdata.elements.models import NodeElement
from govdata.elements.schemas import (
    ConformanceReport,
    ElementDefine,
    ElementListQuery,
    ElementOut,
    EntryConformanceQuery,
    SourceConformanceQuery,
)
from govdata.elements.standard import NATIONAL, Element
from govdata.errors import Conflict, NotFound
from govdata.events import record_event
from govdata.lake.tables import LakeTable

actions = ActionSet("elements")


def _out(element: Element) -> ElementOut:
    return ElementOut(
        code=element.code,
        name=element.name,
        identifier=element.identifier,
        data_type=element.data_type,
        length=element.length,
        standard=element.standard,
        aliases=list(element.aliases),
        check=element.check.value if element.check else None,
        codes=dict(element.codes),
        description=element.description,
        origin="national" if element.origin == "national" else "node",
    )


@actions.register(
    "element_list",
    ElementListQuery,
    example={"q": "性别"},
    summary="The data elements of this node: the national ones and its own, with code lists.",
    read_only=True,
)
def element_list(ctx: Context, data: ElementListQuery) -> list[ElementOut]:
    ctx.authorize("element:read")
    elements = all_elements(ctx.session)
    if data.q:
        wanted = normalised(data.q)
        elements = [
            e
            for e in elements
            if any(wanted in normalised(t) for t in (e.code, e.name, e.identifier, *e.aliases))
        ]
    return [_out(element) for element in elements]


@actions.register(
    "element_define",
    ElementDefine,
    example={
        "code": "NM-DE-0101",
        "name": "牧区类型代码",
        "identifier": "pastoral_type",
        "data_type": "C",
        "length": 1,
        "codes": {"1": "牧区", "2": "半农半牧区"},
    },
    summary="Define or change one of this node's data elements (national codes are reserved).",
)
def element_define(ctx: Context, data: ElementDefine) -> ElementOut:
    ctx.authorize("element:manage")
    if any(element.code == data.code for element in NATIONAL):
        raise Conflict(
            f"“{data.code}”是国家标准数据元的编码，不能修改",
            code="element_national",
            fields={"code": data.code},
        )
    row = ctx.session.scalar(
        select(NodeElement).where(NodeElement.code == data.code).with_for_update()
    )
    created = row is None
    if row is None:
        row = NodeElement(code=data.code, created_by=ctx.actor.name, created_at=utcnow())
        ctx.session.add(row)
    row.name = data.name
    row.identifier = data.identifier
    row.data_type = data.data_type.value
    row.length = data.length
    row.standard = data.standard
    row.aliases = list(data.aliases)
    row.check = data.check.value if data.check else None
    row.codes = dict(data.codes)
    row.description = data.description
    row.updated_at = utcnow()
    ctx.session.flush()
    record_event(ctx, ElementDefined(subject_id=row.id, code=row.code, created=created))
    element = next(e for e in all_elements(ctx.session) if e.code == data.code)
    return _out(element)


@actions.register(
    "element_check_entry",
    EntryConformanceQuery,
    example={"entry_id": "<entry id>"},
    summary="Where a catalog entry's information items depart from the data elements "
    "(the working version for its department, the published one for others).",
    read_only=True,
)
def element_check_entry(ctx: Context, data: EntryConformanceQuery) -> ConformanceReport:
    ctx.authorize_somewhere("catalog:open:read")
    entry, provider = get_entry(ctx.session, data.entry_id)
    published = published_version(ctx.session, entry)
    insider = ctx.can("catalog:entry:read_working", provider.ref)
    if not insider and not sees_published(ctx, published):
        raise NotFound("目录不存在", fields={"entry_id": data.entry_id})
    version = (working_version(ctx.session, entry) if insider else None) or published
    if version is None:
        raise NotFound("目录还没有可检查的版本", fields={"entry_id": data.entry_id})
    require_grade(ctx, [metadata_resource(entry, provider, [version])], ReadKind.METADATA)
    items = ctx.session.scalars(
        select(InformationItem)
        .where(InformationItem.version_id == version.id)
        .order_by(InformationItem.position)
    ).all()
    return check_items(entry.id, items, Matcher(all_elements(ctx.session)))


@actions.register(
    "element_check_source",
    SourceConformanceQuery,
    example={"source_id": "<source id>"},
    summary="Where a source's declared columns and stored values depart from the data "
    "elements (types, lengths, standard checks, values outside code lists).",
    read_only=True,
)
def element_check_source(ctx: Context, data: SourceConformanceQuery) -> ConformanceReport:
    ctx.authorize_somewhere("aggregation:data:read")
    source = get_source(ctx, data.source_id)
    # Values outside a code list are values of the data: decided as a read of them.
    authorize_read(
        ctx, "aggregation:data:read", source_resource(ctx.session, source), ReadKind.VALUES
    )
    lake = LakeTable(ctx.services.lake, source.table_name)
    stored = source.mode == "physical" and lake.exists()
    version = (data.version if data.version is not None else lake.version()) if stored else None
    return check_columns(
        source.id,
        declared_columns(source),
        Matcher(all_elements(ctx.session)),
        lake if stored else None,
        version,
    )
