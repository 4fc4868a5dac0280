"""The "one ledger" (一本账): what the published catalog holds, by region and department."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from govdata.actions import ActionSet, Context
from govdata.catalog.models import CatalogEntry, DataResource, EntryVersion, InformationItem
from govdata.catalog.schemas import Ledger, LedgerQuery, LedgerRow
from govdata.orgs.codes import NATION_CODE, DivisionLevel, division_level
from govdata.orgs.models import Division, Organisation

actions = ActionSet("catalog-ledger")


def region_key(division_code: str, under: str) -> str:
    """The division one level below ``under`` that contains ``division_code``."""
    level = division_level(under)
    if level is DivisionLevel.NATION:
        return division_code[:2] + "0000"
    if level is DivisionLevel.PROVINCE:
        return division_code[:4] + "00"
    return division_code[:6]


@actions.register(
    "catalog_ledger",
    LedgerQuery,
    example={"region_code": "150000"},
    summary="Counts of published entries, information items and data resources, "
    "by region (one level down) and by department.",
    read_only=True,
)
def catalog_ledger(ctx: Context, data: LedgerQuery) -> Ledger:
    ctx.authorize("catalog:entry:read")
    under = data.region_code or ctx.settings.node_code or NATION_CODE
    items = (
        select(InformationItem.version_id, func.count().label("n"))
        .group_by(InformationItem.version_id)
        .subquery()
    )
    resources = (
        select(DataResource.version_id, func.count().label("n"))
        .group_by(DataResource.version_id)
        .subquery()
    )
    query = (
        select(
            Organisation.id,
            Organisation.name,
            Organisation.division_code,
            func.count(CatalogEntry.id),
            func.coalesce(func.sum(items.c.n), 0),
            func.coalesce(func.sum(resources.c.n), 0),
        )
        .join(Organisation, Organisation.id == CatalogEntry.organisation_id)
        .join(
            EntryVersion,
            (EntryVersion.entry_id == CatalogEntry.id)
            & (EntryVersion.number == CatalogEntry.published_number),
        )
        .outerjoin(items, items.c.version_id == EntryVersion.id)
        .outerjoin(resources, resources.c.version_id == EntryVersion.id)
        .group_by(Organisation.id, Organisation.name, Organisation.division_code)
    )
    if under != NATION_CODE:
        prefix = {
            DivisionLevel.PROVINCE: under[:2],
            DivisionLevel.PREFECTURE: under[:4],
        }.get(division_level(under), under)
        query = query.where(Organisation.division_code.startswith(prefix))
    departments: list[LedgerRow] = []
    regions: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for org_id, name, code, entries, item_count, resource_count in ctx.session.execute(query):
        departments.append(
            LedgerRow(
                key=org_id,
                label=name,
                entries=entries,
                items=int(item_count),
                resources=int(resource_count),
            )
        )
        totals = regions[region_key(code, under)]
        totals[0] += entries
        totals[1] += int(item_count)
        totals[2] += int(resource_count)
    names = dict(
        ctx.session.execute(
            select(Division.code, Division.name).where(
                Division.code.in_(list(regions)), Division.valid_to.is_(None)
            )
        ).all()
    )
    return Ledger(
        entries=sum(r.entries for r in departments),
        items=sum(r.items for r in departments),
        resources=sum(r.resources for r in departments),
        by_region=[
            LedgerRow(key=code, label=names.get(code, code), entries=e, items=i, resources=r)
            for code, (e, i, r) in sorted(regions.items())
        ],
        by_department=sorted(departments, key=lambda r: (-r.entries, r.label)),
    )
