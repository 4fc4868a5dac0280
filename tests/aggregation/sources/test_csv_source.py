"""Reading CSV sources: encodings, delimiters, row numbers, ragged and broken files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from govdata.aggregation.sources.base import SourceSpec
from govdata.aggregation.sources.registry import open_reader
from govdata.errors import SourceFailed

from .conftest import WriteText, read_all

PEOPLE = (
    "姓名,地址,金额\n张三,呼和浩特市新城区中山路1号,100.50\n李四,包头市昆都仑区钢铁大街8号,20\n"
)
PEOPLE_RECORDS = [
    {"姓名": "张三", "地址": "呼和浩特市新城区中山路1号", "金额": "100.50"},
    {"姓名": "李四", "地址": "包头市昆都仑区钢铁大街8号", "金额": "20"},
]


def failure(path: Path, **options: object) -> SourceFailed:
    with pytest.raises(SourceFailed) as caught:
        read_all("csv", path, options)
    return caught.value


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_detects_the_encoding_and_reads_chinese_text(write_text: WriteText, encoding: str) -> None:
    result = read_all("csv", write_text(PEOPLE, encoding=encoding))

    assert result.columns == ["姓名", "地址", "金额"]
    assert result.records == PEOPLE_RECORDS
    assert result.rows == [2, 3]


def test_reads_characters_only_gb18030_has(write_text: WriteText) -> None:
    # 𠀀 (U+20000) and € are outside GBK; GB18030 encodes them in four bytes.
    path = write_text("名称,备注\n𠀀字,欧元€\n", encoding="gb18030")

    assert read_all("csv", path).records == [{"名称": "𠀀字", "备注": "欧元€"}]


def test_declared_encoding_overrides_detection(write_text: WriteText) -> None:
    # Valid as GB18030 too, so only the declaration makes it read as Big5.
    path = write_text("名稱,地址\n臺灣,臺北市\n", encoding="big5")

    assert read_all("csv", path, {"encoding": "big5"}).records == [
        {"名稱": "臺灣", "地址": "臺北市"}
    ]


def test_wrong_declared_encoding_names_the_line(write_text: WriteText) -> None:
    path = write_text(PEOPLE, encoding="gbk")

    error = failure(path, encoding="utf-8")

    assert error.error_code == "source_encoding"
    assert "第1行" in error.message
    assert "utf-8" in error.message


def test_undetectable_encoding_is_refused_naming_line_and_offset(write_text: WriteText) -> None:
    path = write_text("a,b\n")
    path.write_bytes(b"a,b\n1,\x80\xff\n")

    error = failure(path)

    assert error.error_code == "source_encoding"
    assert "第2行" in error.message
    assert "第7字节" in error.message


def test_bytes_past_the_sample_that_do_not_decode_name_their_line(
    write_text: WriteText,
) -> None:
    # The first MiB is ASCII, so it is taken for UTF-8; the GBK text further on is not.
    filler = "".join(f"{n},ok\n" for n in range(120_000))
    path = write_text("id,name\n" + filler)
    with path.open("ab") as handle:
        handle.write("999999,张三\n".encode("gbk"))

    error = failure(path)

    assert error.error_code == "source_encoding"
    assert "第120002行" in error.message


def test_unknown_encoding_name_is_refused(write_text: WriteText) -> None:
    error = failure(write_text(PEOPLE), encoding="no-such-charset")

    assert error.error_code == "source_encoding"


@pytest.mark.parametrize(("delimiter", "name"), [("\t", "tab"), (";", "semicolon")])
def test_sniffs_the_delimiter_from_the_header(
    write_text: WriteText, delimiter: str, name: str
) -> None:
    path = write_text(PEOPLE.replace(",", delimiter), name=f"{name}.csv")

    assert read_all("csv", path).records == PEOPLE_RECORDS


def test_declared_delimiter_is_used(write_text: WriteText) -> None:
    path = write_text("a|b\n1,5|2\n")

    assert read_all("csv", path, {"delimiter": "|"}).records == [{"a": "1,5", "b": "2"}]


def test_values_are_text_exactly_as_written(write_text: WriteText) -> None:
    path = write_text('编号,公式,空\n007,=1+1,\n1e5,@SUM(A1),""\n', encoding="gbk")

    result = read_all("csv", path)

    assert result.records == [
        {"编号": "007", "公式": "=1+1", "空": ""},
        {"编号": "1e5", "公式": "@SUM(A1)", "空": ""},
    ]
    assert all(str(field.type) == "string" for field in result.table.schema)


def test_header_names_are_trimmed(write_text: WriteText) -> None:
    assert read_all("csv", write_text(" 姓名 ,年龄\n张三,30\n")).columns == ["姓名", "年龄"]


def test_ragged_rows_are_rejected_with_their_raw_text_and_row_number(
    write_text: WriteText,
) -> None:
    path = write_text("a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n", encoding="gbk")

    result = read_all("csv", path)

    assert result.records == [
        {"a": "1", "b": "2", "c": "3"},
        {"a": "10", "b": "11", "c": "12"},
    ]
    assert result.rows == [2, 5]
    assert [(r.row, r.raw, r.reason_code, r.reason) for r in result.rejected] == [
        (3, "4,5", "ragged_row", "字段数为 2，应为 3"),
        (4, "6,7,8,9", "ragged_row", "字段数为 4，应为 3"),
    ]
    assert result.progress.rows_read == 4


def test_row_numbers_stay_right_across_blocks_with_many_rejects(write_text: WriteText) -> None:
    lines = [f"{n},x,y" if n % 7 else f"{n},short" for n in range(1, 2001)]
    path = write_text("n,b,c\n" + "\n".join(lines) + "\n")

    result = read_all("csv", path, {"block_bytes": 1000}, batch_rows=50)

    # Data record n is row n + 1, whichever of its neighbours were rejected.
    assert result.rows == [int(record["n"]) + 1 for record in result.records]
    assert [r.row for r in result.rejected] == [n + 1 for n in range(7, 2001, 7)]
    assert len(result.records) + len(result.rejected) == 2000


def test_rejected_rows_after_the_last_good_row_are_returned(write_text: WriteText) -> None:
    result = read_all("csv", write_text("a,b\n1,2\n3\n"))

    assert result.rows == [2]
    assert [(r.row, r.raw) for r in result.rejected] == [(3, "3")]


def test_quoted_fields_may_span_lines_and_count_as_one_record(write_text: WriteText) -> None:
    path = write_text('a,b\n1,"第一行\n第二行"\n2,"含,逗号和""引号"""\n')

    result = read_all("csv", path)

    assert result.records == [
        {"a": "1", "b": "第一行\n第二行"},
        {"a": "2", "b": '含,逗号和"引号"'},
    ]
    assert result.rows == [2, 3]


