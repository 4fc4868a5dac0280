"""Spark reads a loaded version from its file manifest: same rows, same checksum."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bench.population_data import generate

from govdata.aggregation.loading import Loader, LoadPlan
from govdata.aggregation.sources.base import SourceSpec
from govdata.aggregation.sources.registry import open_reader
from govdata.lake.checksum import checksum_python
from govdata.lake.location import LocalLocation
from govdata.lake.manifest import file_manifest
from govdata.lake.tables import LakeTable
from govdata.libraries.standards import get_standard

pytestmark = pytest.mark.spark

COLUMNS = ("id_number", "name", "sex", "birth_date", "division_code", "address", "updated_at")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    sql = pytest.importorskip("pyspark.sql")
    # py4j logs its shutdown at INFO after pytest has closed the captured streams.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    session = (
        sql.SparkSession.builder.master("local[1]")
        .appName("govdata-aggregation-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "512m")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_spark_reads_a_loaded_gbk_version_from_its_manifest(spark: Any, tmp_path: Path) -> None:
    generate(tmp_path / "people.csv", 3000, encoding="gbk", dirty=0.02, seed=5)
    columns = [c for c in get_standard("population").columns if c.name in COLUMNS]
    plan = LoadPlan(
        table_uri=str(tmp_path / "lake" / "people"),
        columns=columns,
        strategy="full",
        run_id="spark-run",
        source_id="spark-source",
        source_description="csv:people.csv",
        quarantine_dir=tmp_path / "quarantine",
        max_bad_ratio=0.1,
        ignored_source_columns=("phone",),
    )
    with open_reader(SourceSpec(kind="csv", location=str(tmp_path / "people.csv"))) as reader:
        outcome = Loader(plan, reader).run()
    assert outcome.version is not None
    manifest = file_manifest(LakeTable(LocalLocation(tmp_path / "lake"), "people"), outcome.version)

    frame = spark.read.parquet(*[entry["uri"] for entry in manifest["files"]])
    rows = [tuple(row) for row in frame.select(*[c.name for c in columns]).collect()]

    assert len(rows) == manifest["total_rows"] == outcome.rows_written
    assert checksum_python(rows) == manifest["checksum"] == outcome.checksum
