"""A lake table: versioned writes, merge, history, time travel and its Delta properties."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from govdata.errors import Conflict, InvalidInput, NotFound
from govdata.lake.location import LocalLocation
from govdata.lake.tables import RETENTION_DAYS, LakeTable
from tests.lake.factories import PEOPLE_ROWS, PEOPLE_SCHEMA, people, rows_of


def log_entries(table: LakeTable) -> list[dict[str, Any]]:
    """Every action in the table's ``_delta_log`` JSON commits, in order."""
    entries = []
    for commit in sorted(Path(table.uri, "_delta_log").glob("*.json")):
        entries += [json.loads(line) for line in commit.read_text().splitlines() if line]
    return entries


# -- versions --------------------------------------------------------------------------


def test_a_new_table_does_not_exist_and_has_no_version(table: LakeTable) -> None:
    assert not table.exists()
    assert table.version() is None


def test_the_first_write_creates_version_0(table: LakeTable) -> None:
    assert table.write(people(), mode="overwrite", metadata={}) == 0
    assert table.exists()
    assert table.version() == 0


def test_append_and_overwrite_make_versions_1_and_2_and_every_version_reads_again(
    table: LakeTable,
) -> None:
    first, second = PEOPLE_ROWS[:2], PEOPLE_ROWS[2:]
    assert table.write(people(first), mode="overwrite", metadata={}) == 0
    assert table.write(people(second), mode="append", metadata={}) == 1
    assert table.write(people(second), mode="overwrite", metadata={}) == 2

    assert rows_of(table.dataset(0).to_table()) == first
    assert rows_of(table.dataset(1).to_table()) == PEOPLE_ROWS
    assert rows_of(table.dataset(2).to_table()) == second
    assert [table.count(v) for v in (0, 1, 2)] == [2, 4, 2]
    assert table.count() == 2


def test_a_record_batch_reader_is_streamed_into_one_version(table: LakeTable) -> None:
    batches = (
        people([(i, f"人{i}", None, None, None, i % 2 == 0)]).to_batches()[0] for i in range(50)
    )
    reader = pa.RecordBatchReader.from_batches(PEOPLE_SCHEMA, batches)
    assert table.write(reader, mode="overwrite", metadata={}) == 0
    assert table.count(0) == 50
    names = table.dataset(0).to_table().column("name").to_pylist()
    assert sorted(names) == sorted(f"人{i}" for i in range(50))


def test_an_empty_write_still_makes_a_version(table: LakeTable) -> None:
    table.write(people(), mode="overwrite", metadata={})
    assert table.write(people([]), mode="overwrite", metadata={}) == 1
    assert table.count(1) == 0
    assert table.file_uris(1) == []


def test_a_version_that_does_not_exist_is_not_found(table: LakeTable) -> None:
    table.write(people(), mode="overwrite", metadata={})
    for version in (1, 99, -1):
        with pytest.raises(NotFound) as raised:
            table.dataset(version)
        assert raised.value.error_code == "lake_version_not_found"
        assert raised.value.message == "数据版本不存在"
    with pytest.raises(NotFound):
        table.version_info(5)


def test_a_table_that_does_not_exist_is_not_found(table: LakeTable) -> None:
    for read in (table.schema, table.dataset, table.count, table.history, table.properties):
        with pytest.raises(NotFound) as raised:
            read()
        assert raised.value.error_code == "lake_table_not_found"


# -- commit metadata and history -------------------------------------------------------


def test_commit_metadata_round_trips_through_history(table: LakeTable) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    table.write(people(), mode="overwrite", metadata={"govdata.run_id": "r1", "来源": "人口库"})
    table.write(people(), mode="append", metadata={"govdata.run_id": "r2"})
    history = table.history()
    assert [info.version for info in history] == [1, 0]
    assert history[1].metadata == {"govdata.run_id": "r1", "来源": "人口库"}
    assert history[0].metadata == {"govdata.run_id": "r2"}
    assert history[0].operation == "WRITE"
    assert history[0].timestamp.tzinfo is UTC
    assert before <= history[1].timestamp <= datetime.now(UTC)
    assert table.history(limit=1) == history[:1]
    assert table.version_info(0) == history[1]


def test_delta_s_own_commit_keys_cannot_be_used_as_metadata(table: LakeTable) -> None:
    with pytest.raises(ValueError, match="reserved"):
        table.write(people(), mode="overwrite", metadata={"operation": "mine"})
    assert not table.exists()


