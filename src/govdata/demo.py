"""The demo region: 内蒙古自治区 with its 12 盟市 and 103 旗县（市、区）.

Loads the shipped division table, creates the region organisations, a few
departments at each level (with synthetic but valid credit codes), a county
police bureau to return data to, and demo accounts: one per role, plus the
population data's provider officer (公安厅) and the county bureau's consumer
officer, so the sharing flow can be walked with demo accounts alone. Running it
twice changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from govdata.accounts.models import User
from govdata.actions import Context
from govdata.authz import Role
from govdata.orgs.codes import NATION_CODE, make_credit_code, organisation_code_check_char
from govdata.orgs.models import Division, DivisionEdition, Organisation
from govdata.orgs.services import SHIPPED_EDITION, shipped_division_rows

DEMO_PASSWORD = "Govdata-Demo-2026"  # noqa: S105  (published demo credential, demo data only)
DEMO_REGION = "150000"

# Departments created at the autonomous-region level and in every 盟市.
REGION_DEPARTMENTS = (
    "政务服务与数据管理局",
    "公安厅",
    "市场监督管理局",
    "人力资源和社会保障厅",
    "卫生健康委员会",
)
PREFECTURE_DEPARTMENTS = ("政务服务与数据管理局", "公安局", "市场监督管理局")
# A county department receiving returned data (数据回流): 呼和浩特市回民区, where the
# demo population data has people.
DEMO_COUNTY = "150103"
COUNTY_DEPARTMENTS = {DEMO_COUNTY: ("公安分局",)}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    department: str  # a department's name without its region's (e.g. 公安厅)
    include_subtree: bool
    division: str = DEMO_REGION  # the division of the department's region


DEMO_ACCOUNTS = (
    DemoAccount("admin", "平台管理员", Role.PLATFORM_ADMIN, "政务服务与数据管理局", True),
    DemoAccount("reviewer", "目录审核员", Role.AUTHORITY_REVIEWER, "政务服务与数据管理局", True),
    DemoAccount("provider", "市场监管数据专员", Role.PROVIDER_OFFICER, "市场监督管理局", False),
    DemoAccount(
        "consumer", "人社数据使用专员", Role.CONSUMER_OFFICER, "人力资源和社会保障厅", False
    ),
    DemoAccount("auditor", "安全审计员", Role.AUDITOR, "政务服务与数据管理局", True),
    DemoAccount("police", "公安人口数据专员", Role.PROVIDER_OFFICER, "公安厅", False),
    DemoAccount(
        "county", "回民区数据使用专员", Role.CONSUMER_OFFICER, "公安分局", False, DEMO_COUNTY
    ),
)


def demo_credit_code(division_code: str, department: str) -> str:
    """A synthetic credit code of a government organ (登记机关1, 类别1) that
    passes GB 32100 and GB 11714; derived from the names so reruns agree."""
    digest = hashlib.sha256(f"{division_code}/{department}".encode()).hexdigest()
    body = "".join(str(int(c, 16) % 10) for c in digest[:8])
    org_code = body + organisation_code_check_char(body)
    return make_credit_code("11" + division_code + org_code)


Run = Callable[[str, dict[str, Any]], Any]


def load_demo(ctx: Context, run: Run) -> dict[str, int]:
    """Load the demo region through the actions; returns what was created."""
    created = {"divisions": 0, "regions": 0, "departments": 0, "users": 0}
    if ctx.session.get(DivisionEdition, SHIPPED_EDITION) is None:
        result = run(
            "division_import", {"edition": SHIPPED_EDITION, "rows": shipped_division_rows()}
        )
        created["divisions"] = result.added
    region_codes = [
        d.code
        for d in ctx.session.scalars(
            select(Division).where(Division.valid_to.is_(None)).order_by(Division.code)
        )
        if d.code == DEMO_REGION or d.code.startswith(DEMO_REGION[:2])
    ]
    existing = set(ctx.session.scalars(select(Organisation.region_code)))
    for code in region_codes:
        if code not in existing and code != NATION_CODE:
            run("region_create", {"division_code": code})
            created["regions"] += 1
    regions = {
        o.division_code: o
        for o in ctx.session.scalars(select(Organisation).where(Organisation.kind == "region"))
    }
    departments: dict[tuple[str, str], str] = {}
    for code, org in sorted(regions.items()):
        names = (
            REGION_DEPARTMENTS
            if code == DEMO_REGION
            else (
                PREFECTURE_DEPARTMENTS if code.endswith("00") else COUNTY_DEPARTMENTS.get(code, ())
            )
        )
        for name in names:
            credit = demo_credit_code(code, name)
            found = ctx.session.scalar(
                select(Organisation).where(Organisation.credit_code == credit)
            )
            if found is None:
                out = run(
                    "department_create",
                    {"name": f"{org.name}{name}", "credit_code": credit, "parent_id": org.id},
                )
                departments[(code, name)] = str(out.id)
                created["departments"] += 1
            else:
                departments[(code, name)] = found.id
    for account in DEMO_ACCOUNTS:
        if ctx.session.scalar(select(User.id).where(User.username == account.username)):
            continue
        org_id = departments[(account.division, account.department)]
        scope_id = regions[account.division].id if account.include_subtree else org_id
        run(
            "user_create",
            {
                "username": account.username,
                "display_name": account.display_name,
                "organisation_id": org_id,
                "password": DEMO_PASSWORD,
                "roles": [
                    {
                        "role": account.role.value,
                        "organisation_id": scope_id,
                        "include_subtree": account.include_subtree,
                    }
                ],
            },
        )
        created["users"] += 1
    return created
