"""Column-at-a-time parsing and standard checks over Arrow string arrays.

Every function takes an Arrow string array (already trimmed, empty values
null) and returns, for each element, either the parsed value or a failure
flag, without a Python loop over rows: a load of millions of rows spends its
time here. The per-value validators in :mod:`govdata.orgs.codes` are the
reference these are tested against.

Calendar dates are checked strictly (2023-02-30 is refused, not rolled over
to March as ``strptime`` would), using NumPy month arithmetic.
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
FORMULA_PATTERN = r"^(?:[=@\t\r]|[+-][^\d.\s])"
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


def _scatter(mask: BoolArray, sub: BoolArray) -> BoolArray:
    out = np.zeros(len(mask), dtype=np.bool_)
    out[mask] = sub
    return out


def _valid_ymd(
    years: npt.NDArray[np.int64], months: npt.NDArray[np.int64], days: npt.NDArray[np.int64]
) -> tuple[BoolArray, npt.NDArray[np.int64]]:
    """Whether (y, m, d) is a real calendar day, and its days since 1970-01-01."""
    month_ok = (months >= 1) & (months <= 12) & (years >= 1) & (years <= 9999)
    safe_months = np.where(month_ok, months, 1)
    safe_years = np.where(month_ok, years, 1970)
    month_index = (safe_years - 1970) * 12 + (safe_months - 1)
    first = month_index.astype("datetime64[M]").astype("datetime64[D]")
    following = (month_index + 1).astype("datetime64[M]").astype("datetime64[D]")
    length = (following - first).astype(np.int64)
    ok = month_ok & (days >= 1) & (days <= length)
    epoch_days = first.astype(np.int64) + np.where(ok, days - 1, 0)
    return ok, epoch_days


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


def parse_timestamps(values: pa.Array, *, date_only: bool) -> tuple[pa.Array, BoolArray]:
    """Parse dates or date-times; returns (date32 / timestamp[us] array, failed mask).

    Accepted: ``2024-01-05``, ``2024/1/5``, ``2024.01.05``, ``2024年1月5日``,
    ``20240105``, each optionally followed (for timestamps) by ``HH:MM[:SS[.ffffff]]``
    after a space or ``T`` (``20240105083000`` compact). A date column refuses a
    time part other than midnight.
    """
    size = len(values)
    given = present(values)
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
    failed = given & ~ok
    if date_only:
        days = (micros // 86_400_000_000).astype(np.int32)
        return pa.array(days, type=pa.int32(), mask=~ok).cast(pa.date32()), failed
    return pa.array(micros, type=pa.int64(), mask=~ok).cast(pa.timestamp("us")), failed


def id_number_failures(values: pa.Array) -> dict[str, BoolArray]:
    """GB 11643 problems by kind: ``format``, ``division``, ``birth_date``, ``check_digit``."""
    given = present(values)
    upper = pc.utf8_upper(values)
    shaped = matches(upper, r"^\d{17}[\dX]$")
    digits = fixed_width_bytes(upper, shaped, 18).astype(np.int64)
    body = digits[:, :17] - 48
    province = body[:, 0] * 10 + body[:, 1]
    division_ok = _PROVINCES[province]
    years = body[:, 6] * 1000 + body[:, 7] * 100 + body[:, 8] * 10 + body[:, 9]
    months = body[:, 10] * 10 + body[:, 11]
    days = body[:, 12] * 10 + body[:, 13]
    birth_ok, _ = _valid_ymd(years, months, days)
    expected = _ID_CHECK[(body @ _ID_WEIGHTS) % 11]
    check_ok = expected == digits[:, 17]
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


def division_code_failures(values: pa.Array) -> BoolArray:
    """GB/T 2260 structure: 6 digits (9 for townships), a real province prefix."""
    given = present(values)
    shaped = matches(values, r"^(?:\d{6}|\d{9})$")
    prefix = fixed_width_bytes(pc.utf8_slice_codeunits(values, 0, 2), shaped, 2).astype(np.int64)
    province_ok = _PROVINCES[(prefix[:, 0] - 48) * 10 + (prefix[:, 1] - 48)]
    structure = matches(
        values, r"^\d{2}(?:0000|(?:0[1-9]|[1-9]\d)\d{2}(?:00[1-9]|0[1-9]\d|[1-9]\d{2})?)$"
    )
    national = matches(values, r"^100000$")
    ok = national | (_scatter(shaped, province_ok) & structure)
    return given & ~ok
