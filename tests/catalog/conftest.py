"""Fixtures of the catalog tests: the demo's provider and reviewer, a system, entry data,
and a search index of the test's own (the database is rolled back after each test,
so the index must not outlive it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.actions import ActionRegistry, Context
from govdata.catalog.indexing import SearchService
from govdata.orgs.models import Organisation
from govdata.services import Services
from tests.factories import context_for, user_actor

Run = Callable[[str, dict[str, Any]], Any]


def region_department(session: Session, name: str) -> Organisation:
    """A department of the demo region (内蒙古自治区) by its short name."""
    org = session.scalar(select(Organisation).where(Organisation.name == f"内蒙古自治区{name}"))
    if org is None:
        raise LookupError(name)
    return org


@pytest.fixture
def market(session: Session) -> Organisation:
    return region_department(session, "市场监督管理局")


@pytest.fixture
def search_services(services: Services, tmp_path: Path) -> Services:
    return replace(services, search=SearchService(tmp_path / "search"))


@pytest.fixture
def operator_ctx(operator: Context, search_services: Services) -> Context:
    return replace(operator, services=search_services)


@pytest.fixture
def provider(operator_ctx: Context) -> Context:
    return context_for(operator_ctx, user_actor(operator_ctx.session, "provider"))


@pytest.fixture
def reviewer(operator_ctx: Context) -> Context:
    return context_for(operator_ctx, user_actor(operator_ctx.session, "reviewer"))


@pytest.fixture
def as_provider(registry: ActionRegistry, provider: Context) -> Run:
    return lambda name, data: registry.run(name, provider, data)


@pytest.fixture
def as_reviewer(registry: ActionRegistry, reviewer: Context) -> Run:
    return lambda name, data: registry.run(name, reviewer, data)


@pytest.fixture
def system_id(as_provider: Run, market: Organisation) -> str:
    out = as_provider(
        "system_register",
        {"organisation_id": market.id, "name": "市场主体登记系统", "started_on": "2026-11-02"},
    )
    return str(out.id)


def entry_data(
    organisation_id: str,
    system_id: str | None,
    *,
    code: str = "102001/000001",
    name: str = "企业营业执照登记信息",
    **overrides: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organisation_id": organisation_id,
        "name": name,
        "classification_code": code.split("/", maxsplit=1)[0],
        "resource_code": code,
        "abstract": "市场主体登记注册形成的营业执照信息，用于企业身份核验和监管。",
        "format_category": "database",
        "format_detail": "KingbaseES",
        "items": [
            {"name": "统一社会信用代码", "data_type": "C", "length": 18, "grade": "general_2"},
            {"name": "企业名称", "data_type": "C", "length": 200, "grade": "general_2"},
            {
                "name": "法定代表人",
                "data_type": "C",
                "length": 50,
                "grade": "general_3",
                "sensitive": True,
            },
            {"name": "成立日期", "data_type": "D", "grade": "general_1"},
        ],
        "share_type": "conditional",
        "share_conditions": "用于市场监管和政务服务的部门可申请",
        "share_methods": ["interface", "table"],
        "open_type": "unconditional",
        "update_cycle": "daily",
        "related_codes": [],
        "resources": [
            {
                "name": "营业执照信息表",
                "kind": "table",
                "location": "sc_market.license",
                "system_id": system_id,
            },
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def draft(as_provider: Run, market: Organisation, system_id: str) -> str:
    """An entry drafted by the demo provider, not yet submitted; returns its id."""
    as_provider("entry_create", entry_data(market.id, system_id))
    return _entry_id(as_provider, "102001/000001")


def _entry_id(run: Run, code: str) -> str:
    page = run("entry_list", {})
    for entry in page.entries:
        if entry.resource_code == code:
            return str(entry.id)
    raise LookupError(code)


@pytest.fixture
def published(draft: str, as_provider: Run, as_reviewer: Run) -> str:
    as_provider("entry_submit", {"id": draft})
    as_reviewer("entry_review", {"id": draft, "decision": "publish"})
    return draft


def publish(as_provider: Run, as_reviewer: Run, data: dict[str, Any]) -> str:
    """Create, submit and publish an entry; returns its id."""
    out = as_provider("entry_create", data)
    as_provider("entry_submit", {"id": out.id})
    as_reviewer("entry_review", {"id": out.id, "decision": "publish"})
    return str(out.id)


CLOSED_CODE = "307001/000002"


@pytest.fixture
def closed(as_provider: Run, as_reviewer: Run, market: Organisation, system_id: str) -> str:
    """A published entry that is not open (不予开放): for members only."""
    data = entry_data(
        market.id, system_id, code=CLOSED_CODE, name="食品生产许可证信息", open_type="none"
    )
    return publish(as_provider, as_reviewer, data)
