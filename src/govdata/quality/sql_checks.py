"""The code validators for scans DuckDB runs itself, on every core.

When no column a rule set needs is encrypted, the engine lets DuckDB read the
version's files directly; computing the check digits in NumPy would force
every row through one Python thread again. So:

- **Citizen IDs are checked in SQL.** The first 16 characters read as one
  hexadecimal number put each digit in its own 4 bits (``'0x' || substr(v, 1,
  16)``): the shape (every 4-bit digit at most 9), province, birth date, check
  digit and the six-digit division prefix are then shifts and masks on one
  integer, not a substring per digit. The birth date and the editions'
  valid-until days are compared as ``yyyymmdd`` in the same 4-bit digits (BCD),
  which order like the dates they write. The division editions are joined on
  the prefix, reduced to one row per code (:class:`.vectorized.DivisionIndex`).
- **Credit codes are checked by the NumPy validator over the column's distinct
  values**, and a row is tested for membership in the refused ones: a table of
  people names few employers, and a table of enterprises pays one extra hash
  aggregation, still on every core.

:mod:`.vectorized` stays the reference: ``tests/quality/test_sql_checks.py``
proves the SQL gives its verdicts on generated values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pyarrow as pa

from govdata.orgs.codes import PROVINCE_PREFIXES
from govdata.quality.vectorized import ID_NUMBER, DivisionIndex

_EPOCH = date(1970, 1, 1)
_NEVER_BCD = 0  # below every birth date: a code never valid
_DIGITS_ONLY = int("1" * 16, 16)  # the lowest bit of each of 16 four-bit digits
_YEAR_1800_BCD = 0x18000000


def bcd(digits: str) -> int:
    """``digits`` (0-9 only) as a number with 4 bits per digit: "19900307" → 0x19900307."""
    return int(digits, 16)


def division_table(index: DivisionIndex) -> pa.Table:
    """The editions' index for SQL: six-digit code, valid until and current, in BCD
    (the columns named ``_gd_…``, apart from any table column)."""
    codes: list[int] = []
    until: list[int] = []
    current: list[bool] = []
    for position, code in enumerate(index.codes.to_pylist()):
        if code is None or len(code) != 6 or not code.isascii() or not code.isdigit():
            continue  # a citizen ID's first six characters can match six digits only
        days = int(index.until[position])
        codes.append(bcd(code))
        until.append(_until_bcd(days))
        current.append(bool(index.current[position]))
    return pa.table(
        {
            "_gd_code": pa.array(codes, pa.uint64()),
            "_gd_until": pa.array(until, pa.uint64()),
            "_gd_current": pa.array(current, pa.bool_()),
        }
    )


def _until_bcd(days: int) -> int:
    try:
        day = _EPOCH + timedelta(days=days)
    except OverflowError:
        return _NEVER_BCD
    if day.year < 1:
        return _NEVER_BCD
    return bcd(f"{day:%Y%m%d}")


@dataclass(frozen=True)
class SqlVerdict:
    """A verdict column computed by DuckDB: ``layers`` of helper columns, each layer
    over the row and the layers before it (so each helper is computed once), then
    optional ``joins`` on them, then the boolean ``verdict``."""

    layers: list[list[str]] = field(default_factory=list)  # "expression AS name"
    joins: list[str] = field(default_factory=list)  # "LEFT JOIN … ON …"
    verdict: str = "NULL"


def division_mode(validator: str) -> str:
    """The division check of a citizen ID validator's name (see :func:`id_number_validator`)."""
    return validator.removeprefix(ID_NUMBER + "_")


def _lanes(width: int) -> int:
    """A mask of the low ``width`` bits of every ``2 * width``-bit lane of 64 bits."""
    lane = (1 << width) - 1
    return sum(lane << shift for shift in range(0, 64, 2 * width))


def _binary_reading(number: str, tag: str) -> list[list[str]]:
    """Layers ending in ``_gd_t_<tag>``: the 16 four-bit digits of ``number`` read as a
    number in base 2 (the sum of digit i times 2^(15 - i)), in four steps that each
    merge neighbouring lanes: hi * 2^k + lo, k = 1, 2, 4, 8. No lane overflows (at most
    9 * (2^16 - 1))."""
    layers: list[list[str]] = []
    previous = number
    for step, width in enumerate((4, 8, 16, 32)):
        name = f"_gd_t{step}_{tag}" if width < 32 else f"_gd_t_{tag}"
        mask = _lanes(width)
        merged = f"(({previous} >> {width}) & {mask}) * {2 ** (width // 4)} + ({previous} & {mask})"
        layers.append([f"{merged} AS {name}"])
        previous = name
    return layers


