"""Fixtures of the aggregation tests: a published entry of the demo provider's
department, a lake and inbox of the test's own, and helpers writing source files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from govdata.actions import ActionRegistry, Context
from govdata.aggregation.dispatch import JobDispatcher
from govdata.aggregation.runner import execute_run
from govdata.catalog.indexing import SearchService
from govdata.db import Database
from govdata.lake.location import LocalLocation
from govdata.orgs.models import Organisation
from govdata.services import Services
from govdata.settings import Settings
from tests.catalog.conftest import entry_data, publish, region_department
from tests.factories import context_for, user_actor

Run = Callable[[str, dict[str, Any]], Any]

POPULATION_HEADER = "id_number,name,sex,birth_date,division_code,address,phone,updated_at"
CLEAN_ROWS = [
    ",".join(row)
    for row in (
        (
            "11010519491231002X",
            "张三",
            "2",
            "1949-12-31",
            "110105",
            "北京市朝阳区建国路1号",
            "13800138000",
            "2024-01-01 08:00:00",
        ),
        (
            "150102199003071237",
            "李四",
            "1",
            "1990-03-07",
            "150102",
            "内蒙古自治区呼和浩特市新城区中山路8号",
            "13912345678",
            "2024-01-02 09:30:00",
        ),
        (
            "150104198512120023",
            "王芳",
            "2",
            "1985-12-12",
            "150104",
            "内蒙古自治区呼和浩特市玉泉区南二环路16号",
            "0471-6951234",
            "2024-01-03 10:00:00",
        ),
    )
]


def valid_id(body17: str) -> str:
    from govdata.orgs.codes import id_number_check_char  # noqa: PLC0415

    return body17 + id_number_check_char(body17)


@pytest.fixture
def agg_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Settings whose data directory (lake, inbox, quarantine) belongs to this test."""
    data_dir = tmp_path / "node"
    data_dir.mkdir()
    return settings.model_copy(update={"data_dir": data_dir})


@pytest.fixture
def agg_services(services: Services, agg_settings: Settings, tmp_path: Path) -> Services:
    return replace(
        services,
        search=SearchService(tmp_path / "search"),
        lake=LocalLocation(agg_settings.data_dir / "lake"),
        jobs=JobDispatcher(agg_settings),
    )


@pytest.fixture
def agg_operator(
    operator: Context, agg_settings: Settings, agg_services: Services, db: Database
) -> Context:
    ctx = replace(operator, settings=agg_settings, services=agg_services)
    agg_services.jobs.bind_inline(
        lambda run_id: execute_run(run_id, agg_settings, db, agg_services)
    )
    return ctx


@pytest.fixture
def provider(agg_operator: Context) -> Context:
    return context_for(agg_operator, user_actor(agg_operator.session, "provider"))


@pytest.fixture
def reviewer(agg_operator: Context) -> Context:
    return context_for(agg_operator, user_actor(agg_operator.session, "reviewer"))


@pytest.fixture
def as_provider(registry: ActionRegistry, provider: Context) -> Run:
    return lambda name, data: registry.run(name, provider, data)


@pytest.fixture
def as_reviewer(registry: ActionRegistry, reviewer: Context) -> Run:
    return lambda name, data: registry.run(name, reviewer, data)


@pytest.fixture
def market(agg_operator: Context) -> Organisation:
    return region_department(agg_operator.session, "市场监督管理局")


@pytest.fixture
def entry_id(as_provider: Run, as_reviewer: Run, market: Organisation) -> str:
    """A published entry of the demo provider's department."""
    system = as_provider("system_register", {"organisation_id": market.id, "name": "人员登记系统"})
    data = entry_data(market.id, system.id, code="102001/000001", name="人员登记信息")
    return publish(as_provider, as_reviewer, data)


@pytest.fixture
def inbox(agg_settings: Settings) -> Path:
    agg_settings.inbox_dir.mkdir(parents=True, exist_ok=True)
    return agg_settings.inbox_dir


def write_csv(inbox: Path, name: str, lines: list[str], encoding: str = "gbk") -> str:
    (inbox / name).write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return name


def population_columns(**sources: str) -> list[dict[str, Any]]:
    from govdata.libraries.standards import get_standard  # noqa: PLC0415

    names = {
        "id_number",
        "name",
        "sex",
        "birth_date",
        "division_code",
        "address",
        "phone",
        "updated_at",
    }
    return [
        column.model_dump(mode="json") | {"source": sources.get(column.name)}
        for column in get_standard("population").columns
        if column.name in names
    ]


@pytest.fixture
def run_now(as_provider: Run, provider: Context) -> Callable[..., Any]:
    """Start a run as the provider and commit, which executes it (inline runner);
    returns the finished run as ``run_get`` shows it."""

    def start(source_id: str, **extra: Any) -> Any:
        queued = as_provider("run_start", {"source_id": source_id, **extra})
        provider.session.commit()
        provider.session.expire_all()
        return as_provider("run_get", {"id": queued.id})

    return start
