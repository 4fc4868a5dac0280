"""The code validators over Arrow arrays (numpy, a scanned batch at a time).

The check digits of citizen IDs and credit codes are weighted sums over 17
characters; written as SQL they cost 17 substring calls per value, and as
DuckDB Python functions they would be called per 2,048-row vector and hold the
interpreter lock while DuckDB's other threads wait. So the engine computes
them while it scans, once per batch of about 131,000 rows, and hands DuckDB
their verdicts as extra boolean columns; every other predicate stays SQL and
runs on all cores. They are the same checks the loader quarantines with
(:mod:`govdata.aggregation.vectorized`), plus the GB 11714 organisation code
check inside a credit code.

The division editions are looked up the same way: the editions are reduced
once per evaluation to one row per code (the latest date it was valid until,
whether it is current) and every batch is matched against them with Arrow's
hash lookup (``index_in``), never row by row. A citizen ID is checked in one
call: shape, province, birth date (a real day, not before 1800, not after
today), check digit and, unless only the structure is asked for, its first
six digits against the editions (``current``, ``ever``, or ``valid_since``:
valid until a day after the birth date).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from govdata.aggregation import vectorized as vec
from govdata.orgs.codes import PROVINCE_PREFIXES

ID_NUMBER = "id_number"  # + "_" + division check: structure, current, ever, valid_since
CREDIT_CODE = "credit_code"
DIVISION_UNTIL = "gd_division_until"  # the latest day a division code was valid until
DIVISION_CHECKS = ("structure", "current", "ever", "valid_since")
_EPOCH = date(1970, 1, 1)
_NEVER = -(10**9)  # days since 1970 for a code that was never valid
_ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_THOUSANDS = np.array([1000, 100, 10, 1], dtype=np.int64)
_PROVINCES = np.zeros(100, dtype=np.bool_)
for _prefix in PROVINCE_PREFIXES:
    _PROVINCES[int(_prefix)] = True
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
# Character value in an organisation code: 0-9, then A=10 … Z=35.
_ORG_VALUE = np.full(256, 0, dtype=np.int64)
for _code in range(48, 58):
    _ORG_VALUE[_code] = _code - 48
for _code in range(65, 91):
    _ORG_VALUE[_code] = _code - 55
_ORG_CHECK = np.frombuffer(b"?123456789X0", dtype=np.uint8)  # index: 11 - sum % 11


def _text(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.cast(pa.string())


Validator = Callable[[pa.Array | pa.ChunkedArray], pa.Array]


def id_number_validator(division_check: str) -> str:
    """The name of the validator of citizen IDs with the given division check."""
    if division_check not in DIVISION_CHECKS:
        raise ValueError(division_check)
    return f"{ID_NUMBER}_{division_check}"


@dataclass(frozen=True)
class DivisionIndex:
    """The division editions, one entry per code: valid until (days since 1970), current."""

    codes: pa.Array
    until: npt.NDArray[np.int64]
    current: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, table: pa.Table | None) -> DivisionIndex:
        if table is None or table.num_rows == 0:
            return cls(pa.array([], pa.string()), np.zeros(0, np.int64), np.zeros(0, np.bool_))
        until = pc.fill_null(
            pc.cast(pc.cast(table.column("valid_until"), pa.date32()), pa.int32()), _NEVER
        )
        reduced = (
            pa.table(
                {
                    "code": pc.cast(table.column("code"), pa.string()),
                    "until": until,
                    "current": pc.fill_null(table.column("current"), False),
                }
            )
            .group_by("code")
            .aggregate([("until", "max"), ("current", "any")])
        )
        return cls(
            reduced.column("code").combine_chunks(),
            np.asarray(reduced.column("until_max").to_numpy(), dtype=np.int64),
            np.asarray(reduced.column("current_any").to_numpy(), dtype=np.bool_),
        )

    def positions(self, codes: pa.Array) -> npt.NDArray[np.int64]:
        """Each code's entry (-1 where the code is not in any edition, or null)."""
        found = pc.index_in(codes, value_set=self.codes)
        return np.asarray(pc.fill_null(found, -1).to_numpy(), dtype=np.int64)

    def until_days(self, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        if len(self.until) == 0:
            return np.full(len(positions), _NEVER, dtype=np.int64)
        return np.where(positions >= 0, self.until[np.maximum(positions, 0)], _NEVER)

    def is_current(self, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        if len(self.current) == 0:
            return np.zeros(len(positions), dtype=np.bool_)
        return (positions >= 0) & self.current[np.maximum(positions, 0)]

    def valid_until(self, values: pa.Array | pa.ChunkedArray) -> pa.Array:
        """The latest day each code was valid until (null where never valid, or null)."""
        text = _text(values)
        positions = self.positions(text)
        days = self.until_days(positions).astype(np.int32)
        return pa.array(days, pa.int32(), mask=positions < 0).cast(pa.date32())


def id_number_ok(
    values: pa.Array | pa.ChunkedArray,
    divisions: DivisionIndex | None = None,
    check: str = "structure",
    today: date | None = None,
) -> pa.Array:
    """GB 11643 format, province, calendar birth date (not before 1800, not after
    ``today``) and check digit; then the division ``check`` (nulls stay null).

    The same verdicts as :func:`govdata.aggregation.vectorized.id_number_failures`,
    computed in one pass over an (n, 18) byte matrix of the 18-byte values.
    """
    text = _text(values)
    columns = vec.TextColumn(text)
    ok = np.zeros(len(text), dtype=np.bool_)
    chosen, matrix = columns.of_length(18)
    if len(matrix):
        digits = matrix[:, :17] - np.uint8(48)  # wraps around below "0": > 9 too
        last = matrix[:, 17]
        good = (digits.max(axis=1) <= 9) & ((last - np.uint8(48) <= 9) | (last | 0x20 == 120))
        # Rows that are not digits give garbage below; ``good`` already rejects them.
        numbers = digits.astype(np.int64)
        year = numbers[:, 6:10] @ _THOUSANDS
        month = numbers[:, 10] * 10 + numbers[:, 11]
        day = numbers[:, 12] * 10 + numbers[:, 13]
        born, real_day = _calendar_days(year, month, day)
        limit = _days_since_epoch(today or date.today())  # noqa: DTZ011 (a calendar day)
        expected = _ID_CHECK[(numbers @ _ID_WEIGHTS) % 11]
        province = numbers[:, 0] * 10 + numbers[:, 1]
        good &= _PROVINCES[np.where(good, province, 0)]
        good &= real_day & (year >= 1800) & (born <= limit)
        good &= expected == np.where(last == ord("x"), np.uint8(ord("X")), last)
        if check != "structure":
            index = divisions or DivisionIndex.of(None)
            prefixes = pc.utf8_slice_codeunits(pc.filter(text, pa.array(chosen)), 0, 6)
            positions = index.positions(prefixes)
            if check == "current":
                good &= index.is_current(positions)
            elif check == "ever":
                good &= positions >= 0
            else:
                good &= index.until_days(positions) > born
        ok[chosen] = good
    return pa.array(ok, pa.bool_(), mask=np.asarray(text.is_null()))


def _days_since_epoch(day: date) -> int:
    return (day - _EPOCH).days


def _calendar_days(
    year: npt.NDArray[np.int64], month: npt.NDArray[np.int64], day: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Days since 1970-01-01 of (year, month, day) for years 0-9999, and whether it is
    a real calendar day (the proleptic Gregorian count, in integer arithmetic)."""
    month_ok = (month >= 1) & (month <= 12)
    safe_month = np.where(month_ok, month, 1)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    real = month_ok & (day >= 1) & (day <= _MONTH_DAYS[safe_month] + (leap & (safe_month == 2)))
    shifted = year - (safe_month <= 2)  # years counted from March
    era = shifted // 400
    of_era = shifted - era * 400
    of_year = (153 * np.where(safe_month > 2, safe_month - 3, safe_month + 9) + 2) // 5 + day - 1
    of_cycle = of_era * 365 + of_era // 4 - of_era // 100 + of_year
    return era * 146_097 + of_cycle - 719_468, real


def credit_code_ok(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """GB 32100 format and check character, and the GB 11714 check of positions 9-17."""
    text = _text(values)
    failures = vec.credit_code_failures(text)
    bad = failures["format"] | failures["check_char"]
    shaped = ~failures["format"] & np.asarray(vec.present(text))
    upper = pc.utf8_upper(text)
    chars = vec.fixed_width_bytes(upper, shaped, 18)
    if len(chars):
        body = _ORG_VALUE[chars[:, 8:16]]
        expected = _ORG_CHECK[11 - (body @ _ORG_WEIGHTS) % 11]
        org_bad = expected != chars[:, 16]
        scattered = np.zeros(len(text), dtype=np.bool_)
        scattered[shaped] = org_bad
        bad |= scattered
    return pa.array(~bad, pa.bool_(), mask=np.asarray(text.is_null()))


def validators(divisions: pa.Table | None, today: date) -> dict[str, Validator]:
    """The validators by name, the citizen ID ones bound to the division editions."""
    index = DivisionIndex.of(divisions)

    def id_check(division_check: str) -> Validator:
        return lambda values: id_number_ok(values, index, division_check, today)

    found: dict[str, Validator] = {CREDIT_CODE: credit_code_ok}
    for division_check in DIVISION_CHECKS:
        found[id_number_validator(division_check)] = id_check(division_check)
    return found


def register(connection: duckdb.DuckDBPyConnection, divisions: pa.Table | None) -> None:
    """Register the division lookup (``gd_division_until(code) -> DATE``) in DuckDB."""
    connection.create_function(  # type: ignore[call-overload]
        DIVISION_UNTIL,
        DivisionIndex.of(divisions).valid_until,
        ["VARCHAR"],
        "DATE",
        type="arrow",
        side_effects=False,
    )