def test_empty_lines_are_skipped_without_being_counted(write_text: WriteText) -> None:
    result = read_all("csv", write_text("a,b\n\n1,2\n\n3,4\n"))

    assert result.records == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]
    assert result.rows == [2, 3]


def test_crlf_line_endings_and_a_missing_final_newline(write_text: WriteText) -> None:
    result = read_all("csv", write_text("a,b\r\n1,2\r\n3,4"))

    assert result.records == [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]


def test_file_ending_inside_a_quoted_field_is_truncated(write_text: WriteText) -> None:
    error = failure(write_text('a,b\n1,2\n3,"被截断的地址\n'))

    assert error.error_code == "source_truncated"
    assert "第3行" in error.message


def test_truncated_quoted_field_in_a_ragged_last_record_is_truncated(
    write_text: WriteText,
) -> None:
    error = failure(write_text('a,b,c\n1,2,3\n4,"被截断\n5,6'))

    assert error.error_code == "source_truncated"


def test_closed_quotes_at_the_end_are_complete(write_text: WriteText) -> None:
    result = read_all("csv", write_text('a,b\n1,""\n2,"x"""'))

    assert result.records == [{"a": "1", "b": ""}, {"a": "2", "b": 'x"'}]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_file_cut_in_the_middle_of_a_character_is_truncated(
    write_text: WriteText, encoding: str
) -> None:
    path = write_text("名称,地址\n张三,中山路", encoding=encoding)
    path.write_bytes(path.read_bytes()[:-1])

    error = failure(path)

    assert error.error_code == "source_truncated"


def test_field_larger_than_the_block_is_refused(write_text: WriteText) -> None:
    path = write_text("a,b\n1,2\n3," + "长" * 5000 + "\n4,5\n")

    error = failure(path, block_bytes=4096)

    assert error.error_code == "source_field_too_large"
    assert "block_bytes" in error.message


