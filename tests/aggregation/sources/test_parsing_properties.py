"""Round trips: whatever a standard writer produces, the readers give back unchanged."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from .conftest import read_all

# Chinese text, and every character CSV quoting and JSON escaping must handle.
TEXT = st.text(alphabet=st.sampled_from('数据呼和浩特 ab,;"\t\n\r=@\\/'), max_size=12)
NAMES = st.lists(
    st.text(alphabet=st.sampled_from('名称编号ab,"_'), min_size=1, max_size=6),
    min_size=1,
    max_size=5,
    unique=True,
)
PROPERTIES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTIES
@given(
    names=NAMES,
    data=st.data(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk"]),
    block=st.sampled_from([160, 1 << 20]),
)
def test_csv_written_by_the_csv_module_reads_back_unchanged(
    tmp_path: Path, names: list[str], data: st.DataObject, encoding: str, block: int
) -> None:
    rows = data.draw(
        st.lists(st.lists(TEXT, min_size=len(names), max_size=len(names)), max_size=20)
    )
    text = io.StringIO()
    # With "\r\n" as line ending the writer quotes fields holding a lone \r too.
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(names)
    writer.writerows(rows)
    path = tmp_path / f"round-{encoding}-{block}.csv"
    path.write_bytes(text.getvalue().encode(encoding))
    # Small blocks make records straddle them; a record may not outgrow one.
    assume(all(len(line.encode()) < block for line in text.getvalue().split("\n")))

    result = read_all("csv", path, {"delimiter": ",", "block_bytes": block})

    assert result.columns == names
    assert result.records == [dict(zip(names, row, strict=True)) for row in rows]
    assert result.rows == list(range(2, len(rows) + 2))


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
RECORDS = st.lists(
    st.dictionaries(st.sampled_from(["甲", "乙", "c", "d,e"]), JSON_VALUES, max_size=4),
    max_size=15,
)


def expected_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@PROPERTIES
@given(records=RECORDS, indent=st.sampled_from([None, 2]), batch_rows=st.integers(1, 6))
def test_json_array_reads_back_as_the_text_of_each_value(
    tmp_path: Path, records: list[dict[str, Any]], indent: int | None, batch_rows: int
) -> None:
    path = tmp_path / "round.json"
    path.write_text(json.dumps(records, ensure_ascii=False, indent=indent), encoding="utf-8")

    result = read_all("json", path, batch_rows=batch_rows)

    columns = list(dict.fromkeys(key for record in records for key in record))
    assert result.columns == columns
    assert result.records_with_all_columns() == [
        {column: expected_text(record.get(column)) for column in columns} for record in records
    ]
    assert result.rows == list(range(1, len(records) + 1))


@PROPERTIES
@given(records=RECORDS, batch_rows=st.integers(1, 6))
def test_json_lines_read_back_as_the_text_of_each_value(
    tmp_path: Path, records: list[dict[str, Any]], batch_rows: int
) -> None:
    path = tmp_path / "round.jsonl"
    lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    path.write_text("{}\n" + lines, encoding="utf-8")

    result = read_all("jsonl", path, batch_rows=batch_rows)

    columns = list(dict.fromkeys(key for record in records for key in record))
    assert result.records_with_all_columns()[1:] == [
        {column: expected_text(record.get(column)) for column in columns} for record in records
    ]
    assert result.rows == list(range(1, len(records) + 2))
