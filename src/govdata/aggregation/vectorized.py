"""Column-at-a-time parsing and standard checks over Arrow string arrays.

Every function takes an Arrow string array (already trimmed, empty values
null) and returns, for each element, either the parsed value or a failure
flag, without a Python loop over rows: a load of millions of rows spends its
time here. The per-value validators in :mod:`govdata.orgs.codes` are the
reference these are tested against.

Calendar dates are checked strictly (2023-02-30 is refused, not rolled over
to March as ``strptime`` would), with integer calendar arithmetic.

Fixed-width shapes (18-character ID numbers, ``YYYY-MM-DD`` dates, 6- and
9-digit division codes, 11-digit mobile numbers) are read straight from the
string bytes as an (n, width) matrix; regular expressions are kept for the
other shapes, run over the few values that need them. A :class:`TextColumn`
can be built once per column and passed to every check of that column.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from govdata.orgs.codes import CREDIT_CODE_ALPHABET, PROVINCE_PREFIXES

BoolArray = npt.NDArray[np.bool_]

_DATE_SEPARATED = (
    r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?)?$"
)
_DATE_COMPACT = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2}))?$"

_ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
_CREDIT_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_CREDIT_VALUE = np.full(256, -1, dtype=np.int64)
for _value, _char in enumerate(CREDIT_CODE_ALPHABET):
    _CREDIT_VALUE[ord(_char)] = _value
_PROVINCES = np.zeros(100, dtype=np.bool_)
for _prefix in PROVINCE_PREFIXES:
    _PROVINCES[int(_prefix)] = True

PHONE_PATTERN = r"^(?:\+?86[- ]?)?(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$"
INTEGER_PATTERN = r"^[+-]?\d{1,18}$"
SEX_CODES = {
    "0": "0",
    "1": "1",
    "2": "2",
    "9": "9",
    "未知": "0",
    "男": "1",
    "女": "2",
    "未说明": "9",
}
TRUE_WORDS = ("true", "t", "yes", "y", "1", "是", "对", "真")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否", "错", "假")


def present(values: pa.Array) -> BoolArray:
    """True where a value is given (not null)."""
    if values.null_count == 0:
        return np.ones(len(values), dtype=np.bool_)
    return np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=np.bool_)


def matches(values: pa.Array, pattern: str) -> BoolArray:
    """True where a value is present and matches ``pattern`` (RE2 syntax)."""
    hit = pc.fill_null(pc.match_substring_regex(values, pattern), False)
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=np.bool_)


def fixed_width_bytes(values: pa.Array, mask: BoolArray, width: int) -> npt.NDArray[np.uint8]:
    """The bytes of the masked values, all of length ``width``, as an (n, width) matrix."""
    chosen = pc.filter(values, pa.array(mask))
    if isinstance(chosen, pa.ChunkedArray):
        chosen = chosen.combine_chunks()
    chosen = pc.cast(chosen, pa.string())
    count = len(chosen)
    if count == 0:
        return np.zeros((0, width), dtype=np.uint8)
    offsets = np.frombuffer(chosen.buffers()[1], dtype=np.int32, count=count + 1, offset=0)
    first = int(offsets[chosen.offset])
    data = np.frombuffer(chosen.buffers()[2], dtype=np.uint8)
    return data[first : first + count * width].reshape(count, width)


class TextColumn:
    """An Arrow string array seen as NumPy offsets and bytes, for byte-level checks."""

    def __init__(self, values: pa.Array) -> None:
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if not pa.types.is_string(values.type):
            values = pc.cast(values, pa.string())
        size = len(values)
        self.size = size
        self.valid = present(values)
        offset_buffer, data_buffer = values.buffers()[1], values.buffers()[2]
        if offset_buffer is None or size == 0:
            self.starts = np.zeros(size, dtype=np.int64)
            self.lengths = np.zeros(size, dtype=np.int64)
            self.data = np.zeros(1, dtype=np.uint8)
            return
        offsets = np.frombuffer(offset_buffer, dtype=np.int32)[
            values.offset : values.offset + size + 1
        ].astype(np.int64)
        self.starts = offsets[:-1]
        self.lengths = np.where(self.valid, offsets[1:] - offsets[:-1], 0)
        self.data = (
            np.frombuffer(data_buffer, dtype=np.uint8)
            if data_buffer is not None and data_buffer.size
            else np.zeros(1, dtype=np.uint8)
        )

    def of_length(self, width: int) -> tuple[BoolArray, npt.NDArray[np.uint8]]:
        """Which values are ``width`` bytes long, and their bytes as an (m, width) matrix."""
        chosen = self.lengths == width
        if not chosen.any() or len(self.data) < width:
            return np.zeros(self.size, dtype=np.bool_), np.zeros((0, width), dtype=np.uint8)
        # Each row of the window view is ``width`` bytes starting at a position:
        # taking whole rows copies far less than indexing byte by byte.
        windows = np.lib.stride_tricks.sliding_window_view(self.data, width)
        return chosen, windows[self.starts[chosen]]

    def byte_at(self, position: int) -> npt.NDArray[np.int16]:
        """Each value's byte at ``position`` (-1 where the value is shorter)."""
        at = self.starts + position
        np.minimum(at, len(self.data) - 1, out=at)
        return np.where(self.lengths > position, self.data[at], np.int16(-1))

    def last_byte(self) -> npt.NDArray[np.int16]:
        at = self.starts + self.lengths - 1
        np.clip(at, 0, len(self.data) - 1, out=at)
        return np.where(self.lengths > 0, self.data[at], np.int16(-1))


