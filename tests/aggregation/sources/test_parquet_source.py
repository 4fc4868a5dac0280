"""Reading Parquet sources with their native types."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govdata.errors import SourceFailed

from .conftest import read_all

TABLE = pa.table(
    {
        "名称": pa.array(["甲", "乙", None], pa.string()),
        "数量": pa.array([1, 2, 3], pa.int64()),
        "金额": pa.array([Decimal("1.10"), None, Decimal("3.00")], pa.decimal128(10, 2)),
        "日期": pa.array([date(2024, 1, 1), date(2024, 2, 29), None], pa.date32()),
    }
)


def written(tmp_path: Path, table: pa.Table = TABLE, **options: object) -> Path:
    path = tmp_path / "data.parquet"
    pq.write_table(table, path, **options)
    return path


def test_reads_native_types_and_values(tmp_path: Path) -> None:
    result = read_all("parquet", written(tmp_path))

    assert result.columns == ["名称", "数量", "金额", "日期"]
    assert result.table.schema == TABLE.schema
    assert result.table.to_pylist() == TABLE.to_pylist()
    assert result.rows == [1, 2, 3]


def test_batches_follow_batch_rows_across_row_groups(tmp_path: Path) -> None:
    table = pa.table({"n": pa.array(range(1, 26), pa.int64())})
    path = written(tmp_path, table, row_group_size=10)

    result = read_all("parquet", path, batch_rows=8)

    assert result.rows == list(range(1, 26))
    assert [record["n"] for record in result.records] == result.rows
    assert result.progress.rows_read == 25
    assert result.progress.bytes_read == result.progress.bytes_total == path.stat().st_size


def test_truncated_file_is_truncated(tmp_path: Path) -> None:
    path = written(tmp_path)
    path.write_bytes(path.read_bytes()[:-100])

    with pytest.raises(SourceFailed) as caught:
        read_all("parquet", path)

    assert caught.value.error_code == "source_truncated"


def test_file_that_is_not_parquet_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_bytes(b"name,value\n1,2\n")

    with pytest.raises(SourceFailed) as caught:
        read_all("parquet", path)

    assert caught.value.error_code == "source_malformed"


def test_corrupt_data_pages_are_malformed(tmp_path: Path) -> None:
    table = pa.table({"n": pa.array(range(10_000), pa.int64())})
    path = written(tmp_path, table, compression="snappy")
    data = bytearray(path.read_bytes())
    for offset in range(200, 2200):  # inside the first column chunk, footer untouched
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))

    with pytest.raises(SourceFailed) as caught:
        read_all("parquet", path)

    assert caught.value.error_code == "source_malformed"


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(SourceFailed) as caught:
        read_all("parquet", tmp_path / "none.parquet")

    assert caught.value.error_code == "source_not_found"
