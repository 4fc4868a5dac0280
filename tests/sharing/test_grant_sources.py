"""A grant lists its entry's callable sources (id, name, key columns, loaded or not), so
an application can name the ``source_id`` the services need when there are several."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from govdata.accounts.signing import signed_request_headers
from govdata.actions import ActionRegistry
from govdata.app import create_app
from govdata.db import Database
from govdata.errors import InvalidInput
from govdata.services import Services
from govdata.settings import Settings
from tests.aggregation.conftest import (
    CLEAN_ROWS,
    POPULATION_HEADER,
    Run,
    population_columns,
    write_csv,
)
from tests.factories import login
from tests.sharing.test_services import Caller, call, caller
from tests.sharing.test_sharing import ID_LI

__all__ = ["caller"]  # the fixture, used here


@pytest.fixture
def second_source(as_provider: Run, conditional_entry: str, inbox: Path, caller: Caller) -> Any:
    """Another physical source of the granted entry, registered but never loaded."""
    location = write_csv(inbox, "system.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    return as_provider(
        "source_register",
        {
            "entry_id": conditional_entry,
            "name": "户籍人口（系统库）",
            "kind": "csv",
            "location": location,
            "columns": population_columns(),
            "key_columns": ["id_number"],
        },
    )


def test_a_grant_lists_the_sources_its_services_may_read(
    registry: ActionRegistry, caller: Caller, source: Any, second_source: Any
) -> None:
    grant = registry.run("grant_get", caller.ctx, {"id": caller.grant_id})

    assert [s.model_dump() for s in grant.sources] == [
        {"id": source.id, "name": "户籍人口", "key_columns": ["id_number"], "loaded": True},
        {
            "id": second_source.id,
            "name": "户籍人口（系统库）",
            "key_columns": ["id_number"],
            "loaded": False,
        },
    ]


def test_the_application_names_a_listed_source_when_the_entry_has_several(
    registry: ActionRegistry, caller: Caller, second_source: Any
) -> None:
    with pytest.raises(InvalidInput) as ambiguous:
        call(registry, caller, "service_query", key=ID_LI)
    assert ambiguous.value.error_code == "service_source_ambiguous"

    listed = registry.run("grant_list", caller.ctx, {}).grants
    (grant,) = [g for g in listed if g.id == caller.grant_id]
    (loaded,) = [s for s in grant.sources if s.loaded]
    page = call(registry, caller, "service_query", key=ID_LI, source_id=loaded.id)

    assert len(page.rows) == 1


def test_the_holder_sees_the_same_sources_on_the_grant(
    as_provider: Run, caller: Caller, source: Any
) -> None:
    grant = as_provider("grant_get", {"id": caller.grant_id})

    assert [(s.id, s.loaded) for s in grant.sources] == [(source.id, True)]


def test_the_application_reads_the_source_ids_from_its_grant_with_a_signed_request(
    agg_settings: Settings,
    db: Database,
    agg_services: Services,
    caller: Caller,
    second_source: Any,
) -> None:
    caller.ctx.session.commit()
    client = TestClient(create_app(agg_settings, db, agg_services))
    path = f"/api/v1/sharing/grants/{caller.grant_id}"
    headers = signed_request_headers(
        caller.key_id,
        caller.secret,
        method="GET",
        path=path,
        body=b"",
        timestamp=int(time.time()),
        nonce=None,
    )

    response = client.get(path, headers=headers)

    assert response.status_code == 200, response.text
    listed = response.json()["sources"]
    assert [(s["name"], s["loaded"]) for s in listed] == [
        ("户籍人口", True),
        ("户籍人口（系统库）", False),
    ]
    assert listed[1]["id"] == second_source.id


def test_the_portal_grant_page_shows_the_source_ids(
    agg_settings: Settings,
    db: Database,
    agg_services: Services,
    caller: Caller,
    source: Any,
    second_source: Any,
) -> None:
    caller.ctx.session.commit()
    portal = TestClient(create_app(agg_settings, db, agg_services), base_url="http://testserver")
    login(portal, "consumer")

    page = portal.get("/sharing/grants", headers={"accept": "text/html"})

    assert page.status_code == 200
    cell = page.text.split('class="grant-sources"')[1].split("</td>")[0]
    assert f"户籍人口：<code>{source.id}</code>（主键 id_number）</div>" in cell
    assert f"<code>{second_source.id}</code>（主键 id_number）（尚未入库）" in cell
