"""Choosing readers, and the error codes every reader keeps to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import govdata.aggregation.sources as sources_package
from govdata.aggregation.convert import REASON_MESSAGES
from govdata.aggregation.sources.base import SOURCE_ERROR_CODES, SOURCE_KINDS, SourceSpec
from govdata.aggregation.sources.csv_source import CsvReader
from govdata.aggregation.sources.json_source import JsonLinesReader, JsonReader
from govdata.aggregation.sources.parquet_source import ParquetReader
from govdata.aggregation.sources.registry import open_reader

from .conftest import WriteText


@pytest.mark.parametrize(
    ("kind", "name", "text", "reader"),
    [
        ("csv", "a.csv", "a\n1\n", CsvReader),
        ("json", "a.json", '[{"a": 1}]', JsonReader),
        ("jsonl", "a.jsonl", '{"a": 1}\n', JsonLinesReader),
    ],
)
def test_the_reader_is_chosen_by_kind(
    write_text: WriteText, kind: str, name: str, text: str, reader: type
) -> None:
    spec = SourceSpec(kind=kind, location=str(write_text(text, name=name)))  # type: ignore[arg-type]

    with open_reader(spec) as opened:
        assert isinstance(opened, reader)
        assert opened.columns == ["a"]
        assert not opened.pushes_down


def test_parquet_reader_is_chosen_for_parquet(tmp_path: Path) -> None:
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    path = tmp_path / "a.parquet"
    pq.write_table(pa.table({"a": [1]}), path)

    with open_reader(SourceSpec(kind="parquet", location=str(path))) as opened:
        assert isinstance(opened, ParquetReader)


def test_every_kind_has_a_reader() -> None:
    from govdata.aggregation.sources.registry import _READERS  # noqa: PLC0415

    assert set(_READERS) | {"sql"} == set(SOURCE_KINDS)


def test_batch_rows_must_be_positive(write_text: WriteText) -> None:
    spec = SourceSpec(kind="csv", location=str(write_text("a\n1\n")))

    with pytest.raises(ValueError, match="batch_rows"):
        open_reader(spec, batch_rows=0)


def _codes(keyword: str) -> set[str]:
    """The string literals given as ``keyword=`` anywhere in the reader modules."""
    folder = Path(sources_package.__file__).parent
    pattern = rf'(?<![\w]){keyword}="([a-z_]+)"'
    return {
        code
        for module in folder.glob("*.py")
        for code in re.findall(pattern, module.read_text(encoding="utf-8"))
    }


def test_readers_raise_only_declared_error_codes() -> None:
    used = _codes("code")

    assert "source_truncated" in used
    assert used <= set(SOURCE_ERROR_CODES)


def test_rejected_rows_use_reasons_the_loader_knows() -> None:
    used = _codes("reason_code")

    assert used == {"ragged_row", "malformed_record"}
    assert used <= set(REASON_MESSAGES)
