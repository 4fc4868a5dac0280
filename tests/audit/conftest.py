"""The audit tests read aggregated data: they share the aggregation fixtures."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from govdata.actions import Context
from tests.aggregation import conftest as aggregation
from tests.aggregation.conftest import CLEAN_ROWS, POPULATION_HEADER, population_columns, write_csv
from tests.factories import context_for, user_actor

As = Callable[[str], Context]

# The aggregation fixtures this directory uses, registered here by name.
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


@pytest.fixture
def source_id(
    as_provider: Callable[..., Any], entry_id: str, inbox: Path, run_now: Callable[..., Any]
) -> str:
    """A loaded source of the demo provider's department (three people)."""
    location = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    source = as_provider(
        "source_register",
        {
            "entry_id": entry_id,
            "name": "户籍人口",
            "kind": "csv",
            "location": location,
            "columns": population_columns(),
        },
    )
    assert run_now(source.id).status == "succeeded"
    return str(source.id)


@pytest.fixture
def as_user(agg_operator: Context) -> As:
    """A context of a demo account."""

    def make(username: str) -> Context:
        return context_for(agg_operator, user_actor(agg_operator.session, username))

    return make
