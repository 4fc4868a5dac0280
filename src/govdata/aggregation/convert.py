"""Converting source batches to the declared columns, quarantining what fails.

Each declared column is converted a whole column at a time. A row with any
problem (required value missing, value too long, formula-looking text, not
of the declared type, failing its standard check) goes to quarantine with
every reason, its source row number and its source values as text; it never
reaches the table and is never dropped silently. Rows the reader could not
split into columns (ragged lines) join the quarantine with their raw text.

Text is trimmed and an empty value is null. Formula-looking text (starting
with ``=``, ``@``, a tab, a carriage return, or ``+``/``-`` followed by
something other than a number) is refused: stored, it would run as a formula
in whoever opens an export in a spreadsheet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govdata.aggregation import vectorized as vec
from govdata.aggregation.columns import Check, ColumnSpec, ColumnType, arrow_schema
from govdata.aggregation.sources.base import RAW_TEXT_LIMIT, RejectedRow, SourceBatch

ROW = "_gd_row"
REASON_CODES = "_gd_reason_codes"
REASONS = "_gd_reasons"
RAW = "_gd_raw"

REASON_MESSAGES = {
    "required": "必填项为空",
    "too_long": "超过最大长度",
    "formula_like": "疑似公式（以 = @ + - 等开头），为防止公式注入不予入库",
    "not_integer": "不是整数",
    "not_decimal": "不是数值",
    "decimal_out_of_range": "数值的整数位或小数位超出定义",
    "not_date": "不是有效日期",
    "not_timestamp": "不是有效的日期时间",
    "not_boolean": "不是“是/否”值",
    "id_number_format": "公民身份号码应为17位数字加1位数字或X",
    "id_number_division": "公民身份号码的前两位不是有效的省级代码",
    "id_number_birth_date": "公民身份号码中的出生日期无效",
    "id_number_check_digit": "公民身份号码校验码错误",
    "credit_code_format": (
        "统一社会信用代码格式错误（18位，首位为登记管理部门代码，第3–8位为区划代码）"
    ),
    "credit_code_check_char": "统一社会信用代码校验码错误",
    "division_code": "不是有效的行政区划代码",
    "phone": "不是有效的电话号码",
    "sex": "不是有效的性别代码（0 未知、1 男、2 女、9 未说明）",
    "ragged_row": "字段数与表头不一致",
    "malformed_record": "记录格式错误",
    "missing_column": "数据源缺少该列",
}


def quarantine_schema(source_columns: Sequence[str]) -> pa.Schema:
    fields = [
        pa.field(ROW, pa.int64()),
        pa.field(REASON_CODES, pa.string()),
        pa.field(REASONS, pa.string()),
        pa.field(RAW, pa.string()),
    ]
    fields += [pa.field(name, pa.string()) for name in source_columns]
    return pa.schema(fields)


@dataclass(frozen=True)
class Converted:
    good: pa.Table
    quarantined: pa.Table | None
    reason_counts: dict[str, int]

    @property
    def quarantined_rows(self) -> int:
        return 0 if self.quarantined is None else self.quarantined.num_rows


class _Problems:
    """Per-row reasons collected column by column; the first problem of a column wins.

    Masks are kept as they come; the reason texts are built only for the rows
    that have a problem (a few per cent), one Python string per bad row.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.found: list[tuple[ColumnSpec, str, vec.BoolArray]] = []
        self.counts: dict[str, int] = {}

    def add_column(self, column: ColumnSpec, failures: list[tuple[str, vec.BoolArray]]) -> None:
        taken = np.zeros(self.size, dtype=np.bool_)
        for code, mask in failures:
            fresh = mask & ~taken
            count = int(fresh.sum())
            if count == 0:
                continue
            taken |= fresh
            self.counts[code] = self.counts.get(code, 0) + count
            self.found.append((column, code, fresh))

    def bad_rows(self) -> vec.BoolArray:
        bad = np.zeros(self.size, dtype=np.bool_)
        for _, _, mask in self.found:
            bad |= mask
        return bad

    def texts(self, bad: vec.BoolArray) -> tuple[list[str], list[str]]:
        """Codes and Chinese reasons of the bad rows, in row order."""
        index = np.flatnonzero(bad)
        position = np.full(self.size, -1, dtype=np.int64)
        position[index] = np.arange(len(index))
        codes: list[list[str]] = [[] for _ in index]
        messages: list[list[str]] = [[] for _ in index]
        for column, code, mask in self.found:
            label = f"{column.name}（{column.label}）" if column.label else column.name
            code_text = f"{column.name}:{code}"
            message = f"{label}：{REASON_MESSAGES[code]}"
            for at in position[mask]:
                codes[at].append(code_text)
                messages[at].append(message)
        return [";".join(c) for c in codes], ["；".join(m) for m in messages]


