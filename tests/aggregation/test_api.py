"""Aggregation through the JSON API: a provider registers a GBK file and loads it, the
authority builds the population base library from it and reads a person back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from govdata.actions import Context
from govdata.db import Database
from govdata.ledger import EntryKind, decode_entry, entries_about, get_leaf
from govdata.orgs.models import Organisation
from govdata.services import Services
from govdata.settings import Settings
from tests.aggregation.conftest import CLEAN_ROWS, POPULATION_HEADER, population_columns, write_csv
from tests.catalog.conftest import region_department
from tests.catalog.test_catalog_api import Session


@pytest.fixture
def people(
    agg_settings: Settings, db: Database, agg_services: Services, entry_id: str
) -> Iterator[tuple[Session, Session]]:
    provider = Session(agg_settings, db, agg_services, "provider")
    reviewer = Session(agg_settings, db, agg_services, "reviewer")
    yield provider, reviewer
    provider.close()
    reviewer.close()


def test_a_source_is_loaded_read_and_built_into_a_library_over_the_api(
    people: tuple[Session, Session], entry_id: str, inbox: Path, agg_operator: Context
) -> None:
    provider, reviewer = people
    bad = "150102199003071231,赵六,1,1990-03-07,150102,某地,13800000000,2024-01-04 00:00:00"
    write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS, bad])
    source = provider.send(
        "POST",
        "/aggregation/sources",
        {
            "entry_id": entry_id,
            "name": "户籍人口（GBK 文件）",
            "kind": "csv",
            "location": "people.csv",
            "columns": population_columns(),
            "max_bad_ratio": 0.5,
        },
        status=201,
    )
    queued = provider.send("POST", f"/aggregation/sources/{source['id']}/runs", {}, status=202)
    run = provider.get(f"/aggregation/runs/{queued['id']}")
    assert (run["status"], run["version"], run["rows_quarantined"]) == ("succeeded", 1, 1)
    quarantine = provider.get(f"/aggregation/runs/{run['id']}/quarantine")
    assert quarantine["rows"][0]["_gd_reason_codes"] == "id_number:id_number_check_digit"
    # The ledger holds the version the run committed and the read of its quarantine.
    trail = [
        decode_entry(get_leaf(agg_operator.session, index).entry)
        for index in entries_about(agg_operator.session, run["id"])
    ]
    finished = [e.body["data"] for e in trail if e.kind == "aggregation:run:finished"]
    assert finished[0]["version"] == 1
    assert finished[0]["source_id"] == source["id"]
    assert finished[0]["checksum"]
    reads = [e.body["data"] for e in trail if e.kind == EntryKind.ACCESS_DECIDED]
    assert [(r["mode"], r["rows"]) for r in reads] == [("quarantine", 1)]
    versions = provider.get(f"/aggregation/sources/{source['id']}/versions")["versions"]
    by_number = {v["version"]: v["metadata"] for v in versions}
    assert by_number[0]["govdata.operation"] == "create"
    assert by_number[1]["govdata.rows_quarantined"] == "1"
    manifest = provider.get(f"/aggregation/sources/{source['id']}/manifest", version=1)
    assert manifest["total_rows"] == 3
    rows = provider.send(
        "POST", f"/aggregation/sources/{source['id']}/query", {"where": {"name": "王芳"}}
    )
    assert rows["rows"][0]["address"].endswith("南二环路16号")

    region = region_department(agg_operator.session, "政务服务与数据管理局")
    library = reviewer.send(
        "POST",
        "/libraries",
        {
            "organisation_id": region.id,
            "kind": "base",
            "code": "population",
            "name": "人口基础库",
            "standard": "population",
        },
        status=201,
    )
    reviewer.send(
        "POST", f"/libraries/{library['id']}/members", {"source_id": source["id"]}, status=201
    )
    build = reviewer.send("POST", f"/libraries/{library['id']}/builds", {}, status=202)
    assert reviewer.get(f"/aggregation/runs/{build['id']}")["status"] == "succeeded"
    person = reviewer.send(
        "POST", f"/libraries/{library['id']}/query", {"where": {"id_number": "11010519491231002X"}}
    )
    assert person["rows"][0]["name"] == "张三"
    assert person["rows"][0]["_gd_source_id"] == source["id"]


def test_people_outside_the_department_cannot_read_its_data(
    people: tuple[Session, Session],
    entry_id: str,
    inbox: Path,
    market: Organisation,
    agg_settings: Settings,
    db: Database,
    agg_services: Services,
) -> None:
    provider, _ = people
    write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    source = provider.send(
        "POST",
        "/aggregation/sources",
        {
            "entry_id": entry_id,
            "name": "户籍人口",
            "kind": "csv",
            "location": "people.csv",
            "columns": population_columns(),
        },
        status=201,
    )
    consumer = Session(agg_settings, db, agg_services, "consumer")
    try:
        response = consumer.client.post(
            f"/api/v1/aggregation/sources/{source['id']}/query",
            json={},
            headers={"X-CSRF-Token": consumer.csrf},
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    finally:
        consumer.close()
