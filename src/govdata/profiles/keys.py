"""Vectorised validation of the keys exact linking trusts.

A record links on its key only if the key passes the same checks as
:func:`govdata.orgs.codes.check_id_number` (GB 11643: 17 digits and a check
character, a plausible division prefix, a real birth date) or
:func:`govdata.orgs.codes.check_credit_code` (GB 32100: alphabet, registration
authority, division digits, check character). A key that fails is not a key:
the record is linked like a record without one. The checks run over a whole
Arrow column with NumPy, because sources hold millions of rows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from govdata.orgs.codes import (
    CREDIT_CODE_ALPHABET,
    CREDIT_REGISTRATION_AUTHORITIES,
    NATION_CODE,
    PROVINCE_PREFIXES,
)

Bools = npt.NDArray[np.bool_]
Matrix = npt.NDArray[np.int64]

_ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)  # by weighted sum mod 11
_CREDIT_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_CREDIT_VALUE = np.full(256, -1, dtype=np.int64)
for _value, _char in enumerate(CREDIT_CODE_ALPHABET):
    _CREDIT_VALUE[ord(_char)] = _value
_AUTHORITY = np.zeros(256, dtype=np.bool_)
for _char in CREDIT_REGISTRATION_AUTHORITIES:
    _AUTHORITY[ord(_char)] = True
_PROVINCES = np.zeros(100, dtype=np.bool_)
for _prefix in PROVINCE_PREFIXES:
    _PROVINCES[int(_prefix)] = True
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_DIGIT_0, _DIGIT_9, _X = ord("0"), ord("9"), ord("X")


def _fixed_width(values: pa.Array | pa.ChunkedArray, width: int) -> tuple[pa.Array, Matrix, Bools]:
    """Trimmed upper-case text, its bytes as a matrix, and which values have ``width`` bytes."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    text = pc.utf8_upper(pc.utf8_trim_whitespace(values.cast(pa.string())))
    sized = pc.fill_null(pc.equal(pc.binary_length(text), width), False)
    padded = pc.if_else(sized, text, pa.scalar("0" * width)).cast(pa.string())
    fixed = padded.cast(pa.binary()).cast(pa.binary(width))
    count = len(fixed)
    data = fixed.buffers()[1]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    start = fixed.offset * width
    matrix = raw[start : start + count * width].reshape(count, width).astype(np.int64)
    return text, matrix, np.asarray(sized.to_numpy(zero_copy_only=False), dtype=np.bool_)


def _digits(matrix: Matrix) -> Bools:
    return np.asarray(((matrix >= _DIGIT_0) & (matrix <= _DIGIT_9)).all(axis=1))


def _valid_dates(year: Matrix, month: Matrix, day: Matrix) -> Bools:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_ok = (month >= 1) & (month <= 12)
    days = _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    return np.asarray(month_ok & (day >= 1) & (day <= days) & (year >= 1))


def valid_id_numbers(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Normalised GB 11643 identity numbers, null where the value is not one."""
    text, matrix, ok = _fixed_width(values, 18)
    digits = matrix[:, :17] - _DIGIT_0
    ok &= _digits(matrix[:, :17])
    last = matrix[:, 17]
    ok &= ((last >= _DIGIT_0) & (last <= _DIGIT_9)) | (last == _X)
    expected = _ID_CHECK[(np.clip(digits, 0, 9) @ _ID_WEIGHTS) % 11]
    ok &= expected == last
    place = digits[:, :6] @ np.array([10**5, 10**4, 10**3, 100, 10, 1], dtype=np.int64)
    ok &= place != int(NATION_CODE)
    ok &= _PROVINCES[np.clip(digits[:, 0] * 10 + digits[:, 1], 0, 99)]
    ok &= ~((digits[:, 2] * 10 + digits[:, 3] == 0) & (digits[:, 4] * 10 + digits[:, 5] != 0))
    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1], dtype=np.int64)
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    ok &= _valid_dates(year, month, day)
    return pc.if_else(pa.array(ok), text, pa.nulls(len(text), pa.string()))


def valid_credit_codes(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Normalised GB 32100 credit codes, null where the value is not one."""
    text, matrix, ok = _fixed_width(values, 18)
    codes = _CREDIT_VALUE[np.clip(matrix, 0, 255)]
    ok &= (codes >= 0).all(axis=1)
    ok &= _AUTHORITY[np.clip(matrix[:, 0], 0, 255)]
    ok &= _digits(matrix[:, 2:8])
    total = np.clip(codes[:, :17], 0, 30) @ _CREDIT_WEIGHTS
    ok &= (31 - total % 31) % 31 == codes[:, 17]
    return pc.if_else(pa.array(ok), text, pa.nulls(len(text), pa.string()))
