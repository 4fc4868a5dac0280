"""The pre-check a version passes before it can be submitted or published.

The input models already refuse malformed codes and unknown values; this is
the completeness a reviewer would otherwise check by hand (C2, C4, C5).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.catalog.models import CatalogEntry, EntryVersion, InformationSystem
from govdata.catalog.schemas import Problem
from govdata.catalog.vocab import LENGTH_REQUIRED, DataType, OpenType, ShareType
from govdata.orgs.models import Organisation


def precheck(session: Session, entry: CatalogEntry, version: EntryVersion) -> list[Problem]:
    problems: list[Problem] = []

    def problem(field: str, message: str) -> None:
        problems.append(Problem(field=field, message=message))

    if len(version.abstract) < 10:
        problem("abstract", "摘要须说明资源的内容与用途（不少于10个字）")
    if not version.items:
        problem("items", "至少需要一个信息项")
    for index, item in enumerate(version.items):
        if DataType(item.data_type) in LENGTH_REQUIRED and item.length is None:
            problem(f"items.{index}.length", f"信息项“{item.name}”为{item.data_type}型，须填写长度")
    share_type = ShareType(version.share_type)
    if share_type is not ShareType.UNCONDITIONAL and not version.share_conditions:
        what = "共享条件" if share_type is ShareType.CONDITIONAL else "不予共享的依据"
        problem("share_conditions", f"须填写{what}")
    if share_type is not ShareType.NONE and not version.share_methods:
        problem("share_methods", "须选择至少一种共享方式")
    if OpenType(version.open_type) is OpenType.CONDITIONAL and not version.open_conditions:
        problem("open_conditions", "有条件开放须填写开放条件")
    problems.extend(_resource_problems(session, entry, version))
    org = session.get(Organisation, entry.organisation_id)
    if org is None or org.credit_code != version.provider_code:
        problem("provider_code", "提供方代码须为提供部门的统一社会信用代码")
    unknown = _unknown_related_codes(session, version.related_codes)
    if unknown:
        problem("related_codes", "关联资源代码未在目录中登记：" + "、".join(unknown))
    return problems


def _resource_problems(
    session: Session, entry: CatalogEntry, version: EntryVersion
) -> list[Problem]:
    """Every entry links data resources (目录—数据), each to its producing system of
    the provider department (数据—系统)."""
    if not version.resources:
        return [Problem(field="resources", message="须关联至少一个数据资源（目录—数据）")]
    system_ids = {r.system_id for r in version.resources if r.system_id}
    owners = dict(
        session.execute(
            select(InformationSystem.id, InformationSystem.organisation_id).where(
                InformationSystem.id.in_(system_ids)
            )
        ).all()
    )
    problems = []
    for index, resource in enumerate(version.resources):
        field = f"resources.{index}.system_id"
        if resource.system_id is None:
            message = f"数据资源“{resource.name}”须关联产生它的信息系统（数据—系统）"
        elif owners.get(resource.system_id) != entry.organisation_id:
            message = f"数据资源“{resource.name}”关联的信息系统不属于提供部门"
        else:
            continue
        problems.append(Problem(field=field, message=message))
    return problems


def _unknown_related_codes(session: Session, codes: list[str]) -> list[str]:
    if not codes:
        return []
    known = set(
        session.scalars(
            select(CatalogEntry.resource_code).where(CatalogEntry.resource_code.in_(codes))
        )
    )
    return [code for code in codes if code not in known]
