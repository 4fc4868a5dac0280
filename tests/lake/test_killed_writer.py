"""A writer killed in the middle of a write leaves the previous version intact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from govdata.lake.location import LocalLocation
from govdata.lake.locks import writer_lock
from govdata.lake.tables import LakeTable
from tests.lake.factories import PEOPLE_ROWS, people, rows_of

SLOW_WRITER = Path(__file__).with_name("slow_writer.py")
REPOSITORY = Path(__file__).resolve().parents[2]


def start_writer(lake: LocalLocation, ready: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 (our own interpreter and helper)
        [sys.executable, str(SLOW_WRITER), str(lake.root), "people", str(ready)],
        cwd=REPOSITORY,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
    )


def wait_until_ready(writer: subprocess.Popen[bytes], ready: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not ready.exists():
        assert writer.poll() is None, "the writer ended before it could be killed"
        assert time.monotonic() < deadline, "the writer never wrote a file"
        time.sleep(0.02)


def test_a_writer_killed_before_its_commit_leaves_the_previous_version_intact(
    lake: LocalLocation, table: LakeTable, tmp_path: Path
) -> None:
    table.write(people(), mode="overwrite", metadata={"govdata.run_id": "before"})
    committed = {Path(uri) for uri in table.file_uris()}
    ready = tmp_path / "ready"

    writer = start_writer(lake, ready)
    try:
        wait_until_ready(writer, ready)
        # The unfinished write's Parquet files are on disk, next to the table's.
        assert set(Path(table.uri).glob("*.parquet")) - committed
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL

    assert table.version() == 0
    assert rows_of(table.dataset().to_table()) == PEOPLE_ROWS
    assert {Path(uri) for uri in table.file_uris()} == committed
    assert [info.metadata for info in table.history()] == [{"govdata.run_id": "before"}]

    # The kernel released the dead writer's lock, and the next write succeeds.
    with writer_lock(lake, "people"):
        assert table.write(people(PEOPLE_ROWS[:1]), mode="overwrite", metadata={}) == 1
    assert rows_of(table.dataset().to_table()) == PEOPLE_ROWS[:1]
    assert rows_of(table.dataset(0).to_table()) == PEOPLE_ROWS
