"""What every source reader provides to the loader.

A reader turns one data source into a stream of Arrow record batches. Text
sources (CSV, Excel, JSON) hand over strings exactly as read; typed sources
(Parquet, databases) hand over their native Arrow types. Converting to the
declared column types, and quarantining values that do not convert, is the
loader's job (:mod:`govdata.aggregation.convert`), not the reader's.

A row the reader cannot even split into columns (a ragged CSV line, a JSON
line that is not an object) is returned as a :class:`RejectedRow`, never
dropped. Anything that stops the whole read (unreachable server, undecodable
bytes, truncated file, a database that goes away mid-read, an HTTP error that
persists after retries, a malformed page) raises
:class:`govdata.errors.SourceFailed` with one of the ``source_*`` codes below.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import pyarrow as pa

SourceKind = Literal["csv", "xlsx", "json", "jsonl", "parquet", "sql", "http"]

SOURCE_KINDS: tuple[SourceKind, ...] = ("csv", "xlsx", "json", "jsonl", "parquet", "sql", "http")

# Stable codes a reader raises SourceFailed with.
SOURCE_ERROR_CODES = {
    "source_not_found": "数据源文件或表不存在",
    "source_unreachable": "无法连接数据源",
    "source_empty": "数据源为空（没有表头或没有任何内容）",
    "source_encoding": "数据源编码与声明或检测结果不符",
    "source_truncated": "数据源文件不完整（被截断）",
    "source_malformed": "数据源格式错误",
    "source_field_too_large": "数据源中有超过上限的字段",
    "source_lost": "读取过程中与数据源的连接中断",
    "source_http_error": "数据接口返回错误",
    "source_refused": "数据源被拒绝（如含合并单元格的工作表）",
}

# Longest raw text kept for a rejected row or a quarantined value.
RAW_TEXT_LIMIT = 2000


@dataclass(frozen=True)
class SourceSpec:
    """Everything a reader needs, with secrets already decrypted.

    ``location`` is a file path for file kinds, a SQLAlchemy URL for ``sql``,
    and the first page's URL for ``http``. ``options`` are kind-specific (see
    each reader's module docstring): ``encoding``, ``delimiter``, ``sheet``,
    ``table``, ``query``, ``records_path``, paging parameters, ...
    """

    kind: SourceKind
    location: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Watermark:
    """Incremental reads: only rows whose ``column`` is greater than ``value``.

    Readers that can push the condition down (databases) do so; the loader
    filters the rest after conversion.
    """

    column: str
    value: Any


@dataclass(frozen=True)
class RejectedRow:
    """A source row that could not be split into the source's columns."""

    row: int
    raw: str
    reason_code: str
    reason: str


@dataclass(frozen=True)
class SourceBatch:
    """Rows read in one go.

    ``rows`` holds the source row number of each row of ``data`` (1-based data
    record number; for CSV and Excel, the line or sheet row a person sees,
    the header being row 1).
    """

    data: pa.RecordBatch
    rows: pa.Int64Array
    rejected: tuple[RejectedRow, ...] = ()


@dataclass
class ReadProgress:
    """How far a read has come; ``bytes_total`` is None when unknown."""

    rows_read: int = 0
    bytes_read: int = 0
    bytes_total: int | None = None


class SourceReader(Protocol):
    """An open source; close it (or use ``with``) when done."""

    @property
    def columns(self) -> list[str]:
        """Source column names in source order, known once opened."""
        ...

    @property
    def progress(self) -> ReadProgress: ...

    @property
    def pushes_down(self) -> bool:
        """True when ``where`` / ``watermark`` / ``limit`` were applied at the source."""
        ...

    def batches(self) -> Iterator[SourceBatch]: ...

    def close(self) -> None: ...

    def __enter__(self) -> SourceReader: ...

    def __exit__(self, *exc: object) -> None: ...