def id_number_sql(
    tag: str, value: str, *, division_check: str, today: date, divisions: str
) -> SqlVerdict:
    """The GB 11643 verdict of :func:`.vectorized.id_number_ok` as SQL.

    ``tag`` makes the helper columns' names unique, ``value`` is the text to
    check, ``divisions`` the registered :func:`division_table`. The check digit
    uses that the weights are 2^(17 - i) mod 11: the sum is 4 × (the first 16
    digits read in base 2) + 2 × the 17th digit, mod 11.
    """
    number, c17, c18 = f"_gd_h_{tag}", f"_gd_c17_{tag}", f"_gd_c18_{tag}"
    shape, born = f"_gd_shape_{tag}", f"_gd_born_{tag}"
    month, day, province = f"_gd_m_{tag}", f"_gd_d_{tag}", f"_gd_p_{tag}"
    first = [
        (
            f"CASE WHEN strlen({value}) = 18 THEN "
            f"try_cast('0x' || substr({value}, 1, 16) AS UBIGINT) END AS {number}"
        ),
        f"substr({value}, 17, 1) AS {c17}",
        f"substr({value}, 18, 1) AS {c18}",
    ]
    parts = [
        (
            f"(({number} >> 3) & (({number} >> 2) | ({number} >> 1)) & {_DIGITS_ONLY}) = 0"
            f" AND {c17} BETWEEN '0' AND '9'"
            f" AND ({c18} BETWEEN '0' AND '9' OR {c18} IN ('X', 'x')) AS {shape}"
        ),
        f"({number} >> 8) & {0xFFFFFFFF} AS {born}",
        f"({number} >> 16) & 255 AS {month}",
        f"({number} >> 8) & 255 AS {day}",
        f"{number} >> 56 AS {province}",
    ]
    binary = _binary_reading(number, tag)
    layers = [first, parts + binary[0][:1], *binary[1:]]
    verdict_parts = [
        shape,
        _province_sql(province),
        _real_day_sql(f"({number} >> 24) & 65535", month, day),
        f"{born} >= {_YEAR_1800_BCD} AND {born} <= {bcd(f'{today:%Y%m%d}')}",
        _check_digit_sql(f"_gd_t_{tag}", c17, c18),
    ]
    joins: list[str] = []
    if division_check != "structure":
        alias = f"_gd_dv_{tag}"
        joins.append(f"LEFT JOIN {divisions} AS {alias} ON {alias}._gd_code = ({number} >> 40)")
        if division_check == "current":
            verdict_parts.append(f"coalesce({alias}._gd_current, FALSE)")
        elif division_check == "ever":
            verdict_parts.append(f"{alias}._gd_code IS NOT NULL")
        else:
            verdict_parts.append(f"coalesce({alias}._gd_until, {_NEVER_BCD}) > {born}")
    every = " AND ".join(f"({part})" for part in verdict_parts)
    verdict = f"CASE WHEN {value} IS NULL THEN NULL ELSE coalesce({every}, FALSE) END"
    return SqlVerdict(layers=layers, joins=joins, verdict=verdict)


def _province_sql(province: str) -> str:
    """The two four-bit digits in ``province`` name a province (a 64-bit mask per half)."""
    low = sum(1 << bcd(p) for p in PROVINCE_PREFIXES if bcd(p) < 64)
    high = sum(1 << (bcd(p) - 64) for p in PROVINCE_PREFIXES if 64 <= bcd(p) < 128)
    above = [bcd(p) for p in sorted(PROVINCE_PREFIXES) if bcd(p) >= 128]
    top = " OR ".join(f"{province} = {p}" for p in above) or "FALSE"
    return (
        f"CASE WHEN {province} < 64 THEN (({low}::UBIGINT >> {province}) & 1) = 1"
        f" WHEN {province} < 128 THEN (({high}::UBIGINT >> ({province} - 64)) & 1) = 1"
        f" ELSE {top} END"
    )


def _real_day_sql(year_bcd: str, month: str, day: str) -> str:
    """A real calendar day, from four-bit digits (all 0-9): months 01-12, days from 01
    to the month's end; the year is read only for 29 February."""
    long_months = sum(1 << bcd(f"{m:02d}") for m in (1, 3, 5, 7, 8, 10, 12))
    year = " + ".join(f"(({year_bcd} >> {4 * (3 - k)}) & 15) * {10 ** (3 - k)}" for k in range(4))
    leap = f"(({year}) % 4 = 0 AND (({year}) % 100 <> 0 OR ({year}) % 400 = 0))"
    return (
        f"{month} BETWEEN 1 AND {bcd('12')} AND {day} >= 1 AND ({day} <= {bcd('28')} OR"
        f" CASE WHEN {month} = 2 THEN {day} = {bcd('29')} AND {leap}"
        f" ELSE {day} <= {bcd('30')} OR ({day} = {bcd('31')}"
        f" AND (({long_months}::UBIGINT >> {month}) & 1) = 1) END)"
    )


def _check_digit_sql(binary: str, c17: str, c18: str) -> str:
    total = f"(CAST({binary} AS BIGINT) * 4 + (ascii({c17}) - 48) * 2)"
    given = f"(CASE WHEN {c18} IN ('X', 'x') THEN 10 ELSE ascii({c18}) - 48 END)"
    return f"(12 - {total} % 11) % 11 = {given}"
