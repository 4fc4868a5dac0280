"""CSV files, streamed through pyarrow's CSV reader with every column as text.

Options (all optional):

``encoding``
    The file's encoding (``gbk``, ``gb18030``, ``utf-8``...). Without it the
    encoding is detected from the first MiB (see
    :mod:`govdata.aggregation.sources.csv_encoding`). Bytes that do not fit
    stop the read with ``source_encoding``, naming the line and byte offset.
``delimiter``
    One character; without it the most frequent of ``,`` ``\\t`` ``;`` in the
    header line.
``block_bytes``
    How much text pyarrow parses at a time (default 16 MiB). A record longer
    than about twice this (usually a quote that is never closed) fails with
    ``source_field_too_large``.

The first non-empty record is the header; its names are trimmed and must be
non-blank and distinct. Every value is handed over as the text in the file,
an empty field as ``""`` (the loader treats empty text as empty).

Row numbers count records, not lines: the header is row 1 and the n-th data
record is row n + 1. Empty lines are skipped without being counted, and a
quoted field spanning several lines makes one record, so after either the
row number is smaller than the line number an editor shows. A record with
too many or too few fields is returned as a :class:`RejectedRow`
(``ragged_row``) with its raw text; the records around it keep their numbers.

A file whose last record ends inside a quoted field, or in the middle of a
multi-byte character, fails with ``source_truncated``: pyarrow would
otherwise take the rest of the file as the field's value.

Reading speed, measured on this project's 2-core machine with a 669 MB GBK
file of 5 million rows and eight text columns (``bench.population_data``,
2 % dirty rows), read to the end through this reader, CPU time (user and
system) and wall time, three runs each:

* GBK, decoded by :class:`~.csv_encoding.Utf8Stream` with ``iconv`` straight
  into the blocks pyarrow parses: 3.06-3.28 CPU-seconds, 1.80-1.86 s (it had
  been 3.58-3.70 and 2.02-2.16 s with the decoded text joined and sliced into
  blocks, in the same session);
* the same rows as UTF-8 (807 MB), passed through: 1.83-2.10 CPU-seconds,
  1.48-1.70 s; decoding alone, ``iconv`` in 1 MiB pieces, takes 1.3;
* pyarrow's own transcoding, ``ReadOptions(encoding="gb18030")`` with the
  same options otherwise: 6.03-6.24 CPU-seconds, 4.74-4.84 s. It decodes
  with CPython's codec, holding the interpreter lock.

We decode ourselves: it is faster, says where undecodable bytes are, tells a
file cut in the middle of a character, and counts the raw bytes read for
progress. pyarrow calls our stream on its I/O thread, ahead of parsing, so
decoding overlaps the parsing and the loader's work on the previous batch.
Parsing runs with ``use_threads=False``: it is the only mode in which pyarrow
numbers the rows it rejects, and it measured no slower.
"""

from __future__ import annotations

import atexit
import csv
import io
import re
import sys
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from govdata.aggregation.sources.base import RAW_TEXT_LIMIT, RejectedRow, SourceBatch
from govdata.aggregation.sources.csv_encoding import (
    SAMPLE_BYTES,
    Utf8Stream,
    check_sample,
    codec_name,
    decoding_failure,
    detect_encoding,
    passes_through,
)
from govdata.aggregation.sources.reading import Reader, numbered_batch, text_schema
from govdata.errors import SourceFailed

DEFAULT_BLOCK_BYTES = 16 << 20
DELIMITERS = (",", "\t", ";")
_QUOTE = '"'
_QUOTE_RUN = re.compile('"+')
# What pyarrow raises for a file it cannot parse, or passes on from our decoding stream.
_READ_ERRORS = (pa.ArrowException, OSError, ValueError)
# How long closing waits for pyarrow's I/O thread to let go of the stream.
_RELEASE_SECONDS = 2.0