def test_empty_file_is_refused(write_text: WriteText) -> None:
    error = failure(write_text(""))

    assert error.error_code == "source_empty"


def test_blank_file_is_refused(write_text: WriteText) -> None:
    assert failure(write_text("\ufeff\n \n", encoding="utf-8")).error_code == "source_empty"


@pytest.mark.parametrize("text", ["a,b\n", "a,b"])
def test_header_only_gives_columns_and_no_rows(write_text: WriteText, text: str) -> None:
    result = read_all("csv", write_text(text))

    assert result.columns == ["a", "b"]
    assert result.records == []


def test_duplicate_header_names_are_refused(write_text: WriteText) -> None:
    error = failure(write_text("姓名,年龄,姓名\n张三,30,李四\n"))

    assert error.error_code == "source_malformed"
    assert "“姓名”" in error.message


def test_blank_header_names_are_refused(write_text: WriteText) -> None:
    error = failure(write_text("姓名,,年龄\n张三,x,30\n"))

    assert error.error_code == "source_malformed"
    assert "第2列" in error.message


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    assert failure(tmp_path / "missing.csv").error_code == "source_not_found"


def test_progress_counts_raw_bytes_of_the_file(write_text: WriteText) -> None:
    path = write_text(PEOPLE, encoding="gbk")

    result = read_all("csv", path)

    size = path.stat().st_size
    assert (result.progress.bytes_read, result.progress.bytes_total) == (size, size)
    assert result.progress.rows_read == 2


def test_large_batches_are_split_to_batch_rows(write_text: WriteText) -> None:
    path = write_text("n\n" + "".join(f"{n}\n" for n in range(1, 1001)))
    spec = SourceSpec(kind="csv", location=str(path))

    with open_reader(spec, batch_rows=300) as reader:
        sizes = [batch.data.num_rows for batch in reader.batches()]
        assert not reader.pushes_down

    assert sizes == [300, 300, 300, 100]


def test_watermark_where_and_limit_are_left_to_the_loader(write_text: WriteText) -> None:
    result = read_all("csv", write_text(PEOPLE), where={"姓名": "张三"}, limit=1)

    assert result.records == PEOPLE_RECORDS


_EARLY_CLOSE = """
import sys
from govdata.aggregation.sources.csv_source import CsvReader
reader = CsvReader(sys.argv[1], {"block_bytes": 1 << 16}, batch_rows=500)
batches = reader.batches()
for _ in range(int(sys.argv[2])):
    next(batches)
if sys.argv[3] == "close":
    reader.close()
print("done")
"""


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
@pytest.mark.parametrize(("batches", "close"), [(0, "close"), (1, "close"), (2, "leave-open")])
def test_a_reader_left_early_lets_its_process_exit_cleanly(
    tmp_path: Path, encoding: str, batches: int, close: str
) -> None:
    # pyarrow reads ahead on its own thread through our decoding stream; a
    # reader closed (or abandoned) mid-file must neither crash nor hang the
    # process when the interpreter shuts down.
    lines = ["身份证号,姓名,地址"]
    lines += [f"1101011990010{i:05d},张三{i},呼和浩特市新城区某某路{i}号" for i in range(60_000)]
    path = tmp_path / "people.csv"
    path.write_bytes("\n".join(lines).encode(encoding))
    for _ in range(3):
        finished = subprocess.run(  # noqa: S603 (our own interpreter and script)
            [sys.executable, "-c", _EARLY_CLOSE, str(path), str(batches), close],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (finished.returncode, finished.stdout.strip()) == (0, "done"), finished.stderr


@pytest.mark.parametrize("shift", range(8))
def test_a_quoted_crlf_split_between_two_blocks_keeps_both_characters(
    tmp_path: Path, shift: int
) -> None:
    # pyarrow drops the "\n" of a quoted "\r\n" when a block ends between them;
    # the reader never ends a block in "\r" while more text follows.
    padding = "x" * (146 + shift)
    text = f'a,b\r\n{padding},"甲\r\n乙"\r\nc,d\r\n'
    path = tmp_path / "crlf.csv"
    path.write_bytes(text.encode("utf-8"))

    result = read_all("csv", path, {"delimiter": ",", "block_bytes": 160})

    assert result.records == [{"a": padding, "b": "甲\r\n乙"}, {"a": "c", "b": "d"}]
