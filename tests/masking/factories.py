"""Hypothesis strategies for valid sensitive values, built from their standards."""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

from govdata.masking.surnames import COMPOUND_SURNAMES, GIVEN_NAME_CHARS, SINGLE_SURNAMES
from govdata.masking.values import MOBILE_SEGMENTS, luhn_check_digit
from govdata.orgs.codes import (
    CREDIT_CODE_ALPHABET,
    CREDIT_REGISTRATION_AUTHORITIES,
    PROVINCE_PREFIXES,
    id_number_check_char,
    make_credit_code,
)

DIGITS = "0123456789"


@st.composite
def divisions(draw: st.DrawFn) -> str:
    """A structurally valid county-level (or prefecture/province-level) division code."""
    province = draw(st.sampled_from(sorted(PROVINCE_PREFIXES)))
    city = draw(st.integers(0, 99))
    county = 0 if city == 0 else draw(st.integers(0, 99))
    return f"{province}{city:02d}{county:02d}"


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    birth = draw(st.dates(date(1900, 1, 1), date(2024, 12, 31)))
    body = f"{draw(divisions())}{birth:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + id_number_check_char(body)


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    segment = draw(st.sampled_from(sorted(MOBILE_SEGMENTS)))
    return segment + draw(st.text(DIGITS, min_size=8, max_size=8))


@st.composite
def landlines(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        area = draw(st.sampled_from(["010", *(f"02{d}" for d in DIGITS)]))
        rest = 7
    else:
        second = draw(st.sampled_from("3456789"))
        area = "0" + second + draw(st.text(DIGITS, min_size=2, max_size=2))
        rest = draw(st.sampled_from([6, 7]))
    local = draw(st.sampled_from("23456789")) + draw(st.text(DIGITS, min_size=rest, max_size=rest))
    return f"{area}-{local}"


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    body = (
        draw(st.sampled_from(sorted(CREDIT_REGISTRATION_AUTHORITIES)))
        + draw(st.sampled_from(CREDIT_CODE_ALPHABET))
        + draw(divisions())
        + draw(st.text(CREDIT_CODE_ALPHABET, min_size=9, max_size=9))
    )
    return make_credit_code(body)


@st.composite
def bank_cards(draw: st.DrawFn) -> str:
    length = draw(st.integers(16, 19))
    body = draw(st.sampled_from("34569")) + draw(
        st.text(DIGITS, min_size=length - 2, max_size=length - 2)
    )
    return body + luhn_check_digit(body)


@st.composite
def chinese_names(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        surname = draw(st.sampled_from(COMPOUND_SURNAMES))
        given = draw(st.text(GIVEN_NAME_CHARS, min_size=1, max_size=2))
    else:
        surname = draw(st.sampled_from(SINGLE_SURNAMES))
        given = draw(st.text(GIVEN_NAME_CHARS, min_size=1, max_size=3))
    return surname + given


keys = st.binary(min_size=16, max_size=64)