class CsvReader(Reader):
    """Streams a CSV file as batches of text columns."""

    def __init__(self, location: str, options: Mapping[str, Any], *, batch_rows: int) -> None:
        super().__init__()
        self._path = Path(location)
        self._batch_rows = batch_rows
        self._block_bytes = int(options.get("block_bytes") or DEFAULT_BLOCK_BYTES)
        declared = options.get("encoding")
        self._declared = bool(declared)
        try:
            size = self._path.stat().st_size
            with self._path.open("rb") as handle:
                sample = handle.read(SAMPLE_BYTES)
        except FileNotFoundError:
            raise SourceFailed(
                f"找不到CSV文件：{self._path.name}", code="source_not_found"
            ) from None
        self._progress.bytes_total = size
        if not sample.lstrip(b"\xef\xbb\xbf").strip():
            raise SourceFailed("CSV文件为空，没有表头", code="source_empty")
        if declared:
            self._encoding = codec_name(str(declared))
            check_sample(sample, self._encoding)
        else:
            self._encoding = detect_encoding(sample)
        text = _sample_text(sample, self._encoding)
        self._delimiter = _delimiter(options.get("delimiter"), text)
        raw_header, has_rows = _header(text, self._delimiter, whole_file=len(sample) == size)
        self._columns = _checked_names(raw_header)
        self._schema = text_schema(self._columns)
        # Rows rejected by pyarrow's parser, waiting to go out with a batch.
        self._rejected: list[RejectedRow] = []
        self._rejected_numbers: list[int] = []
        self._last_rejected: tuple[int, str] | None = None
        self._next_row = 2
        self._last_value: tuple[int, str] | None = None
        self._stream: Utf8Stream | None = None
        self._handler: Callable[[Any], str] | None = None
        self._csv: pacsv.CSVStreamingReader | None = None
        if has_rows:
            self._open(raw_header)

    def _open(self, raw_header: list[str]) -> None:
        _OPEN_READERS.add(self)
        self._stream = Utf8Stream(self._path.open("rb"), self._encoding)
        self._handler = self._reject
        failure = None
        try:
            self._csv = pacsv.open_csv(
                self._stream,
                read_options=pacsv.ReadOptions(block_size=self._block_bytes, use_threads=False),
                parse_options=pacsv.ParseOptions(
                    delimiter=self._delimiter,
                    newlines_in_values=True,
                    invalid_row_handler=self._handler,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(raw_header, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except _READ_ERRORS as exc:
            failure = self._failure(exc)
        if failure is not None:  # raised outside the handler, as in batches()
            self.close()
            raise failure
        if self._csv is not None and self._csv.schema.names != raw_header:
            self.close()
            raise SourceFailed(
                "无法解析CSV表头，请检查表头行的引号和分隔符", code="source_malformed"
            )

    def batches(self) -> Iterator[SourceBatch]:
        if self._csv is None:
            return
        while True:
            failure = None
            try:
                batch = self._csv.read_next_batch()
            except StopIteration:
                break
            except _READ_ERRORS as exc:
                failure = self._failure(exc)
            if failure is not None:
                # Outside the handler: pyarrow's error, chained, would keep our
                # stream referenced from its traceback (see close()).
                raise failure
            yield from self._split(batch)
        self._check_complete()
        if self._rejected:
            yield numbered_batch(self._empty(), [], self._take_rejected())

    def close(self) -> None:
        reader, self._csv = self._csv, None
        stream, self._stream = self._stream, None
        handler, self._handler = self._handler, None
        if stream is None:
            return
        # pyarrow reads ahead on its own thread, calling back into our stream,
        # and releases the stream and the row handler there too, taking the
        # interpreter lock to do so; if that happens while the interpreter
        # shuts down, the process crashes. So the stream ends now, pyarrow is
        # run to that end, and we wait until it holds neither any more.
        stream.stop()
        if reader is not None:
            _drain(reader)
            del reader
            _await_release(stream)
            if handler is not None:
                _await_release(handler)
        stream.close()

    # -- batches and row numbers ---------------------------------------------

    def _split(self, batch: pa.RecordBatch) -> Iterator[SourceBatch]:
        data = pa.RecordBatch.from_arrays(batch.columns, schema=self._schema)
        count = data.num_rows
        numbers = self._numbers(count)
        if count:
            self._last_value = (int(numbers[-1]), data.column(len(self._columns) - 1)[-1].as_py())
        rejected = self._take_rejected()
        self._progress.rows_read += count + len(rejected)
        if self._stream is not None:
            self._progress.bytes_read = self._stream.raw_bytes_read
        if count == 0:
            if rejected:
                yield numbered_batch(data, [], rejected)
            return
        for start in range(0, count, self._batch_rows):
            length = min(self._batch_rows, count - start)
            rows = pa.array(numbers[start : start + length])
            yield numbered_batch(data.slice(start, length), rows, rejected if start == 0 else ())

    def _numbers(self, count: int) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Row numbers of the next ``count`` good records, skipping rejected ones.

        The k-th good record (from 0) is record ``first + k + j``, where j is
        how many rejected records precede it; with rejected numbers r_i in
        order, r_i - i is how many good records come before the i-th
        rejected one, which is what the search below compares k with.
        """
        first = self._next_row
        pending = [number for number in self._rejected_numbers if number >= first]
        if pending:
            goods_before = np.asarray(pending, dtype=np.int64) - first - np.arange(len(pending))
            ordinal = np.arange(count, dtype=np.int64)
            numbers = first + ordinal + np.searchsorted(goods_before, ordinal, side="right")
        else:
            numbers = np.arange(first, first + count, dtype=np.int64)
        if count:
            self._next_row = int(numbers[-1]) + 1
        self._rejected_numbers = [number for number in pending if number >= self._next_row]
        return numbers

    def _reject(self, row: Any) -> str:
        number = int(row.number) if row.number is not None else -1
        text = str(row.text)
        self._rejected.append(
            RejectedRow(
                row=number,
                raw=text[:RAW_TEXT_LIMIT],
                reason_code="ragged_row",
                reason=f"字段数为 {row.actual_columns}，应为 {row.expected_columns}",
            )
        )
        self._rejected_numbers.append(number)
        self._last_rejected = (number, text)
        return "skip"

    def _take_rejected(self) -> list[RejectedRow]:
        taken, self._rejected = self._rejected, []
        return taken

    def _empty(self) -> pa.RecordBatch:
        return pa.RecordBatch.from_pylist([], schema=self._schema)

    # -- failures --------------------------------------------------------------

    def _check_complete(self) -> None:
        """Refuse a file whose last record ends inside a quoted field."""
        last_good = self._last_value[0] if self._last_value else 0
        if self._last_rejected is not None and self._last_rejected[0] > last_good:
            cut = _ends_inside_quotes(self._last_rejected[1], self._delimiter)
            line = self._last_rejected[0]
        elif self._last_value is not None and self._stream is not None:
            starts = (self._delimiter,) if len(self._columns) > 1 else ("\n", "\r", "")
            cut = _ends_with_open_quote(self._stream.tail(), self._last_value[1], starts)
            line = last_good
        else:
            return
        if cut:
            raise SourceFailed(
                f"CSV文件在第{line}行的一个带引号的字段中间结束（引号没有闭合），"
                "文件可能被截断，请重新获取完整的文件",
                code="source_truncated",
            )

    def _failure(self, exc: Exception) -> SourceFailed:
        if isinstance(exc, SourceFailed):
            return exc
        message = str(exc)
        if "straddling object" in message or "straddles" in message:
            limit = max(self._block_bytes >> 20, 1)
            return SourceFailed(
                f"CSV文件第{self._progress.rows_read + 2}行附近有一个超过约{2 * limit}MiB的"
                "字段或记录，通常是某个引号没有闭合；请检查该处的引号，"
                "确有超长字段时请调大读取块（block_bytes）",
                code="source_field_too_large",
            )
        undecodable = self._stream is not None and self._stream.undecodable is not None
        if undecodable or passes_through(self._encoding):
            located = decoding_failure(self._path, self._encoding, self._declared)
            if located is not None:
                return located
        return SourceFailed(
            f"CSV文件第{self._progress.rows_read + 2}行附近格式错误，无法解析：{message[:200]}",
            code="source_malformed",
        )


# Readers still open when the interpreter exits are closed first, while
# pyarrow's I/O thread can still hand our stream back (see close()).
_OPEN_READERS: weakref.WeakSet[CsvReader] = weakref.WeakSet()


@atexit.register
def _close_open_readers() -> None:
    for reader in list(_OPEN_READERS):
        reader.close()


def _await_release(held: object) -> None:
    """Wait until only our own references to ``held`` are left.

    Those are the caller's variable, this parameter and getrefcount's
    argument; pyarrow's I/O thread releases its own shortly after the end of
    the stream (CPython reference counts).
    """
    deadline = time.monotonic() + _RELEASE_SECONDS
    while sys.getrefcount(held) > 3 and time.monotonic() < deadline:
        time.sleep(0.001)


def _drain(reader: pacsv.CSVStreamingReader) -> None:
    """Read what pyarrow still has, ignoring it and any error, to its end."""
    while True:
        try:
            reader.read_next_batch()
        except StopIteration:
            return
        except _READ_ERRORS:
            return


def _sample_text(sample: bytes, encoding: str) -> str:
    # The sample may end in the middle of a character: that much is dropped.
    return sample.decode(encoding, errors="ignore").removeprefix("\ufeff")


def _delimiter(option: object, text: str) -> str:
    if option:
        delimiter = str(option)
        if len(delimiter) != 1 or delimiter in {'"', "\n", "\r"}:
            raise SourceFailed(f"分隔符“{delimiter}”无效，应为单个字符", code="source_malformed")
        return delimiter
    for line in text.splitlines():
        if line.strip():
            best = max(DELIMITERS, key=line.count)
            return best if line.count(best) else ","
    return ","


def _header(text: str, delimiter: str, *, whole_file: bool) -> tuple[list[str], bool]:
    """The raw header names, and whether any data may follow the header."""
    lines = io.StringIO(text, newline="").readlines()
    records = csv.reader(lines, delimiter=delimiter)
    try:
        header = next((record for record in records if record), None)
    except csv.Error as exc:
        raise SourceFailed(f"无法解析CSV表头：{exc}", code="source_malformed") from None
    if header is None:
        raise SourceFailed("CSV文件中没有表头", code="source_empty")
    ended = lines[records.line_num - 1].endswith(("\n", "\r"))
    if not ended and not whole_file:
        raise SourceFailed(
            f"CSV表头超过{SAMPLE_BYTES >> 20}MiB仍未结束，请检查表头的引号", code="source_malformed"
        )
    # Only lines with nothing at all are empty: " " is a value in a one-column file.
    has_rows = not whole_file or any(line.strip("\r\n") for line in lines[records.line_num :])
    return header, has_rows


def _checked_names(raw: list[str]) -> list[str]:
    names = [name.strip() for name in raw]
    blank = [str(index + 1) for index, name in enumerate(names) if not name]
    if blank:
        raise SourceFailed(
            f"CSV表头中第{'、'.join(blank)}列的列名为空，请补上列名", code="source_malformed"
        )
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    duplicates = [name for name, count in counts.items() if count > 1]
    if duplicates:
        shown = "、".join(f"“{name}”" for name in duplicates)
        raise SourceFailed(f"CSV表头中有重复的列名：{shown}", code="source_malformed")
    return names


def _ends_with_open_quote(tail: bytes, value: str, starts: tuple[str, ...]) -> bool:
    """Whether the text ends with ``value``, the last field, quoted but never closed.

    pyarrow reads a field whose closing quote is missing as everything up to
    the end of the file: the file then ends with an opening quote, at the
    start of the last field (after a delimiter; for a single column, at the
    start of a line), followed by exactly the value's quote-doubled text. A
    value that itself ends with a line break could also read as a closed
    field followed by that line break; the closed reading is preferred.
    """
    escaped = _QUOTE + value.replace(_QUOTE, _QUOTE * 2)
    endings = ("", "\n", "\r\n", "\r")
    closed = any(_field_at_end(tail, escaped + _QUOTE + end, starts) for end in endings)
    return not closed and _field_at_end(tail, escaped, starts)


def _field_at_end(tail: bytes, field: str, starts: tuple[str, ...]) -> bool:
    """Whether ``tail`` ends with ``field`` where a field may start."""
    encoded = field.encode("utf-8")
    if not tail.endswith(encoded):
        return False
    before = tail[: len(tail) - len(encoded)]
    if not before:
        return "" in starts
    return before.endswith(tuple(start.encode("utf-8") for start in starts if start))


def _ends_inside_quotes(text: str, delimiter: str) -> bool:
    """Whether a raw record ends inside a quoted field.

    A quote opens a field only at the field's start; inside, a run of quotes
    of even length is escaped quotes and one of odd length closes the field.
    """
    quoted = False
    for run in _QUOTE_RUN.finditer(text):
        length = run.end() - run.start()
        if quoted:
            quoted = length % 2 == 0
        elif run.start() == 0 or text[run.start() - 1] in (delimiter, "\n", "\r"):
            quoted = length % 2 == 1
    return quoted
