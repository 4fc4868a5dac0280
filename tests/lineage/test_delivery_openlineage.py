"""OpenLineage run events of bulk deliveries (G5 with S3), checked with the client's
models: the table at the version delivered in, the delivered dataset out, masked
columns marked as such; service calls emit nothing."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openlineage.client.serde import Serde

from govdata.actions import ActionRegistry, Context
from govdata.db import Database
from govdata.lineage.openlineage import job_namespace
from govdata.lineage.runs import lake_namespace
from govdata.services import Services
from govdata.settings import Settings
from govdata.sharing.bulk import run_delivery
from tests.aggregation.conftest import Run
from tests.lineage.test_openlineage import as_model, events_in
from tests.sharing.delivery_fixtures import approve
from tests.sharing.test_services import app_context, register_application
from tests.sharing.test_sharing import ID_LI


@pytest.fixture
def lineage_settings(agg_settings: Settings, tmp_path: Path) -> Settings:
    """The node's settings with OpenLineage events going to a JSON-lines file."""
    return agg_settings.model_copy(update={"openlineage_file": tmp_path / "deliveries.jsonl"})


@pytest.fixture
def grant_id(as_consumer: Run, as_provider: Run, source: Any, conditional_entry: str) -> str:
    return approve(as_consumer, as_provider, conditional_entry, ["bulk", "query"])


def run(
    db: Database, settings: Settings, services: Services, consumer: Context, delivery_id: str
) -> str:
    consumer.session.commit()
    return run_delivery(db, settings, services, delivery_id)


def test_a_bulk_delivery_emits_start_and_complete_from_the_table_version_to_its_files(
    db: Database,
    lineage_settings: Settings,
    agg_services: Services,
    as_consumer: Run,
    consumer: Context,
    source: Any,
    grant_id: str,
) -> None:
    started = as_consumer("delivery_start", {"grant_id": grant_id})
    assert run(db, lineage_settings, agg_services, consumer, started.id) == "succeeded"

    events = events_in(lineage_settings.openlineage_file or Path())

    assert [(e["run"]["runId"], e["eventType"]) for e in events] == [
        (started.id, "START"),
        (started.id, "COMPLETE"),
    ]
    for event in events:
        model = as_model(event)
        assert json.loads(Serde.to_json(model))["run"]["runId"] == started.id
    done = events[1]
    grant_number = done["run"]["facets"]["govdata_delivery"]["grantNumber"]
    assert (done["job"]["namespace"], done["job"]["name"]) == (
        job_namespace(lineage_settings),
        f"sharing.delivery.{source.table_name}.{grant_number}",
    )
    (table,) = done["inputs"]
    assert (table["namespace"], table["name"]) == (
        lake_namespace(lineage_settings),
        source.table_name,
    )
    assert table["facets"]["version"]["datasetVersion"] == str(started.version)
    (delivered,) = done["outputs"]
    assert delivered["namespace"] == lineage_settings.deliveries_dir.resolve().as_uri()
    assert delivered["name"] == started.id
    assert delivered["facets"]["dataQualityMetrics"]["rowCount"] == 2
    assert delivered["outputFacets"]["outputStatistics"]["rowCount"] == 2
    fields = delivered["facets"]["columnLineage"]["fields"]
    assert {name: spec["transformationType"] for name, spec in fields.items()} == {
        "id_number": "MASKED",
        "name": "MASKED",
        "division_code": "IDENTITY",
    }
    origins = fields["name"]["inputFields"]
    assert [(f["namespace"], f["name"], f["field"]) for f in origins] == [
        (lake_namespace(lineage_settings), source.table_name, "name")
    ]
    facet = done["run"]["facets"]["govdata_delivery"]
    assert (facet["grantId"], facet["target"]) == (grant_id, "files")
    assert facet["checksum"] and facet["manifestSha256"] and facet["manifestSm3"]


def test_a_delivery_refused_midway_emits_fail_with_the_reason(
    db: Database,
    lineage_settings: Settings,
    agg_services: Services,
    as_consumer: Run,
    as_provider: Run,
    consumer: Context,
    grant_id: str,
) -> None:
    started = as_consumer("delivery_start", {"grant_id": grant_id})
    as_provider("grant_suspend", {"id": grant_id, "reason": "核查用途"})

    assert run(db, lineage_settings, agg_services, consumer, started.id) == "failed"

    start, end = events_in(lineage_settings.openlineage_file or Path())
    assert (start["eventType"], end["eventType"]) == ("START", "FAIL")
    assert "grant_suspended" in end["run"]["facets"]["errorMessage"]["message"]
    as_model(end)


def test_service_calls_emit_no_run_events(
    registry: ActionRegistry,
    agg_operator: Context,
    consumer: Context,
    as_consumer: Run,
    as_provider: Run,
    source: Any,
    conditional_entry: str,
    lineage_settings: Settings,
) -> None:
    app_id, key_id, _secret = register_application(registry, agg_operator, consumer, "社保认证")
    grant = approve(
        as_consumer, as_provider, conditional_entry, ["query"], application_ids=[app_id]
    )
    app = app_context(agg_operator, app_id, key_id)
    calling = replace(app, settings=lineage_settings)

    registry.run("service_query", calling, {"grant_id": grant, "key": ID_LI})

    path = lineage_settings.openlineage_file
    assert path is not None and not path.exists()