def _is_digit(matrix: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    return (matrix >= 48) & (matrix <= 57)


def _number(matrix: npt.NDArray[np.uint8], start: int, stop: int) -> npt.NDArray[np.int64]:
    """The decimal number written in columns ``start:stop`` (digits already checked)."""
    number = matrix[:, start].astype(np.int64) - 48
    for column in range(start + 1, stop):
        number *= 10
        number += matrix[:, column]
        number -= 48
    return number


def formula_like(values: pa.Array, text: TextColumn | None = None) -> BoolArray:
    """Text a spreadsheet would run as a formula: ``=``, ``@``, tab, CR, or ``+``/``-``
    followed by something other than a digit, point or space."""
    text = text or TextColumn(values)
    first, second = text.byte_at(0), text.byte_at(1)
    sign = (first == ord("+")) | (first == ord("-"))
    numeric_next = ((second >= 48) & (second <= 57)) | np.isin(second, (ord("."), 32, 9, -1))
    formula: BoolArray = np.isin(first, (ord("="), ord("@"), 9, 13)) | (sign & ~numeric_next)
    return formula


# Bytes that may begin or end whitespace: ASCII space and controls, and the lead
# or trail bytes of Unicode spaces (U+00A0, U+2000-U+200A, U+3000...).
_EDGE_SPACE = np.zeros(256, dtype=np.bool_)
_EDGE_SPACE[
    [
        9,
        10,
        11,
        12,
        13,
        32,
        0xC2,
        0xE2,
        0xE3,
        0xA0,
        0x80,
        0x81,
        0x82,
        0x83,
        0x84,
        0x85,
        0x86,
        0x87,
        0x88,
        0x89,
        0x8A,
        0xAF,
        0x9F,
    ]
] = True


def may_need_trim(values: pa.Array, text: TextColumn | None = None) -> bool:
    """False when no value can start or end with whitespace (trimming is then skipped)."""
    text = text or TextColumn(values)
    first, last = text.byte_at(0), text.last_byte()
    return bool(_EDGE_SPACE[first[first >= 0]].any() or _EDGE_SPACE[last[last >= 0]].any())


def _scatter(mask: BoolArray, sub: BoolArray) -> BoolArray:
    out = np.zeros(len(mask), dtype=np.bool_)
    out[mask] = sub
    return out


def _calendar_tables() -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.int64]
]:
    """Days from 1970-01-01 to 1 January of each year 0-9999, which years are
    leap years, and the days before each month (row 1 for leap years)."""
    years = np.arange(10_000, dtype=np.int64)
    leap = (years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))
    starts = np.cumsum(365 + leap.astype(np.int64)) - (365 + leap.astype(np.int64))
    starts -= starts[1970]
    lengths = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    before = np.zeros((2, 14), dtype=np.int64)
    before[0, 1:] = np.cumsum(lengths)
    before[1, 1:] = np.cumsum(lengths + (np.arange(13) == 2))
    return starts, leap, before


