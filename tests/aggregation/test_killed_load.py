"""A load process killed half-way leaves the previous version exactly as it was (A3)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.population_data import generate
from deltalake import DeltaTable
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.aggregation.demo import CSV_NAME
from govdata.aggregation.models import Run, Source
from govdata.aggregation.runner import execute_run
from govdata.cli_support import as_operator
from govdata.db import Database, make_engine
from govdata.services import build_services
from govdata.settings import Settings
from tests.conftest import Invoke


def _settings(env: dict[str, str | None]) -> Settings:
    return Settings(
        data_dir=Path(str(env["GOVDATA_DATA_DIR"])),
        database_url=env["GOVDATA_DATABASE_URL"],
        job_runner="none",
        scheduler_enabled=False,
    )


def _run_row(database_file: Path, run_id: str) -> Run:
    engine = make_engine(f"sqlite:///{database_file}")
    try:
        with Session(engine) as session:
            run = session.get(Run, run_id)
            assert run is not None
            session.expunge(run)
            return run
    finally:
        engine.dispose()


def test_killing_a_load_mid_write_keeps_the_previous_version(
    govdata: Invoke, cli_env: dict[str, str | None], database_file: Path
) -> None:
    assert govdata("demo").exit_code == 0
    settings = _settings(cli_env)
    db = Database(make_engine(settings.effective_database_url))
    services = build_services(settings)
    with db.transaction() as session:
        source = session.scalars(select(Source).where(Source.location == CSV_NAME)).one()
        source_id, table_name = source.id, source.table_name
    table_uri = services.lake.table_uri(table_name)
    before = DeltaTable(table_uri)
    version_before, rows_before = before.version(), before.to_pyarrow_dataset().count_rows()
    generate(settings.inbox_dir / CSV_NAME, 800_000, encoding="gbk", dirty=0.02, seed=3)

    def queue(_ctx: Any, run: Any) -> str:
        return str(run("run_start", {"source_id": source_id}).id)

    run_id = as_operator(settings, db, queue, services=services)
    env = {k: v for k, v in {**os.environ, **cli_env}.items() if v is not None}
    process = subprocess.Popen(  # noqa: S603 (our own module)
        [sys.executable, "-m", "govdata", "aggregation", "execute", run_id],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while _run_row(database_file, run_id).rows_read == 0:
        assert process.poll() is None, "the load finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    after = DeltaTable(table_uri)
    assert after.version() == version_before
    assert after.to_pyarrow_dataset().count_rows() == rows_before
    killed = as_operator(settings, db, lambda _c, run: run("run_get", {"id": run_id}))
    assert (killed.status, killed.error_code) == ("interrupted", "run_interrupted")

    retried = as_operator(settings, db, lambda _c, run: run("run_retry", {"id": run_id}))
    finished = execute_run(retried.id, settings, db, services)
    assert finished.status == "succeeded", finished.error_message
    assert finished.version == version_before + 1
    assert DeltaTable(table_uri).to_pyarrow_dataset().count_rows() == finished.rows_written
    db.dispose()