def _as_text(values: pa.Array) -> tuple[pa.Array, vec.TextColumn]:
    """The values as trimmed text, empty values null, with their byte view."""
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        if pa.types.is_binary(values.type) or pa.types.is_large_binary(values.type):
            values = pc.cast(values, pa.string(), safe=False)
        else:
            values = pc.cast(values, pa.string())
    values = pc.cast(values, pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = vec.TextColumn(values)
    if vec.may_need_trim(values, text):
        values = pc.utf8_trim_whitespace(values)
        text = vec.TextColumn(values)
    blank = text.valid & (text.lengths == 0)
    if blank.any():
        values = pc.if_else(pa.array(blank), None, values)
        text = vec.TextColumn(values)
    return values, text


def _text_failures(
    column: ColumnSpec, text: pa.Array, columns: vec.TextColumn
) -> list[tuple[str, vec.BoolArray]]:
    failures: list[tuple[str, vec.BoolArray]] = []
    if column.required:
        failures.append(("required", ~columns.valid))
    # A value of at most max_length bytes has at most max_length characters.
    long_bytes = columns.lengths > column.max_length
    if long_bytes.any():
        lengths = pc.fill_null(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False)
        failures.append(("too_long", np.asarray(lengths > column.max_length, dtype=np.bool_)))
    if column.type is ColumnType.STRING:
        failures.append(("formula_like", vec.formula_like(text, columns)))
    return failures


def _check_failures(
    check: Check, text: pa.Array, columns: vec.TextColumn
) -> list[tuple[str, vec.BoolArray]]:
    match check:
        case Check.ID_NUMBER:
            found = vec.id_number_failures(text, columns)
            return [(f"id_number_{kind}", mask) for kind, mask in found.items()]
        case Check.CREDIT_CODE:
            found = vec.credit_code_failures(text)
            return [(f"credit_code_{kind}", mask) for kind, mask in found.items()]
        case Check.DIVISION_CODE:
            return [("division_code", vec.division_code_failures(text, columns))]
        case Check.PHONE:
            return [("phone", vec.phone_failures(text, columns))]
        case Check.SEX:
            known = pc.is_in(text, value_set=pa.array(list(vec.SEX_CODES)))
            bad = columns.valid & ~np.asarray(
                pc.fill_null(known, False).to_numpy(zero_copy_only=False), dtype=np.bool_
            )
            return [("sex", bad)]


def _normalise_for_check(
    check: Check | None, text: pa.Array, columns: vec.TextColumn
) -> tuple[pa.Array, vec.TextColumn]:
    if check in (Check.ID_NUMBER, Check.CREDIT_CODE):
        # Upper-casing only changes values holding a lower-case ASCII letter.
        if not ((columns.data >= ord("a")) & (columns.data <= ord("z"))).any():
            return text, columns
        upper = pc.utf8_upper(text)
        return upper, vec.TextColumn(upper)
    if check is Check.SEX:
        keys = pa.array(list(vec.SEX_CODES))
        codes = pa.array(list(vec.SEX_CODES.values()))
        index = pc.index_in(text, value_set=keys)
        mapped = pc.take(codes, index)
        normalised = pc.if_else(pc.is_valid(index), mapped, text)
        return normalised, vec.TextColumn(normalised)
    return text, columns


def _decimal(
    column: ColumnSpec, text: pa.Array
) -> tuple[pa.Array, list[tuple[str, vec.BoolArray]]]:
    whole = column.precision - column.scale
    grouped = pc.fill_null(
        pc.match_substring_regex(text, r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"), False
    )
    plain = pc.if_else(grouped, pc.replace_substring(text, ",", ""), text)
    numeric = vec.matches(plain, r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
    pattern = (
        rf"^[+-]?0*\d{{0,{whole}}}(?:\.\d{{0,{column.scale}}}0*)?$"
        if column.scale
        else rf"^[+-]?0*\d{{0,{whole}}}(?:\.0*)?$"
    )
    fits = vec.matches(plain, pattern)
    usable = numeric & fits
    values = pc.cast(pc.if_else(pa.array(usable), plain, None), column.arrow_type(), safe=False)
    given = vec.present(text)
    return values, [("not_decimal", given & ~numeric), ("decimal_out_of_range", numeric & ~fits)]


def _boolean(text: pa.Array) -> tuple[pa.Array, list[tuple[str, vec.BoolArray]]]:
    lowered = pc.utf8_lower(text)
    truthy = pc.is_in(lowered, value_set=pa.array(vec.TRUE_WORDS))
    falsy = pc.is_in(lowered, value_set=pa.array(vec.FALSE_WORDS))
    known = pc.or_(truthy, falsy)
    values = pc.if_else(known, truthy, None)
    bad = vec.present(text) & ~np.asarray(
        pc.fill_null(known, False).to_numpy(zero_copy_only=False), dtype=np.bool_
    )
    return values, [("not_boolean", bad)]


def _typed_from_text(
    column: ColumnSpec, text: pa.Array, columns: vec.TextColumn
) -> tuple[pa.Array, list[tuple[str, vec.BoolArray]]]:
    match column.type:
        case ColumnType.STRING:
            return text, []
        case ColumnType.INTEGER:
            ok = vec.matches(text, vec.INTEGER_PATTERN)
            values = pc.cast(pc.if_else(pa.array(ok), text, None), pa.int64())
            return values, [("not_integer", vec.present(text) & ~ok)]
        case ColumnType.DECIMAL:
            return _decimal(column, text)
        case ColumnType.DATE:
            values, failed = vec.parse_timestamps(text, date_only=True, text=columns)
            return values, [("not_date", failed)]
        case ColumnType.TIMESTAMP:
            values, failed = vec.parse_timestamps(text, date_only=False, text=columns)
            return values, [("not_timestamp", failed)]
        case ColumnType.BOOLEAN:
            return _boolean(text)


def _native(column: ColumnSpec, values: pa.Array) -> pa.Array | None:
    """The values in the declared type without going through text, when lossless."""
    target = column.arrow_type()
    if column.type is ColumnType.STRING or column.check is not None:
        return None
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        return None
    if pa.types.is_timestamp(values.type) and values.type.tz is not None:
        values = pc.local_timestamp(pc.cast(values, pa.timestamp("us", tz="Asia/Shanghai")))
    if values.type == target:
        return values
    try:
        return pc.cast(values, target, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


class BatchConverter:
    """Converts batches of one source to the declared columns."""

    def __init__(self, columns: Sequence[ColumnSpec]) -> None:
        self.columns = list(columns)
        self.schema = arrow_schema(self.columns)

    def convert(self, batch: SourceBatch) -> Converted:
        data = batch.data
        size = data.num_rows
        problems = _Problems(size)
        arrays: list[pa.Array] = []
        present_names = set(data.schema.names)
        for column in self.columns:
            if column.source_name not in present_names:
                arrays.append(pa.nulls(size, column.arrow_type()))
                if column.required:
                    problems.add_column(column, [("missing_column", np.ones(size, np.bool_))])
                continue
            source = data.column(column.source_name)
            native = _native(column, source)
            if native is not None:
                if column.required:
                    problems.add_column(column, [("required", ~vec.present(native))])
                arrays.append(native)
                continue
            text, columns = _normalise_for_check(column.check, *_as_text(source))
            failures = _text_failures(column, text, columns)
            typed, type_failures = _typed_from_text(column, text, columns)
            failures += type_failures
            if column.check is not None:
                failures += _check_failures(column.check, text, columns)
            problems.add_column(column, failures)
            arrays.append(typed)
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        rejected = _rejected_table(batch.rejected, data.schema.names)
        bad = problems.bad_rows()
        if not bad.any():
            good = table
            quarantined = rejected
        else:
            codes, messages = problems.texts(bad)
            good = table.filter(pa.array(~bad))
            found = _quarantine_rows(batch, bad, codes, messages)
            quarantined = found if rejected is None else _concat(found, rejected)
        counts = dict(problems.counts)
        for row in batch.rejected:
            counts[row.reason_code] = counts.get(row.reason_code, 0) + 1
        return Converted(good=good.combine_chunks(), quarantined=quarantined, reason_counts=counts)


def _quarantine_rows(
    batch: SourceBatch, bad: vec.BoolArray, codes: list[str], messages: list[str]
) -> pa.Table:
    names = batch.data.schema.names
    where = pa.array(bad)
    arrays: list[pa.Array] = [
        pc.filter(batch.rows, where),
        pa.array(codes, pa.string()),
        pa.array(messages, pa.string()),
        pa.nulls(len(codes), pa.string()),
    ]
    for name in names:
        column = pc.filter(batch.data.column(name), where)
        text = pc.cast(column, pa.string(), safe=False)
        arrays.append(pc.utf8_slice_codeunits(text, 0, RAW_TEXT_LIMIT))
    return pa.Table.from_arrays(arrays, schema=quarantine_schema(names))


def _rejected_table(rows: Sequence[RejectedRow], names: Sequence[str]) -> pa.Table | None:
    if not rows:
        return None
    count = len(rows)
    arrays: list[pa.Array] = [
        pa.array([row.row for row in rows], pa.int64()),
        pa.array([f"*:{row.reason_code}" for row in rows], pa.string()),
        pa.array([row.reason for row in rows], pa.string()),
        pa.array([row.raw[:RAW_TEXT_LIMIT] for row in rows], pa.string()),
    ]
    arrays += [pa.nulls(count, pa.string()) for _ in names]
    return pa.Table.from_arrays(arrays, schema=quarantine_schema(names))


def _concat(first: pa.Table, second: pa.Table) -> pa.Table:
    return pa.concat_tables([first, second]).sort_by(ROW)
