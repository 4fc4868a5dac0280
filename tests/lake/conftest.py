"""Lake fixtures: a local lake per test, and the ``spark`` marker."""

from __future__ import annotations

from pathlib import Path

import pytest

from govdata.lake.location import LocalLocation
from govdata.lake.tables import LakeTable


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "spark: reads lake files with pyspark in local mode (skipped without pyspark)"
    )


@pytest.fixture
def lake(tmp_path: Path) -> LocalLocation:
    return LocalLocation(tmp_path / "lake")


@pytest.fixture
def table(lake: LocalLocation) -> LakeTable:
    return LakeTable(lake, "people")
