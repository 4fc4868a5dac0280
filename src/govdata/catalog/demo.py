"""A small demo catalog for the demo region: systems, entries in every state, deadlines.

Loaded by ``govdata demo`` after the organisations and accounts; every step runs
through the actions, as a provider and a reviewer would take it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from govdata.actions import Context
from govdata.catalog.models import CatalogEntry
from govdata.orgs.models import Organisation

Run = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class DemoEntry:
    department: str
    system: str
    code: str
    name: str
    abstract: str
    items: list[tuple[str, str, int | None, str]]  # name, data type, length, grade
    share_type: str = "unconditional"
    share_conditions: str = ""
    open_type: str = "none"
    open_conditions: str = ""
    update_cycle: str = "daily"
    format_category: str = "database"
    format_detail: str = "KingbaseES"
    # Where the demo leaves it: published, submitted, returned or draft.
    state: str = "published"
    sensitive: frozenset[str] = field(default_factory=frozenset)


DEMO_ENTRIES = (
    DemoEntry(
        "市场监督管理局",
        "市场主体登记系统",
        "102001/000001",
        "企业营业执照登记信息",
        "全区市场主体登记注册形成的营业执照信息，用于企业身份核验、准入审批和信用监管。",
        [
            ("统一社会信用代码", "C", 18, "general_2"),
            ("企业名称", "C", 200, "general_1"),
            ("法定代表人", "C", 50, "general_3"),
            ("注册资本", "N", 18, "general_2"),
            ("成立日期", "D", None, "general_1"),
            ("登记机关", "C", 100, "general_1"),
            ("登记状态", "C", 20, "general_1"),
        ],
        open_type="conditional",
        open_conditions="开放企业名称、统一社会信用代码和登记状态",
        sensitive=frozenset({"法定代表人"}),
    ),
    DemoEntry(
        "市场监督管理局",
        "市场主体登记系统",
        "102001/000002",
        "个体工商户登记信息",
        "个体工商户注册、变更和注销登记信息，支撑就业创业服务和市场主体统计。",
        [
            ("统一社会信用代码", "C", 18, "general_2"),
            ("个体工商户名称", "C", 200, "general_1"),
            ("经营者姓名", "C", 50, "general_3"),
            ("经营场所", "C", 200, "general_2"),
        ],
        share_type="conditional",
        share_conditions="用于政务服务和市场监管的部门可申请",
        open_type="unconditional",
        update_cycle="weekly",
    ),
    DemoEntry(
        "市场监督管理局",
        "食品安全监管系统",
        "208001/000003",
        "食品生产许可证信息",
        "食品生产企业的生产许可证核发、变更、延续和注销信息。",
        [
            ("许可证编号", "C", 20, "general_1"),
            ("生产者名称", "C", 200, "general_1"),
            ("食品类别", "C", 100, "general_1"),
            ("有效期至", "D", None, "general_1"),
        ],
        open_type="unconditional",
        update_cycle="weekly",
        state="submitted",
    ),
    DemoEntry(
        "公安厅",
        "人口信息管理系统",
        "101001/000001",
        "居民户籍登记信息",
        "全区常住人口和户籍人口的登记信息，是人口基础库的权威来源。",
        # The labels of the columns its sources load (the 人口基础库 standard's), so that
        # every item granted is delivered (grants match items to column labels).
        [
            ("公民身份号码", "C", 18, "important"),
            ("姓名", "C", 100, "general_4"),
            ("性别", "C", 1, "general_2"),
            ("出生日期", "D", None, "general_3"),
            ("户籍地行政区划代码", "C", 6, "general_2"),
            ("住址", "C", 200, "general_4"),
            ("联系电话", "C", 30, "general_4"),
            ("更新时间", "T", None, "general_1"),
        ],
        share_type="conditional",
        share_conditions="依法履职需要核验身份的部门，按最小必要原则申请",
        sensitive=frozenset({"公民身份号码", "姓名", "住址", "联系电话"}),
    ),
    DemoEntry(
        "公安厅",
        "交通管理信息系统",
        "307001/000002",
        "机动车驾驶证信息",
        "机动车驾驶证核发、换证、记分和状态信息。",
        [
            ("驾驶证号", "C", 18, "general_4"),
            ("准驾车型", "C", 10, "general_2"),
            ("有效期止", "D", None, "general_2"),
            ("累积记分", "I", None, "general_3"),
        ],
        share_type="conditional",
        share_conditions="交通运输、保险监管部门可申请",
        state="returned",
        sensitive=frozenset({"驾驶证号"}),
    ),
    DemoEntry(
        "人力资源和社会保障厅",
        "社会保险信息系统",
        "203001/000001",
        "社会保险参保缴费信息",
        "企业职工基本养老保险、失业保险和工伤保险的参保登记和缴费记录。",
        [
            ("公民身份号码", "C", 18, "important"),
            ("参保险种", "C", 20, "general_2"),
            ("缴费基数", "Y", None, "general_3"),
            ("缴费年月", "C", 6, "general_2"),
            ("参保单位名称", "C", 200, "general_2"),
        ],
        share_type="conditional",
        share_conditions="用于待遇资格认证和社会救助核对",
        update_cycle="monthly",
        sensitive=frozenset({"公民身份号码", "缴费基数"}),
    ),
    DemoEntry(
        "卫生健康委员会",
        "卫生监督信息系统",
        "202001/000001",
        "医疗机构执业许可信息",
        "医疗机构执业登记、校验和变更信息，含机构类别、诊疗科目和床位数。",
        [
            ("医疗机构名称", "C", 200, "general_1"),
            ("登记号", "C", 30, "general_1"),
            ("机构类别", "C", 50, "general_1"),
            ("诊疗科目", "M", None, "general_1"),
            ("核定床位数", "I", None, "general_1"),
        ],
        open_type="unconditional",
        update_cycle="monthly",
        format_category="spreadsheet",
        format_detail="xlsx",
    ),
    DemoEntry(
        "卫生健康委员会",
        "妇幼健康信息系统",
        "202001/000002",
        "出生医学证明信息",
        "出生医学证明签发信息，用于新生儿户口登记和社保参保“出生一件事”联办。",
        [
            ("出生医学证明编号", "C", 20, "general_3"),
            ("新生儿姓名", "C", 50, "general_4"),
            ("出生日期", "D", None, "general_3"),
            ("母亲公民身份号码", "C", 18, "important"),
        ],
        share_type="conditional",
        share_conditions="仅限公安户籍和医保部门办理联办业务",
        state="draft",
        sensitive=frozenset({"新生儿姓名", "母亲公民身份号码"}),
    ),
)


def _department(ctx: Context, name: str) -> Organisation:
    org = ctx.session.scalar(select(Organisation).where(Organisation.name == f"内蒙古自治区{name}"))
    if org is None:
        raise LookupError(f"demo department missing: {name}")
    return org


def _payload(entry: DemoEntry, org_id: str, system_id: str) -> dict[str, Any]:
    return {
        "organisation_id": org_id,
        "name": entry.name,
        "classification_code": entry.code.split("/")[0],
        "resource_code": entry.code,
        "abstract": entry.abstract,
        "format_category": entry.format_category,
        "format_detail": entry.format_detail,
        "items": [
            {
                "name": name,
                "data_type": data_type,
                "length": length,
                "grade": grade,
                "sensitive": name in entry.sensitive,
            }
            for name, data_type, length, grade in entry.items
        ],
        "share_type": entry.share_type,
        "share_conditions": entry.share_conditions,
        "share_methods": [] if entry.share_type == "none" else ["interface", "table"],
        "open_type": entry.open_type,
        "open_conditions": entry.open_conditions,
        "update_cycle": entry.update_cycle,
        "resources": [
            {"name": f"{entry.name}表", "kind": "table", "location": "", "system_id": system_id}
        ],
    }


def load_demo_catalog(ctx: Context, run: Run) -> dict[str, int]:
    """Create the demo entries that do not exist yet; returns counts by state."""
    counts = {"published": 0, "submitted": 0, "returned": 0, "draft": 0, "systems": 0}
    systems: dict[tuple[str, str], str] = {}
    for entry in DEMO_ENTRIES:
        if ctx.session.scalar(
            select(CatalogEntry.id).where(CatalogEntry.resource_code == entry.code)
        ):
            continue
        org = _department(ctx, entry.department)
        key = (org.id, entry.system)
        if key not in systems:
            existing = {s.name: s.id for s in run("system_list", {"organisation_id": org.id})}
            if entry.system in existing:
                systems[key] = existing[entry.system]
            else:
                systems[key] = run(
                    "system_register", {"organisation_id": org.id, "name": entry.system}
                ).id
                counts["systems"] += 1
        created = run("entry_create", _payload(entry, org.id, systems[key]))
        if entry.state != "draft":
            run("entry_submit", {"id": created.id})
        if entry.state == "published":
            run("entry_review", {"id": created.id, "decision": "publish"})
        elif entry.state == "returned":
            run(
                "entry_review",
                {"id": created.id, "decision": "return", "reasons": ["请补充驾驶证状态的取值说明"]},
            )
        counts[entry.state] += 1
    return counts