_YEAR_STARTS, _LEAP_YEARS, _DAYS_BEFORE_MONTH = _calendar_tables()


def _valid_ymd(
    years: npt.NDArray[np.int64], months: npt.NDArray[np.int64], days: npt.NDArray[np.int64]
) -> tuple[BoolArray, npt.NDArray[np.int64]]:
    """Whether (y, m, d) is a real calendar day, and its days since 1970-01-01."""
    month_ok = (months >= 1) & (months <= 12) & (years >= 1) & (years <= 9999)
    safe_months = np.where(month_ok, months, 1)
    safe_years = np.where(month_ok, years, 1970)
    leap = _LEAP_YEARS[safe_years].astype(np.int64)
    before = _DAYS_BEFORE_MONTH[leap, safe_months]
    length = _DAYS_BEFORE_MONTH[leap, safe_months + 1] - before
    ok = month_ok & (days >= 1) & (days <= length)
    return ok, _YEAR_STARTS[safe_years] + before + np.where(ok, days - 1, 0)


def _int_field(parts: pa.StructArray, name: str, default: int) -> npt.NDArray[np.int64]:
    field = parts.field(name)
    # Optional groups that did not take part come back as "" from RE2.
    field = pc.if_else(pc.equal(field, ""), None, field)
    ints = pc.fill_null(pc.cast(field, pa.int64()), default)
    return np.asarray(ints.to_numpy(zero_copy_only=False), dtype=np.int64)


def _split_datetime(
    values: pa.Array,
) -> tuple[BoolArray, BoolArray, pa.StructArray | None, pa.StructArray | None]:
    separated = matches(values, _DATE_SEPARATED)
    compact = matches(values, _DATE_COMPACT) & ~separated
    sep_parts = (
        cast(
            pa.StructArray,
            pc.extract_regex(pc.filter(values, pa.array(separated)), _DATE_SEPARATED),
        )
        if separated.any()
        else None
    )
    compact_parts = (
        cast(pa.StructArray, pc.extract_regex(pc.filter(values, pa.array(compact)), _DATE_COMPACT))
        if compact.any()
        else None
    )
    return separated, compact, sep_parts, compact_parts


def _fast_iso(
    text: TextColumn, *, date_only: bool
) -> tuple[BoolArray, BoolArray, npt.NDArray[np.int64]]:
    """``YYYY-MM-DD`` and ``YYYY-MM-DD HH:MM:SS`` (or ``T``) read straight from the bytes.

    Returns (shaped, valid, micros): which values have one of these shapes, which
    of those are real calendar days and clock times, and their microseconds.
    """
    shaped = np.zeros(text.size, dtype=np.bool_)
    valid = np.zeros(text.size, dtype=np.bool_)
    micros = np.zeros(text.size, dtype=np.int64)
    widths = (10,) if date_only else (10, 19)
    for width in widths:
        chosen, matrix = text.of_length(width)
        if not chosen.any():
            continue
        digits = _is_digit(matrix)
        ok = digits[:, [0, 1, 2, 3, 5, 6, 8, 9]].all(axis=1)
        ok &= (matrix[:, 4] == ord("-")) & (matrix[:, 7] == ord("-"))
        if width == 19:
            ok &= digits[:, [11, 12, 14, 15, 17, 18]].all(axis=1)
            ok &= np.isin(matrix[:, 10], (ord(" "), ord("T")))
            ok &= (matrix[:, 13] == ord(":")) & (matrix[:, 16] == ord(":"))
        good_days, days = _valid_ymd(
            _number(matrix, 0, 4), _number(matrix, 5, 7), _number(matrix, 8, 10)
        )
        total = days * 86_400_000_000
        if width == 19:
            hours, minutes, seconds = (
                _number(matrix, 11, 13),
                _number(matrix, 14, 16),
                _number(matrix, 17, 19),
            )
            good_days &= (hours <= 23) & (minutes <= 59) & (seconds <= 59)
            total += hours * 3_600_000_000 + minutes * 60_000_000 + seconds * 1_000_000
        index = np.flatnonzero(chosen)
        shaped[index] = ok
        valid[index] = ok & good_days
        micros[index] = total
    return shaped, valid, micros


