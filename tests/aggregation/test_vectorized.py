"""The column-at-a-time checks agree with the per-value validators of orgs.codes."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govdata.aggregation import vectorized as vec
from govdata.orgs.codes import (
    CodeError,
    check_credit_code,
    check_division_code,
    check_id_number,
    id_number_check_char,
    make_credit_code,
)

DIGITS = st.text(alphabet="0123456789", min_size=17, max_size=17)


def _id_ok(value: str) -> bool:
    try:
        check_id_number(value)
    except CodeError:
        return False
    return True


def _credit_ok(value: str) -> bool:
    try:
        check_credit_code(value)
    except CodeError:
        return False
    return True


def _any_failure(found: dict[str, vec.BoolArray]) -> list[bool]:
    masks = list(found.values())
    return [any(bool(mask[i]) for mask in masks) for i in range(len(masks[0]))]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(DIGITS.map(lambda b: b + id_number_check_char(b)), DIGITS.map(lambda b: b + "X")),
        min_size=1,
        max_size=30,
    )
)
def test_id_numbers_fail_exactly_when_the_reference_validator_refuses(values: list[str]) -> None:
    failed = _any_failure(vec.id_number_failures(pa.array(values)))
    # The vectorised check covers the province prefix, not the full division rules.
    for value, bad in zip(values, failed, strict=True):
        expected_bad = not _id_ok(value)
        if expected_bad and not bad:
            # Only division details beyond the province may differ: those fail here.
            with pytest.raises(CodeError):
                check_division_code(value[:6])
        assert bad == expected_bad or not bad


def test_id_number_problems_are_told_apart() -> None:
    values = pa.array(
        ["11010519491231002X", "110105194912310021", "1101051949123", "110105194902300020", None]
    )
    found = vec.id_number_failures(values)
    assert list(found["format"]) == [False, False, True, False, False]
    assert list(found["check_digit"]) == [False, True, False, False, False]
    assert list(found["birth_date"]) == [False, False, False, True, False]
    assert not any(found["division"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=17, max_size=17),
        min_size=1,
        max_size=30,
    ),
    st.booleans(),
)
def test_credit_codes_agree_with_the_reference(bodies: list[str], corrupt: bool) -> None:
    values = [make_credit_code(body) for body in bodies]
    if corrupt:
        values = [v[:17] + ("0" if v[17] != "0" else "1") for v in values]
    failed = _any_failure(vec.credit_code_failures(pa.array(values)))
    assert failed == [not _credit_ok(v) for v in values]


def test_dates_are_strict_about_the_calendar() -> None:
    values = pa.array(
        [
            "2024-02-29",
            "2023-02-29",
            "2024/1/5",
            "20240105",
            "2024年1月5日",
            "2024-13-01",
            None,
            "2024-01-05 10:00:00",
            "1900-01-01",
        ]
    )
    parsed, failed = vec.parse_timestamps(values, date_only=True)
    assert parsed.to_pylist() == [
        date(2024, 2, 29),
        None,
        date(2024, 1, 5),
        date(2024, 1, 5),
        date(2024, 1, 5),
        None,
        None,
        None,
        date(1900, 1, 1),
    ]
    assert list(failed) == [False, True, False, False, False, True, False, True, False]


def test_timestamps_keep_fractions_and_refuse_bad_clocks() -> None:
    values = pa.array(["2024-01-02 03:04:05.5", "2024-01-02T23:59", "2024-01-02 24:00:00", "x"])
    parsed, failed = vec.parse_timestamps(values, date_only=False)
    rendered = [None if v is None else v.isoformat() for v in parsed.to_pylist()]
    assert rendered == ["2024-01-02T03:04:05.500000", "2024-01-02T23:59:00", None, None]
    assert list(failed) == [False, False, True, True]


def test_division_codes_follow_the_structure_rules() -> None:
    values = pa.array(
        [
            "150102",
            "150100",
            "150000",
            "100000",
            "990000",
            "150002",
            "15010",
            "150102001",
            "150102000",
        ]
    )
    assert list(vec.division_code_failures(values)) == [
        False,
        False,
        False,
        False,
        True,
        True,
        True,
        False,
        True,
    ]
