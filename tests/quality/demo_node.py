"""A node holding the whole demo: region, catalog, the population library built from
its two sources, and the library's quality rules with one run (as ``govdata demo``)."""

from __future__ import annotations

from pathlib import Path

from govdata.aggregation.demo import load_demo_aggregation, queue_demo_library_build
from govdata.aggregation.runner import execute_run
from govdata.catalog.demo import load_demo_catalog
from govdata.cli_support import as_operator, prepare_node
from govdata.db import Database
from govdata.demo import load_demo
from govdata.quality.demo import load_demo_quality
from govdata.services import build_services
from govdata.settings import Settings


def demo_node(data_dir: Path) -> tuple[Settings, Database, dict[str, object]]:
    """Settings and database of a node with the demo loaded; the quality run's summary."""
    settings = Settings(data_dir=data_dir, database_url=None)
    db = prepare_node(settings)
    as_operator(settings, db, load_demo)
    as_operator(settings, db, load_demo_catalog)
    services = build_services(settings)
    services.jobs.mode = "none"
    registered = as_operator(settings, db, load_demo_aggregation, services=services)
    for run_id in registered["runs"]:
        execute_run(run_id, settings, db, services)
    build = as_operator(settings, db, queue_demo_library_build, services=services)
    assert execute_run(build, settings, db, services).status == "succeeded"
    checked: dict[str, object] = as_operator(settings, db, load_demo_quality, services=services)
    return settings, db, checked
