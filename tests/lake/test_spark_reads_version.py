"""Spark reads a past version from its manifest alone, and gets exactly that version.

Needs pyspark (``pip install --require-hashes -r requirements/spark.txt``) and a
Java 17 runtime; skipped when pyspark is not importable.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from govdata.lake.checksum import hexdigest_of, row_checksum_python
from govdata.lake.manifest import file_manifest
from govdata.lake.tables import LakeTable
from tests.lake.factories import PEOPLE_ROWS, naive, people

pytestmark = pytest.mark.spark


def many_people(count: int) -> list[tuple[object, ...]]:
    """Rows of all six types, with nulls, Chinese text and dates on both sides of 1970."""
    return [
        (
            1_000 + n,
            None if n % 7 == 0 else f"居民{n}号",
            None if n % 5 == 0 else Decimal(n * 37 - 50_000).scaleb(-2),
            None if n % 11 == 0 else date(1900, 1, 1) + timedelta(days=n * 13),
            None
            if n % 13 == 0
            else naive(1950, 1, 1) + timedelta(seconds=n * 86_413, microseconds=n),
            None if n % 3 == 0 else n % 2 == 0,
        )
        for n in range(count)
    ]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession  # noqa: PLC0415 (only when pyspark is installed)

    session = (
        SparkSession.builder.master("local[1]")
        .appName("govdata-lake-manifest-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "512m")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_reads_exactly_version_0_from_its_manifest(spark: Any, table: LakeTable) -> None:
    version_0 = [*PEOPLE_ROWS, *many_people(3_000)]
    table.write(people(version_0), mode="overwrite", metadata={}, target_file_size=32 * 1024)
    table.merge(people(many_people(10)), keys=["id"], metadata={}, changed_only=False)
    table.write(people(PEOPLE_ROWS[:1]), mode="append", metadata={})

    manifest = file_manifest(table, 0)
    assert len(manifest["files"]) > 1
    uris = [entry["uri"] for entry in manifest["files"]]
    columns = [column["name"] for column in manifest["schema"]]
    rows = spark.read.parquet(*uris).select(*columns).collect()

    assert len(rows) == manifest["total_rows"] == len(version_0)
    hashes = [row_checksum_python(list(row)) for row in rows]
    assert hexdigest_of(sum(hashes)) == manifest["checksum"]
    by_id = {row["id"]: tuple(row) for row in rows}
    assert by_id[1] == PEOPLE_ROWS[0]
    assert by_id[4] == PEOPLE_ROWS[3]