# -- the table's Delta properties ------------------------------------------------------


def test_a_created_table_has_the_required_properties_in_its_log(table: LakeTable) -> None:
    table.write(people(), mode="overwrite", metadata={})
    table.write(people(), mode="append", metadata={})
    entries = log_entries(table)
    metadata = [entry["metaData"] for entry in entries if "metaData" in entry]
    protocols = [entry["protocol"] for entry in entries if "protocol" in entry]
    assert metadata
    assert protocols
    for meta in metadata:
        assert meta["partitionColumns"] == []
        configuration = meta["configuration"]
        assert configuration["delta.logRetentionDuration"] == f"interval {RETENTION_DAYS} days"
        assert configuration["delta.deletedFileRetentionDuration"] == (
            f"interval {RETENTION_DAYS} days"
        )
        assert configuration["delta.enableDeletionVectors"] == "false"
        assert configuration["delta.columnMapping.mode"] == "none"
        assert int(configuration["delta.checkpointInterval"]) > 0
    for protocol in protocols:
        features = set(protocol.get("readerFeatures", [])) | set(protocol.get("writerFeatures", []))
        assert "deletionVectors" not in features
        assert "columnMapping" not in features
    assert RETENTION_DAYS >= 3650
    assert table.properties()["delta.enableDeletionVectors"] == "false"


def test_properties_survive_a_schema_overwrite_and_a_merge(table: LakeTable) -> None:
    table.write(people(), mode="overwrite", metadata={})
    table.write(
        people().append_column("note", pa.array(["x"] * 4)),
        mode="overwrite",
        metadata={},
        evolve_schema=True,
    )
    table.merge(people().append_column("note", pa.array(["y"] * 4)), keys=["id"], metadata={})
    last = [entry for entry in log_entries(table) if "metaData" in entry][-1]["metaData"]
    assert last["configuration"]["delta.enableDeletionVectors"] == "false"
    assert last["partitionColumns"] == []
    assert table.properties()["delta.columnMapping.mode"] == "none"


def test_a_table_with_deletion_vectors_is_refused(lake: LocalLocation) -> None:
    foreign = LakeTable(lake, "foreign")
    write_deltalake(foreign.uri, people(), configuration={"delta.enableDeletionVectors": "true"})
    with pytest.raises(Conflict) as raised:
        foreign.write(people(), mode="append", metadata={})
    assert raised.value.error_code == "lake_table_incompatible"
    assert DeltaTable(foreign.uri).version() == 0


# -- schema ----------------------------------------------------------------------------


def test_writing_another_schema_without_evolve_is_refused_and_changes_nothing(
    table: LakeTable,
) -> None:
    table.write(people(), mode="overwrite", metadata={})
    wider = people().append_column("note", pa.array(["x"] * 4))
    for mode in ("overwrite", "append"):
        with pytest.raises(Conflict) as raised:
            table.write(wider, mode=mode, metadata={})
        assert raised.value.error_code == "lake_schema_mismatch"
        assert "note" in raised.value.message
    retyped = people().set_column(0, "id", pa.array(["1", "2", "3", "4"]))
    with pytest.raises(Conflict):
        table.write(retyped, mode="overwrite", metadata={})
    assert table.version() == 0


def test_evolve_schema_adds_a_column_and_old_versions_keep_their_schema(
    table: LakeTable,
) -> None:
    table.write(people(), mode="overwrite", metadata={})
    wider = people(PEOPLE_ROWS[:1]).append_column("note", pa.array(["新列"]))
    assert table.write(wider, mode="append", metadata={}, evolve_schema=True) == 1

    assert table.schema(0) == PEOPLE_SCHEMA
    assert table.schema(1).names == [*PEOPLE_SCHEMA.names, "note"]
    assert table.dataset(0).to_table().schema.names == PEOPLE_SCHEMA.names
    notes = table.dataset(1).to_table().column("note").to_pylist()
    assert [note for note in notes if note is not None] == ["新列"]
    assert len(notes) == 5


def test_evolve_schema_on_overwrite_replaces_the_schema(table: LakeTable) -> None:
    table.write(people(), mode="overwrite", metadata={})
    narrower = people().select(["id", "name"])
    table.write(narrower, mode="overwrite", metadata={}, evolve_schema=True)
    assert table.schema().names == ["id", "name"]
    assert table.schema(0) == PEOPLE_SCHEMA


# -- merge -----------------------------------------------------------------------------


