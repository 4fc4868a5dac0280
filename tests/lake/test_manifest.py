"""A version's manifest: its Parquet files are exactly that version's rows."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from govdata.lake.checksum import CHECKSUM_ALGORITHM, checksum_python
from govdata.lake.manifest import MANIFEST_FORMAT, file_manifest, write_manifest
from govdata.lake.tables import LakeTable
from tests.lake.factories import PEOPLE_ROWS, PEOPLE_SCHEMA, people, rows_of


def read_listed_files(manifest: dict[str, Any]) -> pa.Table:
    """What a plain Parquet reader gets from the manifest's file list alone.

    Files written by a merge carry ``string_view`` in their embedded Arrow schema,
    files of a plain write ``string``: the same Parquet type, so cast to concatenate.
    """
    parts = [pq.read_table(entry["uri"]).cast(PEOPLE_SCHEMA) for entry in manifest["files"]]
    return pa.concat_tables(parts)


def test_the_files_of_each_version_are_that_version_after_append_overwrite_and_merge(
    table: LakeTable,
) -> None:
    changed = (1, "张三丰", Decimal("7.00"), *PEOPLE_ROWS[0][3:])
    expected = {
        0: PEOPLE_ROWS[:2],
        1: PEOPLE_ROWS,
        2: PEOPLE_ROWS[2:],
        3: [changed, *PEOPLE_ROWS[2:]],
    }
    table.write(people(PEOPLE_ROWS[:2]), mode="overwrite", metadata={})
    table.write(people(PEOPLE_ROWS[2:]), mode="append", metadata={})
    table.write(people(PEOPLE_ROWS[2:]), mode="overwrite", metadata={})
    table.merge(people([changed]), keys=["id"], metadata={})

    manifests = {version: file_manifest(table, version) for version in expected}
    for version, rows in expected.items():
        manifest = manifests[version]
        assert rows_of(read_listed_files(manifest)) == rows
        assert manifest["total_rows"] == len(rows)
        assert manifest["checksum"] == checksum_python([list(row) for row in rows])
        assert sum(entry["rows"] for entry in manifest["files"]) == len(rows)

    files = {version: {e["uri"] for e in m["files"]} for version, m in manifests.items()}
    assert files[0] < files[1]
    assert not files[2] & files[1]
    assert not files[3] & files[1]


def test_a_manifest_describes_table_version_schema_and_commit(table: LakeTable) -> None:
    table.write(people(), mode="overwrite", metadata={"govdata.run_id": "r1"})
    manifest = file_manifest(table, 0)
    assert manifest["format"] == MANIFEST_FORMAT
    assert manifest["table"] == "people"
    assert manifest["table_uri"] == table.uri
    assert manifest["version"] == 0
    assert manifest["metadata"] == {"govdata.run_id": "r1"}
    assert manifest["operation"] == "WRITE"
    assert manifest["checksum_algorithm"] == CHECKSUM_ALGORITHM
    assert [(c["name"], c["delta_type"]) for c in manifest["schema"]] == [
        ("id", "long"),
        ("name", "string"),
        ("income", "decimal(18,2)"),
        ("born", "date"),
        ("registered_at", "timestamp_ntz"),
        ("active", "boolean"),
    ]
    for entry in manifest["files"]:
        assert Path(entry["uri"]).stat().st_size == entry["size"]
        assert entry["uri"].endswith(entry["path"])


def test_a_manifest_without_checksum_still_counts_rows(table: LakeTable) -> None:
    table.write(people(), mode="overwrite", metadata={})
    manifest = file_manifest(table, 0, checksum=False)
    assert manifest["total_rows"] == 4
    assert "checksum" not in manifest


def test_a_written_manifest_is_utf8_json_that_reads_back(table: LakeTable, tmp_path: Path) -> None:
    table.write(people(), mode="overwrite", metadata={"来源": "人口库"})
    manifest = file_manifest(table, 0)
    path = write_manifest(manifest, tmp_path / "out" / "manifest.json")
    assert "人口库" in path.read_text(encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == manifest
    assert [p.name for p in path.parent.iterdir()] == ["manifest.json"]
