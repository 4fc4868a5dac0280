"""Helpers of the source reader tests: writing source files and reading them back."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from govdata.aggregation.sources.base import ReadProgress, RejectedRow, SourceKind, SourceSpec
from govdata.aggregation.sources.registry import open_reader

WriteText = Callable[..., Path]


@pytest.fixture
def write_text(tmp_path: Path) -> WriteText:
    """Writes ``text`` to a file in the test's directory, in the given encoding."""

    def write(text: str, *, name: str = "source.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write


class ReadResult:
    """Everything one read produced, gathered from its batches."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns
        self.tables: list[pa.Table] = []
        self.progress = ReadProgress()
        self.rows: list[int] = []
        self.records: list[dict[str, Any]] = []
        self.rejected: list[RejectedRow] = []

    def records_with_all_columns(self) -> list[dict[str, Any]]:
        """The records with every column, None where a batch did not have it yet."""
        return [{name: record.get(name) for name in self.columns} for record in self.records]

    @property
    def table(self) -> pa.Table:
        return pa.concat_tables(self.tables, promote_options="default")


def read_all(
    kind: SourceKind,
    location: str | Path,
    options: Mapping[str, Any] | None = None,
    **open_options: Any,
) -> ReadResult:
    """Open a reader on the source, read every batch and close it."""
    spec = SourceSpec(kind=kind, location=str(location), options=dict(options or {}))
    with open_reader(spec, **open_options) as reader:
        result = ReadResult(reader.columns)
        for batch in reader.batches():
            assert len(batch.rows) == batch.data.num_rows
            result.tables.append(pa.Table.from_batches([batch.data]))
            result.rows.extend(batch.rows.to_pylist())
            result.records.extend(batch.data.to_pylist())
            result.rejected.extend(batch.rejected)
        result.columns = reader.columns
        result.progress = reader.progress
    return result


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "database_servers: reads from the real PostgreSQL (127.0.0.1:5432) and MariaDB "
        "(127.0.0.1:3306) that every developer machine and CI run; never skipped",
    )
