"""A provider registers sources, loads them into versioned Delta tables, and reads them back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from govdata.errors import Conflict, InvalidInput
from tests.aggregation.conftest import (
    CLEAN_ROWS,
    POPULATION_HEADER,
    Run,
    population_columns,
    write_csv,
)


def _register(as_provider: Run, entry_id: str, location: str, **extra: Any) -> Any:
    data = {
        "entry_id": entry_id,
        "name": "户籍人口（GBK 文件）",
        "kind": "csv",
        "location": location,
        "columns": population_columns(),
    } | extra
    return as_provider("source_register", data)


def test_a_gbk_file_loads_as_version_one_with_bad_rows_quarantined(
    as_provider: Run, entry_id: str, inbox: Path, run_now: Callable[..., Any]
) -> None:
    bad_id = "150102199003071231,赵六,1,1990-03-07,150102,某地,13800000000,2024-01-04 00:00:00"
    ragged = (
        "150102199003071237,多一列,1,1990-03-07,150102,某地,13800000000,2024-01-04 00:00:00,多余"
    )
    name = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS, bad_id, ragged])
    source = _register(as_provider, entry_id, name, max_bad_ratio=0.5)

    run = run_now(source.id)

    assert run.status == "succeeded", run.error_message
    assert (run.rows_read, run.rows_written, run.rows_quarantined) == (5, 3, 2)
    assert run.version == 1
    assert run.reason_counts == {"id_number_check_digit": 1, "ragged_row": 1}
    page = as_provider("quarantine_page", {"run_id": run.id})
    assert [row["_gd_row"] for row in page.rows] == [5, 6]
    assert "公民身份号码校验码错误" in page.rows[0]["_gd_reasons"]
    assert page.rows[0]["name"] == "赵六"
    assert page.rows[1]["_gd_raw"].endswith("多余")
    rows = as_provider("data_read", {"source_id": source.id, "where": {"name": "李四"}})
    assert rows.version == 1
    assert rows.total == 1
    assert rows.rows[0]["birth_date"] == "1990-03-07"


def test_every_load_is_a_new_version_and_old_versions_stay_readable(
    as_provider: Run, entry_id: str, inbox: Path, run_now: Callable[..., Any]
) -> None:
    name = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS[:1]])
    source = _register(as_provider, entry_id, name)
    first = run_now(source.id)
    write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    second = run_now(source.id)

    assert (first.version, second.version) == (1, 2)
    old = as_provider("data_read", {"source_id": source.id, "version": 1})
    new = as_provider("data_read", {"source_id": source.id})
    assert (old.total, new.total) == (1, 3)
    versions = as_provider("version_list", {"id": source.id}).versions
    by_number = {v.version: v.metadata for v in versions}
    assert by_number[1]["govdata.run_id"] == first.id
    assert by_number[2]["govdata.rows_written"] == "3"
    assert by_number[2]["govdata.checksum"] == second.checksum


def test_too_many_bad_rows_fail_the_run_and_keep_the_previous_version(
    as_provider: Run, entry_id: str, inbox: Path, run_now: Callable[..., Any]
) -> None:
    name = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    source = _register(as_provider, entry_id, name, max_bad_ratio=0.1)
    assert run_now(source.id).version == 1
    broken = [row.replace("-", "/", 1).replace(",1", ",x", 1) for row in CLEAN_ROWS]
    write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS[:1], *[r[:10] for r in broken]])

    failed = run_now(source.id)

    assert failed.status == "failed"
    assert failed.error_code == "too_many_bad_rows"
    assert "超过允许的" in failed.error_message
    assert as_provider("data_read", {"source_id": source.id}).total == 3
    assert as_provider("quarantine_page", {"run_id": failed.id}).total == 3
    retried = as_provider("run_retry", {"id": failed.id})
    assert retried.retry_of == failed.id


def test_schema_drift_fails_by_default_and_evolves_with_a_recorded_change(
    as_provider: Run, entry_id: str, inbox: Path, run_now: Callable[..., Any]
) -> None:
    name = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    source = _register(as_provider, entry_id, name)
    run_now(source.id)
    write_csv(
        inbox, "people.csv", [POPULATION_HEADER + ",民族", *[row + ",汉族" for row in CLEAN_ROWS]]
    )
    refused = run_now(source.id)
    assert (refused.status, refused.error_code) == ("failed", "schema_drift")
    assert "民族" in refused.error_message

    as_provider("source_update", {"id": source.id, "drift_policy": "evolve"})
    evolved = run_now(source.id)

    assert evolved.status == "succeeded", evolved.error_message
    changes = as_provider("source_schema_changes", {"id": source.id})
    assert [(c.change, c.column, c.applied) for c in changes] == [("added", "民族", True)]
    latest = as_provider("data_read", {"source_id": source.id, "limit": 1})
    assert "col" in latest.columns[-1] and latest.rows[0][latest.columns[-1]] == "汉族"
    assert "col" not in " ".join(
        as_provider("data_read", {"source_id": source.id, "version": 1}).columns
    )


def test_a_source_has_one_writer_at_a_time(as_provider: Run, entry_id: str, inbox: Path) -> None:
    name = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    source = _register(as_provider, entry_id, name)
    as_provider("run_start", {"source_id": source.id})
    with pytest.raises(Conflict) as refused:
        as_provider("run_start", {"source_id": source.id})
    assert refused.value.error_code == "run_in_progress"


def test_file_locations_cannot_leave_the_inbox(as_provider: Run, entry_id: str) -> None:
    with pytest.raises(InvalidInput):
        _register(as_provider, entry_id, "../keys/master.key")


def test_object_storage_loads_stage_locally_and_commit_once(tmp_path: Path) -> None:
    """The path a lake on S3 takes: files staged on local disk, one Delta write."""
    from govdata.aggregation.columns import ColumnSpec  # noqa: PLC0415
    from govdata.aggregation.loading import Loader, LoadPlan  # noqa: PLC0415
    from govdata.aggregation.sources.base import SourceSpec  # noqa: PLC0415
    from govdata.aggregation.sources.registry import open_reader  # noqa: PLC0415
    from govdata.lake.location import LocalLocation  # noqa: PLC0415
    from govdata.lake.tables import LakeTable  # noqa: PLC0415

    name = write_csv(tmp_path, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    plan = LoadPlan(
        table_uri=str(tmp_path / "lake" / "people"),
        columns=[ColumnSpec.model_validate(c) for c in population_columns()],
        strategy="full",
        run_id="remote-run",
        source_id="remote-source",
        source_description="csv:people.csv",
        quarantine_dir=tmp_path / "quarantine",
        write_in_place=False,
    )
    for _ in range(2):
        with open_reader(SourceSpec(kind="csv", location=str(tmp_path / name))) as reader:
            outcome = Loader(plan, reader).run()
    table = LakeTable(LocalLocation(tmp_path / "lake"), "people")
    assert (outcome.version, table.version(), table.count()) == (2, 2, 3)
    assert table.version_info(2).metadata["govdata.checksum"] == outcome.checksum
    assert not list((tmp_path / "lake" / "people").glob("_gd_staging"))
