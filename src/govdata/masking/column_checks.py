"""Column-at-a-time versions of the strict checks in :mod:`govdata.masking.values`.

ID numbers, bank cards and compact mobile numbers are checked on the string
bytes with NumPy (via :class:`govdata.aggregation.vectorized.TextColumn`);
credit codes reuse :func:`govdata.aggregation.vectorized.credit_code_failures`.
Each function returns one boolean per value and agrees with the per-value
check on every value (the tests hold them to that).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from govdata.aggregation.vectorized import TextColumn, credit_code_failures
from govdata.masking.values import MOBILE_SEGMENTS, mobile_digits
from govdata.orgs.codes import PROVINCE_PREFIXES

BoolArray = npt.NDArray[np.bool_]
_Matrix = npt.NDArray[np.uint8]

_ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
_PROVINCE = np.zeros(100, dtype=np.bool_)
_PROVINCE[[int(prefix) for prefix in PROVINCE_PREFIXES]] = True
_SEGMENT = np.zeros(1000, dtype=np.bool_)
_SEGMENT[[int(segment) for segment in MOBILE_SEGMENTS]] = True
_DECORATED_MOBILE = r"^(?:\+?86)?[- ]?1\d{2}[- ]?\d{4}[- ]?\d{4}$"
_ISSUER_DIGITS = np.frombuffer(b"34569", dtype=np.uint8)
_DAYS_IN_MONTH = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _digits(matrix: _Matrix) -> BoolArray:
    result: BoolArray = (matrix >= ord("0")) & (matrix <= ord("9"))
    return result


def _number(matrix: _Matrix, start: int, stop: int) -> npt.NDArray[np.int64]:
    number = np.zeros(len(matrix), dtype=np.int64)
    for column in range(start, stop):
        number = number * 10 + (matrix[:, column].astype(np.int64) - ord("0"))
    return number


def _real_days(
    year: npt.NDArray[np.int64], month: npt.NDArray[np.int64], day: npt.NDArray[np.int64]
) -> BoolArray:
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12) & (year >= 1)
    longest = _DAYS_IN_MONTH[np.where(month_ok, month, 0)] - ((month == 2) & ~leap)
    ok: BoolArray = month_ok & (day >= 1) & (day <= longest)
    return ok


def _scatter(size: int, chosen: BoolArray, sub: BoolArray) -> BoolArray:
    out = np.zeros(size, dtype=np.bool_)
    out[chosen] = sub
    return out


def id_numbers(text: TextColumn) -> BoolArray:
    """GB 11643: 17 digits and a check character, a real province and division
    structure, a real birth date and the right check character."""
    chosen, matrix = text.of_length(18)
    if not chosen.any():
        return np.zeros(text.size, dtype=np.bool_)
    last = matrix[:, 17]
    upper_last = np.where(last == ord("x"), np.uint8(ord("X")), last)
    shaped = _digits(matrix[:, :17]).all(axis=1) & (_digits(last) | (upper_last == ord("X")))
    safe = np.where(shaped[:, None], matrix, np.uint8(ord("0")))
    city, county = _number(safe, 2, 4), _number(safe, 4, 6)
    division = _PROVINCE[_number(safe, 0, 2)] & ((city != 0) | (county == 0))
    born = _real_days(_number(safe, 6, 10), _number(safe, 10, 12), _number(safe, 12, 14))
    weighted = (safe[:, :17].astype(np.int64) - ord("0")) @ _ID_WEIGHTS
    check = _ID_CHECK[weighted % 11] == upper_last
    return _scatter(text.size, chosen, shaped & division & born & check)


def bank_cards(text: TextColumn) -> BoolArray:
    """16-19 digits, an issuer digit (3-6 or 9), a valid Luhn digit."""
    result = np.zeros(text.size, dtype=np.bool_)
    for width in range(16, 20):
        chosen, matrix = text.of_length(width)
        if not chosen.any():
            continue
        shaped = _digits(matrix).all(axis=1) & np.isin(matrix[:, 0], _ISSUER_DIGITS)
        digits = matrix.astype(np.int64) - ord("0")
        # From the right, every second digit is doubled (the check digit is not).
        doubled = np.zeros(width, dtype=np.bool_)
        doubled[width - 2 :: -2] = True
        twice = digits[:, doubled] * 2
        total = digits[:, ~doubled].sum(axis=1) + (twice - 9 * (twice > 9)).sum(axis=1)
        result[chosen] = shaped & (total % 10 == 0)
    return result


def mobiles(values: pa.Array, text: TextColumn) -> BoolArray:
    """Allocated mobile segments: compact 11-digit values from the bytes, decorated
    ones (``+86``, spaces, hyphens) one distinct value at a time."""
    result = np.zeros(text.size, dtype=np.bool_)
    chosen, matrix = text.of_length(11)
    if chosen.any():
        shaped = np.asarray(_digits(matrix).all(axis=1), dtype=np.bool_)
        safe = np.where(shaped[:, None], matrix, np.uint8(ord("0")))
        result[chosen] = shaped & _SEGMENT[_number(safe, 0, 3)]
    rest = text.valid & ~chosen
    if rest.any():
        others = pc.filter(values, pa.array(rest))
        result[rest] = prefiltered(
            others, _DECORATED_MOBILE, lambda value: mobile_digits(value) is not None
        )
    return result


def credit_codes(values: pa.Array) -> BoolArray:
    failures = credit_code_failures(values)
    valid = np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=np.bool_)
    ok: BoolArray = valid & ~failures["format"] & ~failures["check_char"]
    return ok


def prefiltered(values: pa.Array, pattern: str, check: Callable[[str], bool]) -> BoolArray:
    """``check`` on the distinct values that match ``pattern`` (RE2), False elsewhere.

    The pattern is a cheap necessary condition run by Arrow over the column, so
    that the Python check sees only the values that may pass it.
    """
    candidates = np.asarray(
        pc.fill_null(pc.match_substring_regex(values, pattern), False).to_numpy(
            zero_copy_only=False
        ),
        dtype=np.bool_,
    )
    result = np.zeros(len(values), dtype=np.bool_)
    if candidates.any():
        result[candidates] = per_value(pc.filter(values, pa.array(candidates)), check)
    return result


def per_value(values: pa.Array, check: Callable[[str], bool]) -> BoolArray:
    """``check`` run once per distinct value, spread back over the column."""
    encoded = pc.dictionary_encode(values)
    verdicts = pa.array([check(value) for value in encoded.dictionary.to_pylist()], pa.bool_())
    taken = pc.fill_null(pc.take(verdicts, encoded.indices), False)
    return np.asarray(taken.to_numpy(zero_copy_only=False), dtype=np.bool_)
