"""JSON records as text columns, shared by the JSON, JSON Lines and HTTP readers.

Values become text the way they are written in the document: strings stay as
they are, numbers keep their exact JSON text (``1.10`` stays ``1.10``, a
20-digit amount loses nothing), ``true``/``false`` are written out, ``null``
is null, and objects and arrays become compact JSON text. Columns are the
union of the records' keys in the order they were first seen.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from govdata.aggregation.sources.base import RAW_TEXT_LIMIT, RejectedRow, SourceBatch
from govdata.aggregation.sources.reading import Reader, numbered_batch, text_batch


class JsonNumber(str):
    """A JSON number kept as the text it was written with."""

    __slots__ = ()


# Numbers are kept as written rather than turned into floats, which would
# round long amounts and identifiers.
DECODER = json.JSONDecoder(parse_float=JsonNumber, parse_int=JsonNumber)


def loads(text: str) -> Any:
    """Parse a JSON document, numbers kept as :class:`JsonNumber` text."""
    return DECODER.decode(text)


def dotted_path(path: object) -> list[str]:
    """The keys of a dotted path option ("data.items" → ["data", "items"])."""
    return [key for key in str(path).split(".") if key] if path else []


def value_text(value: object) -> str | None:
    """The text of one JSON value (see the module docstring); None for null."""
    if value is None:
        return None
    if isinstance(value, str):
        return str(value) if isinstance(value, JsonNumber) else value
    return compact_json(value)


def compact_json(value: object) -> str:
    """Compact JSON text of a parsed value, numbers as they were written."""
    if isinstance(value, JsonNumber):
        return str(value)
    if isinstance(value, list):
        return "[" + ",".join(compact_json(item) for item in value) + "]"
    if isinstance(value, dict):
        members = (
            json.dumps(str(key), ensure_ascii=False) + ":" + compact_json(item)
            for key, item in value.items()
        )
        return "{" + ",".join(members) + "}"
    return json.dumps(value, ensure_ascii=False)  # text, null, true, false


def malformed_record(row: int, value: object, what: str) -> RejectedRow:
    """A rejected record that is not a JSON object."""
    raw = value if isinstance(value, str) and not isinstance(value, JsonNumber) else None
    return RejectedRow(
        row=row,
        raw=(raw if raw is not None else compact_json(value))[:RAW_TEXT_LIMIT],
        reason_code="malformed_record",
        reason=f"{what}不是JSON对象",
    )


class RecordColumns:
    """Turns lists of JSON objects into text record batches with growing columns.

    A key first seen in a later batch becomes a new column from that batch on
    (and stays in :attr:`names`), so the loader's schema drift check sees it;
    earlier batches simply lack it.
    """

    def __init__(self) -> None:
        self.names: list[str] = []
        self._index: dict[str, int] = {}

    def batch(
        self,
        records: Sequence[dict[str, Any]],
        rows: Sequence[int],
        rejected: Sequence[RejectedRow] = (),
    ) -> SourceBatch:
        count = len(records)
        values: list[list[str | None]] = [[None] * count for _ in self.names]
        for position, record in enumerate(records):
            for key, value in record.items():
                index = self._index.get(key)
                if index is None:
                    index = self._add(key)
                    values.append([None] * count)
                values[index][position] = value_text(value)
        return numbered_batch(
            text_batch(self.names, values, count), pa.array(rows, pa.int64()), rejected
        )

    def _add(self, key: str) -> int:
        self._index[key] = len(self.names)
        self.names.append(key)
        return self._index[key]


class FirstBatchReader(Reader):
    """A reader of JSON records that reads its first batch when opened, so that a
    source that cannot be read fails at once and the columns are known."""

    def __init__(self) -> None:
        super().__init__()
        self._record_columns = RecordColumns()
        self._first: SourceBatch | None = None

    def _read_first(self) -> None:
        try:
            self._first = self._next_batch()
        except BaseException:
            self.close()
            raise

    @property
    def columns(self) -> list[str]:
        return list(self._record_columns.names)

    def batches(self) -> Iterator[SourceBatch]:
        batch, self._first = self._first, None
        while batch is not None:
            yield batch
            batch = self._next_batch()

    def _next_batch(self) -> SourceBatch | None:  # pragma: no cover - subclasses read
        raise NotImplementedError