def test_merge_counts_inserted_updated_and_unchanged_rows(table: LakeTable) -> None:
    table.write(people(PEOPLE_ROWS[:3]), mode="overwrite", metadata={})
    changed = (2, "李四", Decimal("99.00"), *PEOPLE_ROWS[1][3:])
    source = people([PEOPLE_ROWS[0], changed, PEOPLE_ROWS[3]])
    result = table.merge(source, keys=["id"], metadata={"govdata.run_id": "m1"})

    assert (result.inserted, result.updated, result.deleted, result.unchanged) == (1, 1, 0, 1)
    assert result.version == 1
    assert rows_of(table.dataset(1).to_table()) == [
        PEOPLE_ROWS[0],
        changed,
        PEOPLE_ROWS[2],
        PEOPLE_ROWS[3],
    ]
    assert table.history(limit=1)[0].metadata == {"govdata.run_id": "m1"}
    assert table.history(limit=1)[0].operation == "MERGE"


def test_a_change_from_or_to_null_counts_as_a_change(table: LakeTable) -> None:
    table.write(people(PEOPLE_ROWS[:3]), mode="overwrite", metadata={})
    now_null = (1, None, *PEOPLE_ROWS[0][2:])
    now_set = (3, "王五", None, None, None, None)
    result = table.merge(people([now_null, now_set]), keys=["id"], metadata={})
    assert (result.updated, result.unchanged) == (2, 0)


def test_merge_with_delete_missing_removes_rows_absent_from_the_snapshot(
    table: LakeTable,
) -> None:
    table.write(people(), mode="overwrite", metadata={})
    result = table.merge(people(PEOPLE_ROWS[:2]), keys=["id"], metadata={}, delete_missing=True)
    assert (result.inserted, result.updated, result.deleted, result.unchanged) == (0, 0, 2, 2)
    assert rows_of(table.dataset().to_table()) == PEOPLE_ROWS[:2]
    assert table.count(0) == 4


def test_a_merge_that_changes_nothing_makes_no_version(table: LakeTable) -> None:
    table.write(people(), mode="overwrite", metadata={})
    result = table.merge(people(), keys=["id"], metadata={}, delete_missing=True)
    assert (result.version, result.unchanged) == (0, 4)
    assert table.version() == 0


def test_merge_without_changed_only_rewrites_every_matched_row(table: LakeTable) -> None:
    table.write(people(), mode="overwrite", metadata={})
    result = table.merge(people(), keys=["id"], metadata={}, changed_only=False)
    assert (result.updated, result.unchanged, result.version) == (4, 0, 1)


def test_merge_into_a_missing_table_creates_it(table: LakeTable) -> None:
    result = table.merge(people(), keys=["id"], metadata={"govdata.run_id": "first"})
    assert (result.version, result.inserted) == (0, 4)
    assert table.properties()["delta.enableDeletionVectors"] == "false"


def test_merge_with_a_repeated_key_is_refused_and_changes_nothing(table: LakeTable) -> None:
    table.write(people(PEOPLE_ROWS[:2]), mode="overwrite", metadata={})
    new_twice = people([PEOPLE_ROWS[3], PEOPLE_ROWS[3]])
    with pytest.raises(InvalidInput) as raised:
        table.merge(new_twice, keys=["id"], metadata={})
    assert raised.value.error_code == "lake_duplicate_keys"
    assert table.version() == 0


def test_a_streamed_merge_that_changes_one_row_twice_is_refused_by_delta(
    table: LakeTable,
) -> None:
    table.write(people(PEOPLE_ROWS[:2]), mode="overwrite", metadata={})
    changed = (1, "改名", *PEOPLE_ROWS[0][2:])
    reader = people([changed, changed]).to_reader()
    with pytest.raises(InvalidInput) as raised:
        table.merge(reader, keys=["id"], metadata={})
    assert raised.value.error_code == "lake_duplicate_keys"
    assert table.version() == 0


def test_merge_with_a_null_key_is_refused(table: LakeTable) -> None:
    table.write(people(PEOPLE_ROWS[:2]), mode="overwrite", metadata={})
    with pytest.raises(InvalidInput) as raised:
        table.merge(people([(None, *PEOPLE_ROWS[0][1:])]), keys=["id"], metadata={})
    assert raised.value.error_code == "lake_null_key"


