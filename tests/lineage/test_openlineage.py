"""OpenLineage run events of loads and library builds (G5), checked with the client's models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import column_lineage_dataset, dataset_version_dataset
from openlineage.client.serde import Serde

from govdata.actions import Context
from govdata.aggregation.runner import execute_run
from govdata.db import Database
from govdata.lineage.openlineage import RunLineage, emit
from govdata.services import Services
from govdata.settings import Settings
from tests.aggregation.conftest import CLEAN_ROWS, POPULATION_HEADER, population_columns, write_csv
from tests.aggregation.conftest import Run as As
from tests.catalog.conftest import region_department


@pytest.fixture
def events_file(
    agg_settings: Settings,
    agg_services: Services,
    agg_operator: Context,
    db: Database,
    tmp_path: Path,
) -> Path:
    """Runs execute with OpenLineage events going to a JSON-lines file."""
    path = tmp_path / "openlineage.jsonl"
    settings = agg_settings.model_copy(update={"openlineage_file": path})
    agg_services.jobs.bind_inline(lambda run_id: execute_run(run_id, settings, db, agg_services))
    return path


def events_in(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def as_model(event: dict[str, Any]) -> RunEvent:
    """The event rebuilt with the client's models (their validators check ids and times)."""

    def lineage(facets: dict[str, Any]) -> dict[str, Any]:
        rebuilt: dict[str, Any] = {}
        if "columnLineage" in facets:
            rebuilt["columnLineage"] = column_lineage_dataset.ColumnLineageDatasetFacet(
                fields={
                    name: column_lineage_dataset.Fields(
                        inputFields=[
                            column_lineage_dataset.InputField(
                                namespace=f["namespace"], name=f["name"], field=f["field"]
                            )
                            for f in spec["inputFields"]
                        ],
                        transformationDescription=spec.get("transformationDescription"),
                        transformationType=spec.get("transformationType"),
                    )
                    for name, spec in facets["columnLineage"]["fields"].items()
                }
            )
        if "version" in facets:
            rebuilt["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
                datasetVersion=facets["version"]["datasetVersion"]
            )
        return rebuilt

    return RunEvent(
        eventType=RunState(event["eventType"]),
        eventTime=event["eventTime"],
        producer=event["producer"],
        run=Run(runId=event["run"]["runId"]),
        job=Job(namespace=event["job"]["namespace"], name=event["job"]["name"]),
        inputs=[
            InputDataset(
                namespace=d["namespace"], name=d["name"], facets=lineage(d.get("facets", {}))
            )
            for d in event["inputs"]
        ],
        outputs=[
            OutputDataset(
                namespace=d["namespace"], name=d["name"], facets=lineage(d.get("facets", {}))
            )
            for d in event["outputs"]
        ],
    )


def test_a_load_and_a_library_build_emit_start_and_complete_with_column_lineage(
    events_file: Path,
    as_provider: As,
    as_reviewer: As,
    entry_id: str,
    inbox: Path,
    run_now: Callable[..., Any],
    agg_operator: Context,
) -> None:
    location = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    source = as_provider(
        "source_register",
        {
            "entry_id": entry_id,
            "name": "户籍人口",
            "kind": "csv",
            "location": location,
            "columns": population_columns(name="xm"),
        },
    )
    write_csv(inbox, "people.csv", [POPULATION_HEADER.replace(",name,", ",xm,"), *CLEAN_ROWS])
    load = run_now(source.id)
    region = region_department(agg_operator.session, "政务服务与数据管理局")
    library = as_reviewer(
        "library_create",
        {
            "organisation_id": region.id,
            "kind": "base",
            "code": "population",
            "name": "人口基础库",
            "standard": "population",
        },
    )
    as_reviewer("library_add_member", {"library_id": library.id, "source_id": source.id})
    build = as_reviewer("library_build", {"id": library.id})
    agg_operator.session.commit()

    events = events_in(events_file)

    assert [(e["run"]["runId"], e["eventType"]) for e in events] == [
        (load.id, "START"),
        (load.id, "COMPLETE"),
        (build.id, "START"),
        (build.id, "COMPLETE"),
    ]
    for event in events:
        model = as_model(event)
        assert json.loads(Serde.to_json(model))["run"]["runId"] == event["run"]["runId"]
    loaded = events[1]
    assert loaded["job"]["name"] == f"aggregation.load.{source.table_name}"
    assert [(d["namespace"], d["name"]) for d in loaded["inputs"]] == [("file", "people.csv")]
    (output,) = loaded["outputs"]
    assert output["name"] == source.table_name
    assert output["facets"]["version"]["datasetVersion"] == "1"
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == len(CLEAN_ROWS)
    origin = output["facets"]["columnLineage"]["fields"]["name"]["inputFields"]
    assert [(f["namespace"], f["name"], f["field"]) for f in origin] == [
        ("file", "people.csv", "xm")
    ]
    schema = {f["name"]: f["type"] for f in output["facets"]["schema"]["fields"]}
    assert schema["birth_date"] == "date"
    built = events[3]
    (member,) = built["inputs"]
    assert (member["name"], member["facets"]["version"]["datasetVersion"]) == (
        source.table_name,
        "1",
    )
    library_origin = built["outputs"][0]["facets"]["columnLineage"]["fields"]["id_number"]
    assert library_origin["inputFields"][0]["name"] == source.table_name


def test_a_failed_load_emits_fail_with_the_error(
    events_file: Path, as_provider: As, entry_id: str, inbox: Path, run_now: Callable[..., Any]
) -> None:
    location = write_csv(inbox, "bad.csv", [POPULATION_HEADER, "x,y"])
    source = as_provider(
        "source_register",
        {
            "entry_id": entry_id,
            "name": "坏文件",
            "kind": "csv",
            "location": location,
            "columns": population_columns(),
        },
    )
    run = run_now(source.id)

    (start, end) = events_in(events_file)

    assert run.status == "failed"
    assert (start["eventType"], end["eventType"]) == ("START", "FAIL")
    assert run.error_code in end["run"]["facets"]["errorMessage"]["message"]


def test_a_consumer_that_is_down_costs_a_warning_not_the_run(
    agg_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = agg_settings.model_copy(update={"openlineage_url": "http://127.0.0.1:9"})
    lineage = RunLineage(
        run_id="0190f7a8-7b8c-7d4e-9f00-000000000001",
        job_name="aggregation.load.t",
        inputs=[],
        output_namespace="file:///lake",
        output_name="t",
        columns=[],
        transformation="",
    )

    event = emit(settings, lineage, RunState.START)

    assert event is not None and event.eventType == RunState.START
    assert "not sent" in caplog.text


def test_nothing_is_built_when_no_consumer_is_configured(agg_settings: Settings) -> None:
    lineage = RunLineage("0190f7a8-7b8c-7d4e-9f00-000000000002", "j", [], "ns", "t", [], "")
    assert emit(agg_settings, lineage, RunState.START) is None
