"""OpenLineage run events for loads, library builds and bulk deliveries (requirement G5).

Bulk deliveries use the same events (see :mod:`govdata.lineage.delivery_lineage`
for their datasets); service calls emit none: they are summed up in the graph.
Every aggregation run emits a ``START`` event when it begins and a ``COMPLETE``
or ``FAIL`` event when it ends, built with the ``openlineage-python`` client's
models and sent through its transports:

* **job**: namespace ``settings.openlineage_namespace`` (default
  ``govdata.<node_code>``), name ``aggregation.load.<table>`` or
  ``library.build.<table>``;
* **run**: the run's id (a UUID), with an ``errorMessage`` facet on failure;
* **inputs**: a load's source, named by its kind and location (secrets never:
  a sealed connection is named by its kind only); a build's member tables at
  the versions it read (``version`` facet);
* **outputs**: the lake table, namespace the lake's location, with ``schema``,
  ``version`` (the Delta version committed), ``columnLineage`` (each column and
  the source or member columns it came from), ``outputStatistics`` and
  ``dataQualityMetrics`` (rows written; quarantined rows per reason are in the
  run's own facet ``govdata_quarantine``).

Where to: ``openlineage_url`` (HTTP, the events API of Marquez or any
OpenLineage server), ``openlineage_file`` (JSON lines), both, or neither
(nothing is built). Sending happens after the run's transaction has committed;
a consumer that is down costs a logged warning, never the run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from typing import Any

import attr
from openlineage.client.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    RunFacet,
    column_lineage_dataset,
    data_quality_metrics_dataset,
    dataset_version_dataset,
    error_message_run,
    output_statistics_output_dataset,
    schema_dataset,
)
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.transport.transport import Transport

from govdata.settings import Settings

log = logging.getLogger(__name__)

# URNs (valid URIs) rather than web addresses: nodes run on closed networks.
PRODUCER = f"urn:govdata:{package_version('govdata')}"
QUARANTINE_FACET_SCHEMA = "urn:govdata:openlineage:facet:quarantine:1"


@attr.define
class QuarantineRunFacet(RunFacet):
    """Rows a load set aside, in all and per reason code (govdata's own facet)."""

    rowsQuarantined: int  # noqa: N815 (OpenLineage field naming)
    reasons: dict[str, int] = attr.field(factory=dict)

    @staticmethod
    def _get_schema() -> str:
        return QUARANTINE_FACET_SCHEMA


@dataclass(frozen=True)
class ColumnOrigin:
    """One output column and the input columns (namespace, dataset, column) it is made from."""

    column: str
    column_type: str
    inputs: Sequence[tuple[str, str, str]]
    description: str = ""
    # IDENTITY (copied as is) or MASKED (a delivery's column masked as granted).
    transformation_type: str = "IDENTITY"


@dataclass(frozen=True)
class InputRef:
    namespace: str
    name: str
    version: int | None = None


@dataclass(frozen=True)
class RunLineage:
    """What one run read and wrote, in the terms OpenLineage events need."""

    run_id: str
    job_name: str
    inputs: Sequence[InputRef]
    output_namespace: str
    output_name: str
    columns: Sequence[ColumnOrigin]
    transformation: str
    # Run facets of the run's own (a delivery's grant and target), on every event.
    run_facets: Mapping[str, RunFacet] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOutcome:
    version: int | None = None
    rows_written: int = 0
    rows_quarantined: int = 0
    reasons: dict[str, int] | None = None
    error_code: str | None = None
    error_message: str | None = None


def job_namespace(settings: Settings) -> str:
    return settings.openlineage_namespace or f"govdata.{settings.node_code}"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _inputs(lineage: RunLineage) -> list[InputDataset]:
    inputs = []
    for ref in lineage.inputs:
        facets: dict[str, Any] = {}
        if ref.version is not None:
            facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
                datasetVersion=str(ref.version)
            )
        inputs.append(InputDataset(namespace=ref.namespace, name=ref.name, facets=facets))
    return inputs


def _column_lineage(lineage: RunLineage) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    fields = {
        origin.column: column_lineage_dataset.Fields(
            inputFields=[
                column_lineage_dataset.InputField(namespace=namespace, name=name, field=field)
                for namespace, name, field in origin.inputs
            ],
            transformationDescription=lineage.transformation,
            transformationType=origin.transformation_type,
        )
        for origin in lineage.columns
        if origin.inputs
    }
    return column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields)


def _output(lineage: RunLineage, outcome: RunOutcome | None) -> OutputDataset:
    facets: dict[str, Any] = {
        "schema": schema_dataset.SchemaDatasetFacet(
            fields=[
                schema_dataset.SchemaDatasetFacetFields(
                    name=origin.column,
                    type=origin.column_type,
                    description=origin.description or None,
                )
                for origin in lineage.columns
            ]
        ),
        "columnLineage": _column_lineage(lineage),
    }
    output_facets: dict[str, Any] = {}
    if outcome is not None and outcome.version is not None:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=str(outcome.version)
        )
        output_facets["outputStatistics"] = (
            output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=outcome.rows_written
            )
        )
        facets["dataQualityMetrics"] = data_quality_metrics_dataset.DataQualityMetricsDatasetFacet(
            rowCount=outcome.rows_written, columnMetrics={}
        )
    return OutputDataset(
        namespace=lineage.output_namespace,
        name=lineage.output_name,
        facets=facets,
        outputFacets=output_facets,
    )


def run_event(
    settings: Settings, lineage: RunLineage, state: RunState, outcome: RunOutcome | None = None
) -> RunEvent:
    """The OpenLineage event of one state of one run."""
    run_facets: dict[str, Any] = dict(lineage.run_facets)
    if outcome is not None and outcome.error_message:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=f"{outcome.error_code}: {outcome.error_message}",
            programmingLanguage="python",
        )
    if outcome is not None and outcome.rows_quarantined:
        run_facets["govdata_quarantine"] = QuarantineRunFacet(
            rowsQuarantined=outcome.rows_quarantined, reasons=dict(outcome.reasons or {})
        )
    return RunEvent(
        eventType=state,
        eventTime=_now(),
        producer=PRODUCER,
        run=Run(runId=lineage.run_id, facets=run_facets),
        job=Job(namespace=job_namespace(settings), name=lineage.job_name),
        inputs=_inputs(lineage),
        outputs=[_output(lineage, outcome)],
    )


def transports(settings: Settings) -> list[Transport]:
    """The consumers the settings name (HTTP, file), each its own transport."""
    found: list[Transport] = []
    if settings.openlineage_url:
        found.append(HttpTransport(HttpConfig(url=settings.openlineage_url, timeout=5.0)))
    if settings.openlineage_file:
        path = str(settings.openlineage_file)
        found.append(FileTransport(FileConfig(log_file_path=path, append=True)))
    return found


def emit(
    settings: Settings, lineage: RunLineage, state: RunState, outcome: RunOutcome | None = None
) -> RunEvent | None:
    """Send one run event where the settings say; None when they name no consumer."""
    consumers = transports(settings)
    if not consumers:
        return None
    event = run_event(settings, lineage, state, outcome)
    for transport in consumers:
        try:
            OpenLineageClient(transport=transport).emit(event)
        except Exception:  # a lineage consumer that is down must not fail a load
            log.warning(
                "OpenLineage event for run %s not sent to %s",
                lineage.run_id,
                type(transport).__name__,
                exc_info=True,
            )
    return event
