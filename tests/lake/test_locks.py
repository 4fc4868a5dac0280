"""One writer per table: the writer lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from govdata.errors import Conflict
from govdata.lake.location import LocalLocation, S3Location
from govdata.lake.locks import writer_lock

# A second process tries the same lock and reports what happened on stdout.
TRY_LOCK = """
import sys
from pathlib import Path
from govdata.errors import Conflict
from govdata.lake.location import LocalLocation
from govdata.lake.locks import writer_lock
try:
    with writer_lock(LocalLocation(Path(sys.argv[1])), sys.argv[2]):
        print("acquired")
except Conflict as error:
    print(error.error_code)
"""


def try_lock_in_another_process(root: Path, name: str) -> str:
    result = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", TRY_LOCK, str(root), name],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip()


def test_a_second_writer_in_the_same_process_is_refused(lake: LocalLocation) -> None:
    with (
        writer_lock(lake, "people"),
        pytest.raises(Conflict) as raised,
        writer_lock(lake, "people"),
    ):
        pass  # pragma: no cover (never reached)
    assert raised.value.error_code == "lake_table_busy"
    assert raised.value.message == "该数据表正由另一个任务写入"


def test_a_second_writer_in_another_process_is_refused(lake: LocalLocation) -> None:
    with writer_lock(lake, "people"):
        assert try_lock_in_another_process(lake.root, "people") == "lake_table_busy"


def test_the_lock_is_free_again_once_released(lake: LocalLocation) -> None:
    with writer_lock(lake, "people"):
        pass
    assert try_lock_in_another_process(lake.root, "people") == "acquired"
    with writer_lock(lake, "people"):
        pass


def test_writers_of_different_tables_do_not_exclude_each_other(lake: LocalLocation) -> None:
    with writer_lock(lake, "people"), writer_lock(lake, "companies"):
        assert try_lock_in_another_process(lake.root, "codes") == "acquired"


def test_the_lock_file_sits_under_the_root_outside_any_table(lake: LocalLocation) -> None:
    with writer_lock(lake, "people"):
        assert (lake.root / "_locks" / "people.lock").is_file()


def test_on_s3_the_lock_is_a_no_op() -> None:
    location = S3Location(bucket="lake")
    with writer_lock(location, "people"), writer_lock(location, "people"):
        pass