def test_merge_on_a_missing_key_column_is_invalid(table: LakeTable) -> None:
    table.write(people(), mode="overwrite", metadata={})
    with pytest.raises(InvalidInput) as raised:
        table.merge(people(), keys=["code"], metadata={})
    assert raised.value.error_code == "lake_key_missing"


def test_merge_with_evolve_schema_adds_a_column(table: LakeTable) -> None:
    table.write(people(), mode="overwrite", metadata={})
    wider = people(PEOPLE_ROWS[:2]).append_column("note", pa.array([None, "备注"]))
    with pytest.raises(Conflict):
        table.merge(wider, keys=["id"], metadata={})
    result = table.merge(wider, keys=["id"], metadata={}, evolve_schema=True)
    # A new column that stays null is no change; one that gets a value is.
    assert (result.updated, result.unchanged) == (1, 1)
    notes = dict(
        zip(*table.dataset(1).to_table().select(["id", "note"]).to_pydict().values(), strict=True)
    )
    assert notes == {1: None, 2: "备注", 3: None, 4: None}
    assert table.schema(0) == PEOPLE_SCHEMA


def test_merge_keys_with_awkward_names_are_quoted(lake: LocalLocation) -> None:
    odd = LakeTable(lake, "odd")
    data = pa.table({"select": [1, 2], "Value": ["a", "b"]})
    odd.write(data, mode="overwrite", metadata={})
    result = odd.merge(
        pa.table({"select": [2, 3], "Value": ["B", "c"]}), keys=["select"], metadata={}
    )
    assert (result.inserted, result.updated) == (1, 1)


# -- conflicts -------------------------------------------------------------------------


def test_losing_a_commit_race_is_a_conflict_and_the_winner_s_version_stands(
    table: LakeTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    table.write(people(), mode="overwrite", metadata={})

    def a_rival_commits_first(target: Any, data: Any, **options: Any) -> None:
        write_deltalake(table.uri, people(PEOPLE_ROWS[:1]), mode="overwrite")
        write_deltalake(target, data, **options)

    monkeypatch.setattr("govdata.lake.tables.write_deltalake", a_rival_commits_first)
    with pytest.raises(Conflict) as raised:
        table.write(people(PEOPLE_ROWS[1:]), mode="overwrite", metadata={})
    assert raised.value.error_code == "lake_write_conflict"
    assert table.version() == 1
    assert rows_of(table.dataset().to_table()) == PEOPLE_ROWS[:1]


# -- files and maintenance -------------------------------------------------------------


def test_file_uris_name_the_files_of_that_version_only(table: LakeTable) -> None:
    table.write(people(PEOPLE_ROWS[:2]), mode="overwrite", metadata={})
    table.write(people(PEOPLE_ROWS[2:]), mode="append", metadata={})
    first, second = table.file_uris(0), table.file_uris(1)
    assert len(first) == 1
    assert set(first) < set(second)
    assert all(Path(uri).is_file() for uri in second)
    snapshot = table.snapshot(1)
    assert sorted(f.uri for f in snapshot.files) == sorted(second)
    assert sorted(f.rows for f in snapshot.files if f.rows is not None) == [2, 2]


def test_vacuum_keeps_every_version_within_the_retention(table: LakeTable) -> None:
    table.write(people(), mode="overwrite", metadata={})
    table.write(people(PEOPLE_ROWS[:1]), mode="overwrite", metadata={})
    Path(table.uri, "part-orphan.parquet").write_bytes(b"left by a killed writer")
    assert table.vacuum() == []
    assert table.vacuum(dry_run=False) == []
    assert rows_of(table.dataset(0).to_table()) == PEOPLE_ROWS


def test_large_tables_are_written_in_bounded_batches(table: LakeTable) -> None:
    def batches() -> Iterator[pa.RecordBatch]:
        for start in range(0, 200_000, 50_000):
            ids = pa.array(range(start, start + 50_000), pa.int64())
            yield pa.record_batch(
                [
                    ids,
                    pa.nulls(50_000, pa.string()),
                    pa.nulls(50_000, PEOPLE_SCHEMA.field(2).type),
                    pa.nulls(50_000, pa.date32()),
                    pa.nulls(50_000, pa.timestamp("us")),
                    pa.nulls(50_000, pa.bool_()),
                ],
                schema=PEOPLE_SCHEMA,
            )

    reader = pa.RecordBatchReader.from_batches(PEOPLE_SCHEMA, batches())
    assert table.write(reader, mode="overwrite", metadata={}) == 0
    assert table.count() == 200_000
