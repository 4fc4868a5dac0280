"""Sharing tests apply for entries whose data is really loaded: they use the aggregation
fixtures, and add a population entry, its source and the demo consumer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from govdata.actions import ActionRegistry, Context
from govdata.orgs.models import Organisation
from tests.aggregation import conftest as aggregation
from tests.aggregation.conftest import (
    CLEAN_ROWS,
    POPULATION_HEADER,
    Run,
    population_columns,
    write_csv,
)
from tests.catalog.conftest import entry_data, publish
from tests.factories import context_for, user_actor

agg_settings = aggregation.agg_settings
agg_services = aggregation.agg_services
agg_operator = aggregation.agg_operator
provider = aggregation.provider
reviewer = aggregation.reviewer
as_provider = aggregation.as_provider
as_reviewer = aggregation.as_reviewer
market = aggregation.market
inbox = aggregation.inbox
run_now = aggregation.run_now

POPULATION_ITEMS = [
    {
        "name": "公民身份号码",
        "data_type": "C",
        "length": 18,
        "grade": "general_3",
        "sensitive": True,
    },
    {"name": "姓名", "data_type": "C", "length": 50, "grade": "general_3", "sensitive": True},
    {"name": "性别", "data_type": "C", "length": 1, "grade": "general_2"},
    {"name": "出生日期", "data_type": "D", "grade": "general_2"},
    {"name": "户籍地行政区划代码", "data_type": "C", "length": 6, "grade": "general_1"},
    {"name": "住址", "data_type": "C", "length": 200, "grade": "general_3", "sensitive": True},
    {"name": "联系电话", "data_type": "C", "length": 20, "grade": "general_3", "sensitive": True},
]


@pytest.fixture
def publish_entry(as_provider: Run, as_reviewer: Run, market: Organisation) -> Callable[..., str]:
    """Publish a population entry of the demo provider's department with this share type."""
    system = as_provider("system_register", {"organisation_id": market.id, "name": "户籍管理系统"})
    serial = iter(range(1, 100))

    def make(share_type: str, **overrides: Any) -> str:
        code = f"102001/0005{next(serial):02d}"
        data = entry_data(
            market.id, system.id, code=code, name="户籍人口信息", items=POPULATION_ITEMS
        )
        return publish(as_provider, as_reviewer, data | {"share_type": share_type} | overrides)

    return make


@pytest.fixture
def conditional_entry(publish_entry: Callable[..., str]) -> str:
    return publish_entry("conditional")


@pytest.fixture
def source(
    as_provider: Run, conditional_entry: str, inbox: Path, run_now: Callable[..., Any]
) -> Any:
    location = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    registered = as_provider(
        "source_register",
        {
            "entry_id": conditional_entry,
            "name": "户籍人口",
            "kind": "csv",
            "location": location,
            "columns": population_columns(),
            "key_columns": ["id_number"],
        },
    )
    assert run_now(registered.id).status == "succeeded"
    return registered


@pytest.fixture
def consumer(agg_operator: Context) -> Context:
    """The demo consumer officer (人力资源和社会保障厅), reading through stored grants."""
    return context_for(agg_operator, user_actor(agg_operator.session, "consumer"))


@pytest.fixture
def as_consumer(registry: ActionRegistry, consumer: Context) -> Run:
    return lambda name, data: registry.run(name, consumer, data)
