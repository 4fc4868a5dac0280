"""The verification tests load real sources of several departments through the
runner: they share the aggregation fixtures, and add sources of other departments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from govdata.actions import ActionRegistry, Context
from govdata.orgs.models import Organisation
from tests.aggregation import conftest as aggregation
from tests.aggregation.conftest import POPULATION_HEADER, Run, population_columns, write_csv
from tests.catalog.conftest import entry_data, publish, region_department
from tests.factories import context_for, user_actor

agg_settings = aggregation.agg_settings
agg_services = aggregation.agg_services
agg_operator = aggregation.agg_operator
provider = aggregation.provider
reviewer = aggregation.reviewer
as_provider = aggregation.as_provider
as_reviewer = aggregation.as_reviewer
market = aggregation.market
entry_id = aggregation.entry_id
inbox = aggregation.inbox
run_now = aggregation.run_now

ZHANG = "11010519491231002X"
LI = "150102199003071237"
WANG = "150104198512120023"
ZHAO = aggregation.valid_id("15010219800101123")


def person(id_number: str, name: str, address: str, phone: str = "13800138000") -> str:
    return f"{id_number},{name},1,1980-01-01,150102,{address},{phone},2024-01-01 08:00:00"


@pytest.fixture
def as_operator(registry: ActionRegistry, agg_operator: Context) -> Run:
    return lambda name, data: registry.run(name, agg_operator, data)


@pytest.fixture
def as_user(registry: ActionRegistry, agg_operator: Context) -> Callable[[str], Run]:
    def make(username: str) -> Run:
        ctx = context_for(agg_operator, user_actor(agg_operator.session, username))
        return lambda name, data: registry.run(name, ctx, data)

    return make


@dataclass
class Loader:
    """Registers and loads CSV sources of any department (as the node operator)."""

    run: Run
    session: Any
    inbox: Path
    count: int = 0

    def source(
        self,
        department: str,
        name: str,
        rows: list[str],
        *,
        header: str = POPULATION_HEADER,
        columns: list[dict[str, Any]] | None = None,
    ) -> Any:
        self.count += 1
        org: Organisation = region_department(self.session, department)
        system = self.run("system_register", {"organisation_id": org.id, "name": f"{name}系统"})
        code = f"102001/{900000 + self.count:06d}"
        entry = publish(self.run, self.run, entry_data(org.id, system.id, code=code, name=name))
        location = write_csv(self.inbox, f"v{self.count}.csv", [header, *rows])
        source = self.run(
            "source_register",
            {
                "entry_id": entry,
                "name": name,
                "kind": "csv",
                "location": location,
                "columns": columns or population_columns(),
            },
        )
        queued = self.run("run_start", {"source_id": source.id})
        self.session.commit()
        self.session.expire_all()
        assert self.run("run_get", {"id": queued.id}).status == "succeeded"
        return source


@pytest.fixture
def loader(as_operator: Run, agg_operator: Context, inbox: Path) -> Loader:
    return Loader(as_operator, agg_operator.session, inbox)


@pytest.fixture
def region_id(agg_operator: Context) -> str:
    """The region the demo reviewer holds its role over (with its subtree)."""
    reviewer_actor = user_actor(agg_operator.session, "reviewer")
    organisation_id = reviewer_actor.grants[0].organisation_id
    assert organisation_id is not None
    return organisation_id