def parse_timestamps(
    values: pa.Array, *, date_only: bool, text: TextColumn | None = None
) -> tuple[pa.Array, BoolArray]:
    """Parse dates or date-times; returns (date32 / timestamp[us] array, failed mask).

    Accepted: ``2024-01-05``, ``2024/1/5``, ``2024.01.05``, ``2024年1月5日``,
    ``20240105``, each optionally followed (for timestamps) by ``HH:MM[:SS[.ffffff]]``
    after a space or ``T`` (``20240105083000`` compact). A date column refuses a
    time part other than midnight. The ISO shapes are read straight from the
    bytes; only other shapes go through regular expressions.
    """
    text = text or TextColumn(values)
    given = text.valid
    shaped, ok, micros = _fast_iso(text, date_only=date_only)
    rest = given & ~shaped
    if rest.any():
        others = pc.filter(values, pa.array(rest))
        other_ok, other_micros = _parse_other_shapes(others, date_only=date_only)
        ok[rest] = other_ok
        micros[rest] = other_micros
    failed = given & ~ok
    if date_only:
        days = (micros // 86_400_000_000).astype(np.int32)
        return pa.array(days, type=pa.int32(), mask=~ok).cast(pa.date32()), failed
    return pa.array(micros, type=pa.int64(), mask=~ok).cast(pa.timestamp("us")), failed


def _parse_other_shapes(
    values: pa.Array, *, date_only: bool
) -> tuple[BoolArray, npt.NDArray[np.int64]]:
    size = len(values)
    micros = np.zeros(size, dtype=np.int64)
    ok = np.zeros(size, dtype=np.bool_)
    separated, compact, sep_parts, compact_parts = _split_datetime(values)
    for mask, parts in ((separated, sep_parts), (compact, compact_parts)):
        if parts is None:
            continue
        valid, day_numbers = _valid_ymd(
            _int_field(parts, "y", 0), _int_field(parts, "m", 0), _int_field(parts, "d", 0)
        )
        hours = _int_field(parts, "H", 0)
        minutes = _int_field(parts, "M", 0)
        seconds = _int_field(parts, "S", 0)
        if parts.type.get_field_index("f") >= 0:
            fraction_text = parts.field("f")
            padded = pc.utf8_rpad(
                pc.if_else(pc.equal(fraction_text, ""), "0", fraction_text), 6, "0"
            )
            fraction = np.asarray(
                pc.cast(padded, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64
            )
        else:
            fraction = np.zeros(len(hours), dtype=np.int64)
        valid &= (hours <= 23) & (minutes <= 59) & (seconds <= 59)
        if date_only:
            valid &= (hours == 0) & (minutes == 0) & (seconds == 0) & (fraction == 0)
        total = (
            day_numbers * 86_400_000_000
            + hours * 3_600_000_000
            + minutes * 60_000_000
            + seconds * 1_000_000
            + fraction
        )
        micros[mask] = total
        ok[mask] = valid
    return ok, micros


def id_number_failures(values: pa.Array, text: TextColumn | None = None) -> dict[str, BoolArray]:
    """GB 11643 problems by kind: ``format``, ``division``, ``birth_date``, ``check_digit``."""
    text = text or TextColumn(values)
    given = text.valid
    chosen, matrix = text.of_length(18)
    last = matrix[:, 17]
    good_shape = _is_digit(matrix[:, :17]).all(axis=1) & (
        _is_digit(matrix[:, 17:]).all(axis=1) | (last == ord("X")) | (last == ord("x"))
    )
    shaped = _scatter(chosen, good_shape)
    digits = matrix if good_shape.all() else matrix[good_shape]
    province = _number(digits, 0, 2)
    division_ok = _PROVINCES[province]
    birth_ok, _ = _valid_ymd(
        _number(digits, 6, 10), _number(digits, 10, 12), _number(digits, 12, 14)
    )
    weighted = np.zeros(len(digits), dtype=np.int64)
    for position in range(17):
        weighted += digits[:, position].astype(np.int64) * int(_ID_WEIGHTS[position])
    weighted -= 48 * int(_ID_WEIGHTS.sum())
    check_char = digits[:, 17]
    check_ok = _ID_CHECK[weighted % 11] == np.where(check_char == ord("x"), ord("X"), check_char)
    return {
        "format": given & ~shaped,
        "division": _scatter(shaped, ~division_ok),
        "birth_date": _scatter(shaped, division_ok & ~birth_ok),
        "check_digit": _scatter(shaped, division_ok & birth_ok & ~check_ok),
    }


def credit_code_failures(values: pa.Array) -> dict[str, BoolArray]:
    """GB 32100 problems by kind: ``format`` and ``check_char``."""
    given = present(values)
    upper = pc.utf8_upper(values)
    # Registration authority (1-9, A, N, Y), category, then a 6-digit division code.
    shaped = matches(upper, r"^[1-9ANY][0-9A-HJ-NPQRTUWXY]\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
    chars = fixed_width_bytes(upper, shaped, 18)
    numbers = _CREDIT_VALUE[chars]
    check = (31 - (numbers[:, :17] @ _CREDIT_WEIGHTS) % 31) % 31
    check_ok = check == numbers[:, 17]
    return {"format": given & ~shaped, "check_char": _scatter(shaped, ~check_ok)}


def division_code_failures(values: pa.Array, text: TextColumn | None = None) -> BoolArray:
    """GB/T 2260 structure: 6 digits (9 for townships), a real province prefix.

    Six digits are a province (``PP0000``), or a city or county under one (city
    part not ``00``); nine digits are a township under a city or county
    (township part not ``000``); ``100000`` is the country.
    """
    text = text or TextColumn(values)
    ok = np.zeros(text.size, dtype=np.bool_)
    for width in (6, 9):
        chosen, matrix = text.of_length(width)
        if not chosen.any():
            continue
        digits = np.asarray(_is_digit(matrix).all(axis=1), dtype=np.bool_)
        matrix = np.where(digits[:, None], matrix, np.uint8(ord("0")))
        province_ok = _PROVINCES[_number(matrix, 0, 2)]
        city, county = _number(matrix, 2, 4), _number(matrix, 4, 6)
        if width == 6:
            structure = (city != 0) | (county == 0)
            national = _number(matrix, 0, 6) == 100_000
        else:
            structure = (city != 0) & (_number(matrix, 6, 9) != 0)
            national = np.zeros(len(matrix), dtype=np.bool_)
        ok[chosen] = digits & ((province_ok & structure) | national)
    return text.valid & ~ok


def phone_failures(values: pa.Array, text: TextColumn | None = None) -> BoolArray:
    """Values that are not a mainland mobile or fixed-line number (:data:`PHONE_PATTERN`).

    Eleven-digit mobile numbers, nearly all values, are recognised from the
    bytes; the pattern runs over the rest only.
    """
    text = text or TextColumn(values)
    ok = np.zeros(text.size, dtype=np.bool_)
    chosen, matrix = text.of_length(11)
    if chosen.any():
        second = matrix[:, 1]
        mobile = _is_digit(matrix).all(axis=1) & (matrix[:, 0] == ord("1")) & (second >= ord("3"))
        ok[chosen] = mobile
    rest = text.valid & ~ok
    if rest.any():
        ok[rest] = matches(pc.filter(values, pa.array(rest)), PHONE_PATTERN)
    return text.valid & ~ok
