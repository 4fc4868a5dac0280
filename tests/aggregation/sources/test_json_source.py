"""Reading JSON documents and JSON Lines files as text columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govdata.aggregation.sources.base import SourceKind
from govdata.errors import SourceFailed

from .conftest import WriteText, read_all


def failure(kind: SourceKind, path: Path, **options: object) -> SourceFailed:
    with pytest.raises(SourceFailed) as caught:
        read_all(kind, path, options)
    return caught.value


def test_array_of_objects_becomes_text_columns(write_text: WriteText) -> None:
    path = write_text(
        '[{"姓名": "张三", "金额": 100.10, "人数": 3, "在册": true, "备注": null},'
        ' {"姓名": "李四", "金额": 12345678901234567890.12, "人数": -1, "在册": false}]',
        name="people.json",
    )

    result = read_all("json", path)

    assert result.columns == ["姓名", "金额", "人数", "在册", "备注"]
    assert result.records == [
        {"姓名": "张三", "金额": "100.10", "人数": "3", "在册": "true", "备注": None},
        {
            "姓名": "李四",
            "金额": "12345678901234567890.12",
            "人数": "-1",
            "在册": "false",
            "备注": None,
        },
    ]
    assert result.rows == [1, 2]


def test_nested_values_become_compact_json(write_text: WriteText) -> None:
    path = write_text(
        '[{"id": 1, "地址": {"市": "包头", "区": ["昆都仑", 2.50]}, "标签": []}]',
        name="nested.json",
    )

    assert read_all("json", path).records == [
        {"id": "1", "地址": '{"市":"包头","区":["昆都仑",2.50]}', "标签": "[]"}
    ]


def test_records_path_finds_the_array_inside_an_object(write_text: WriteText) -> None:
    document = {
        "meta": {"total": 2, "skipped": [1, 2, {"a": "}"}]},
        "data": {"count": 2, "items": [{"a": 1}, {"a": 2}], "after": "还有"},
        "ok": True,
    }
    path = write_text(json.dumps(document, ensure_ascii=False), name="wrapped.json")

    result = read_all("json", path, {"records_path": "data.items"})

    assert result.records == [{"a": "1"}, {"a": "2"}]


def test_missing_records_path_is_malformed(write_text: WriteText) -> None:
    path = write_text('{"data": {"rows": []}}', name="wrapped.json")

    error = failure("json", path, records_path="data.items")

    assert error.error_code == "source_malformed"
    assert "data.items" in error.message


def test_top_level_object_without_records_path_is_malformed(write_text: WriteText) -> None:
    error = failure("json", write_text('{"items": []}', name="object.json"))

    assert error.error_code == "source_malformed"
    assert "records_path" in error.message


def test_elements_that_are_not_objects_are_rejected(write_text: WriteText) -> None:
    path = write_text('[{"a": 1}, 42, "文本", [1], {"a": 2}]', name="mixed.json")

    result = read_all("json", path)

    assert result.records == [{"a": "1"}, {"a": "2"}]
    assert result.rows == [1, 5]
    assert [(r.row, r.raw, r.reason_code) for r in result.rejected] == [
        (2, "42", "malformed_record"),
        (3, "文本", "malformed_record"),
        (4, "[1]", "malformed_record"),
    ]


@pytest.mark.parametrize(
    "text", ['[{"a": 1}, {"a": 2', '[{"a": 1}, {"a": "被截', '[{"a": 1},', '[{"a": 1}']
)
def test_truncated_document_is_truncated(write_text: WriteText, text: str) -> None:
    assert failure("json", write_text(text, name="cut.json")).error_code == "source_truncated"


def test_document_cut_after_the_records_is_truncated(write_text: WriteText) -> None:
    path = write_text('{"data": {"items": [{"a": 1}]}, "more": [', name="cut.json")

    assert failure("json", path, records_path="data.items").error_code == "source_truncated"


@pytest.mark.parametrize("text", ['[{"a": 1} {"a": 2}]', '[{"a": nope}]', '[{"a": 1}] extra'])
def test_invalid_json_is_malformed(write_text: WriteText, text: str) -> None:
    assert failure("json", write_text(text, name="bad.json")).error_code == "source_malformed"


def test_empty_document_is_refused(write_text: WriteText) -> None:
    assert failure("json", write_text("  \n", name="empty.json")).error_code == "source_empty"


def test_empty_array_has_no_columns_and_no_rows(write_text: WriteText) -> None:
    result = read_all("json", write_text("[ ]", name="none.json"))

    assert (result.columns, result.records) == ([], [])


def test_large_document_is_streamed_across_reads(write_text: WriteText) -> None:
    # Several MiB, so elements, numbers and strings fall across read boundaries.
    records = [{"n": n, "x": 1.5e-7 * n, "名称": "数据" * (n % 50)} for n in range(40_000)]
    path = write_text(json.dumps(records, ensure_ascii=False, indent=2), name="big.json")

    result = read_all("json", path, batch_rows=7000)

    assert len(result.records) == 40_000
    assert result.records[12345] == {"n": "12345", "x": repr(1.5e-7 * 12345), "名称": "数据" * 45}
    assert result.rows[-1] == 40_000
    assert result.progress.bytes_read == path.stat().st_size


def test_json_lines_are_read_line_by_line(write_text: WriteText) -> None:
    path = write_text(
        '{"姓名": "张三", "年龄": 30}\n\n{"姓名": "李四", "年龄": 28.0}\n', name="people.jsonl"
    )

    result = read_all("jsonl", path)

    assert result.records == [{"姓名": "张三", "年龄": "30"}, {"姓名": "李四", "年龄": "28.0"}]
    assert result.rows == [1, 3]


def test_json_line_that_is_not_an_object_is_rejected(write_text: WriteText) -> None:
    path = write_text('{"a": 1}\n[1, 2]\n{"a": \n{"a": 3}\n', name="mixed.jsonl")

    result = read_all("jsonl", path)

    assert result.records == [{"a": "1"}, {"a": "3"}]
    assert result.rows == [1, 4]
    assert [(r.row, r.raw, r.reason_code) for r in result.rejected] == [
        (2, "[1, 2]", "malformed_record"),
        (3, '{"a": ', "malformed_record"),
    ]


def test_json_line_cut_short_at_the_end_is_truncated(write_text: WriteText) -> None:
    path = write_text('{"a": 1}\n{"a": "被截', name="cut.jsonl")

    assert failure("jsonl", path).error_code == "source_truncated"


def test_keys_first_seen_in_later_batches_become_new_columns(write_text: WriteText) -> None:
    path = write_text('{"a": 1}\n{"a": 2}\n{"a": 3, "新列": "x"}\n', name="drift.jsonl")

    result = read_all("jsonl", path, batch_rows=2)

    assert [table.column_names for table in result.tables] == [["a"], ["a", "新列"]]
    assert result.columns == ["a", "新列"]
    assert result.records[-1] == {"a": "3", "新列": "x"}


def test_columns_are_known_from_the_first_batch_when_opened(write_text: WriteText) -> None:
    from govdata.aggregation.sources.base import SourceSpec  # noqa: PLC0415
    from govdata.aggregation.sources.registry import open_reader  # noqa: PLC0415

    path = write_text('{"b": 1}\n{"a": 2, "b": 3}\n', name="order.jsonl")

    with open_reader(SourceSpec(kind="jsonl", location=str(path))) as reader:
        assert reader.columns == ["b", "a"]


def test_empty_json_lines_file_is_refused(write_text: WriteText) -> None:
    assert failure("jsonl", write_text("\n\n", name="empty.jsonl")).error_code == "source_empty"
