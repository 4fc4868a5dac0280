"""Searching and browsing the published catalog (C7), and rebuilding its index."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select

from govdata.actions import ActionSet, Context
from govdata.authz import NODE_ROOT
from govdata.catalog.codes import facet_label
from govdata.catalog.indexing import SearchIndexMissing
from govdata.catalog.schemas import (
    FacetValue,
    ReindexInput,
    ReindexOut,
    SearchHitOut,
    SearchInput,
    SearchOut,
)
from govdata.catalog.search.index import IndexMissing
from govdata.catalog.search.model import FacetCount, FacetName, RegionLevel, SearchQuery
from govdata.catalog.visibility import listed_grades
from govdata.catalog.vocab import (
    GRADE_LABELS,
    OPEN_TYPE_LABELS,
    SHARE_TYPE_LABELS,
    UPDATE_CYCLE_LABELS,
    Grade,
    OpenType,
    ShareType,
    UpdateCycle,
)
from govdata.errors import InvalidInput
from govdata.orgs.codes import CodeError, DivisionLevel, check_division_code, division_level
from govdata.orgs.models import Division, Organisation

actions = ActionSet("catalog-search")

_ENUMS: dict[str, tuple[type[StrEnum], dict[str, str]]] = {
    "share_type": (ShareType, {k.value: v for k, v in SHARE_TYPE_LABELS.items()}),
    "open_type": (OpenType, {k.value: v for k, v in OPEN_TYPE_LABELS.items()}),
    "grade": (Grade, {k.value: v for k, v in GRADE_LABELS.items()}),
    "update_cycle": (UpdateCycle, {k.value: v for k, v in UPDATE_CYCLE_LABELS.items()}),
}
OPEN_VALUES = (OpenType.UNCONDITIONAL.value, OpenType.CONDITIONAL.value)


def _values(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in text.split(",") if v.strip()))


def _filters(data: SearchInput) -> dict[FacetName, tuple[str, ...]]:
    filters: dict[FacetName, tuple[str, ...]] = {}
    errors: dict[str, str] = {}
    for name in ("share_type", "open_type", "grade", "update_cycle"):
        values = _values(getattr(data, name))
        enum, _labels = _ENUMS[name]
        unknown = [v for v in values if v not in enum._value2member_map_]
        if unknown:
            errors[name] = "不是允许的取值：" + "、".join(unknown)
        elif values:
            filters[name] = values
    regions = _values(data.region)
    for code in regions:
        try:
            check_division_code(code)
        except CodeError as exc:
            errors["region"] = str(exc)
    if regions:
        filters["region"] = regions
    classifications = _values(data.classification)
    for code in classifications:
        try:
            facet_label(code)
        except CodeError as exc:
            errors["classification"] = str(exc)
    if classifications:
        filters["classification"] = classifications
    departments = _values(data.department)
    if departments:
        filters["department"] = departments
    if errors:
        raise InvalidInput(fields=errors)
    return filters


def default_region_level(node_code: str) -> RegionLevel:
    level = division_level(node_code)
    if level is DivisionLevel.NATION:
        return "province"
    if level is DivisionLevel.PROVINCE:
        return "city"
    return "county"


@actions.register(
    "catalog_search",
    SearchInput,
    example={"q": "营业执照", "share_type": "unconditional"},
    summary="Search the published catalog in Chinese (word segmentation) with facets by "
    "region, department, classification, share type, open type, grade and update cycle.",
    read_only=True,
)
def catalog_search(ctx: Context, data: SearchInput) -> SearchOut:
    ctx.authorize("catalog:open:read")
    filters = _filters(data)
    open_only = not ctx.can("catalog:entry:read")
    if open_only:
        asked = filters.get("open_type") or OPEN_VALUES
        filters["open_type"] = tuple(v for v in asked if v in OPEN_VALUES) or ("-",)
    chosen = dict(filters)
    # The search lists what the caller may read anywhere (X2): no core entries but
    # to the node's operator; entry_list shows a department's own to its insiders.
    listed = tuple(grade.value for grade in listed_grades(ctx))
    if len(listed) < len(Grade):
        asked = filters.get("grade") or listed
        filters["grade"] = tuple(v for v in asked if v in listed) or ("-",)
    query = SearchQuery(
        text=data.q,
        filters=filters,
        region_level=data.region_level or default_region_level(ctx.settings.node_code),
        offset=(data.page - 1) * data.page_size,
        limit=data.page_size,
    )
    try:
        result = ctx.services.search.searcher().search(query)
    except IndexMissing:
        raise SearchIndexMissing() from None
    labels = _labels(ctx, result.facets)
    facets = {
        name: [
            FacetValue(
                value=fc.value,
                label=labels.get((name, fc.value), fc.value),
                count=fc.count,
                selected=fc.value in chosen.get(name, ()),  # type: ignore[call-overload]
            )
            for fc in counts
        ]
        for name, counts in result.facets.items()
    }
    return SearchOut(
        total=result.total,
        page=data.page,
        page_size=data.page_size,
        terms=result.terms,
        hits=[
            SearchHitOut(
                id=hit.entry_id,
                resource_code=hit.resource_code,
                name=hit.name,
                provider_name=hit.provider_name,
                score=hit.score,
            )
            for hit in result.hits
        ],
        facets=facets,
        open_only=open_only,
    )


def _labels(ctx: Context, facets: dict[str, list[FacetCount]]) -> dict[tuple[str, str], str]:
    labels: dict[tuple[str, str], str] = {}
    for name, (_enum, names) in _ENUMS.items():
        for value, label in names.items():
            labels[(name, value)] = label
    for fc in facets.get("classification", []):
        value = fc.value
        try:
            labels[("classification", value)] = facet_label(value)
        except CodeError:
            labels[("classification", value)] = value
    region_codes = [fc.value for fc in facets.get("region", [])]
    if region_codes:
        rows = ctx.session.execute(
            select(Division.code, Division.name).where(
                Division.code.in_(region_codes), Division.valid_to.is_(None)
            )
        )
        labels.update({("region", code): name for code, name in rows})
    org_ids = [fc.value for fc in facets.get("department", [])]
    if org_ids:
        rows = ctx.session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
        )
        labels.update({("department", org_id): name for org_id, name in rows})
    return labels


@actions.register(
    "catalog_reindex",
    ReindexInput,
    example={},
    summary="Rebuild the catalog search index from the database and swap it in atomically.",
    read_only=True,
)
def catalog_reindex(ctx: Context, data: ReindexInput) -> ReindexOut:
    """Read-only for the database: the index is a copy, built from one snapshot."""
    ctx.authorize("catalog:index:rebuild", NODE_ROOT)
    stats = ctx.services.search.rebuild(ctx.session)
    return ReindexOut(
        documents=stats.documents, seconds=round(stats.seconds, 3), size_bytes=stats.size_bytes
    )
