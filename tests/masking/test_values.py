"""Per-value recognition: a pattern alone never makes a value sensitive."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govdata.masking.kinds import SensitiveKind
from govdata.masking.values import (
    detect_value,
    is_bank_card,
    is_chinese_name,
    is_credit_code,
    is_email,
    is_id_number,
    is_landline,
    is_mobile,
    luhn_check_digit,
    parse_date,
)
from tests.masking.factories import bank_cards, credit_codes, id_numbers, mobiles

ID = "11010519491231002X"
CREDIT = "91350100M000100Y43"


def wrong_last(value: str, alphabet: str) -> st.SearchStrategy[str]:
    """``value`` with its last (check) character replaced by any other one."""
    return st.sampled_from([value[:-1] + c for c in alphabet if c != value[-1]])


def test_a_valid_id_number_is_recognised() -> None:
    assert is_id_number(ID)
    assert detect_value(ID) is SensitiveKind.ID_NUMBER


def test_an_id_number_with_a_lowercase_x_is_recognised() -> None:
    assert is_id_number(ID.lower())


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("110105194912310021", "wrong check character"),
        ("990105194912310028", "99 is no province"),
        ("110105194902300027", "30 February"),
        ("110005194912310025", "county part without a city part"),
        (" 11010519491231002X", "surrounding space"),
        ("11010519491231002", "17 characters"),
    ],
)
def test_an_id_number_that_breaks_its_standard_is_not_recognised(value: str, why: str) -> None:
    assert not is_id_number(value), why


@given(st.data())
def test_detectors_never_flag_an_id_number_whose_check_character_is_wrong(
    data: st.DataObject,
) -> None:
    number = data.draw(id_numbers())
    bad = data.draw(wrong_last(number, "0123456789X"))
    assert not is_id_number(bad)
    assert detect_value(bad) is not SensitiveKind.ID_NUMBER


@given(st.data())
def test_detectors_never_flag_a_credit_code_whose_check_character_is_wrong(
    data: st.DataObject,
) -> None:
    code = data.draw(credit_codes())
    bad = data.draw(wrong_last(code, "0123456789ABCDEFGHJKLMNPQRTUWXY"))
    assert is_credit_code(code)
    assert not is_credit_code(bad)
    assert detect_value(bad) is not SensitiveKind.CREDIT_CODE


@given(st.data())
def test_detectors_never_flag_a_bank_card_whose_luhn_digit_is_wrong(data: st.DataObject) -> None:
    card = data.draw(bank_cards())
    bad = data.draw(wrong_last(card, "0123456789"))
    assert is_bank_card(card)
    assert not is_bank_card(bad)
    assert detect_value(bad) is not SensitiveKind.BANK_CARD


def test_the_luhn_digit_of_a_known_card_number() -> None:
    assert luhn_check_digit("7992739871") == "3"
    assert is_bank_card("6222021234567890128") is (luhn_check_digit("622202123456789012") == "8")


def test_a_credit_code_is_recognised_by_its_check_character() -> None:
    assert is_credit_code(CREDIT)
    assert detect_value(CREDIT) is SensitiveKind.CREDIT_CODE


@given(mobiles())
def test_numbers_in_allocated_mobile_segments_are_mobiles(number: str) -> None:
    assert is_mobile(number)
    assert detect_value(number) is SensitiveKind.MOBILE


@pytest.mark.parametrize("number", ["+86 138 1234 5678", "138-1234-5678", "8613812345678"])
def test_decorated_mobile_numbers_are_mobiles(number: str) -> None:
    assert is_mobile(number)


@pytest.mark.parametrize("number", ["12012345678", "15412345678", "19412345678", "1381234567"])
def test_eleven_digits_outside_the_allocated_segments_are_not_mobiles(number: str) -> None:
    assert not is_mobile(number)


@pytest.mark.parametrize("number", ["010-62345678", "0471-6612345", "(0471)6612345", "02161234567"])
def test_landlines_have_a_real_area_code_and_local_number(number: str) -> None:
    assert is_landline(number)


@pytest.mark.parametrize("number", ["010-6234567", "0471-0612345", "1471-6612345"])
def test_landlines_with_impossible_parts_are_refused(number: str) -> None:
    assert not is_landline(number)


@pytest.mark.parametrize("name", ["张三", "欧阳娜娜", "诸葛亮", "王小明"])
def test_names_start_with_a_known_surname(name: str) -> None:
    assert is_chinese_name(name)


@pytest.mark.parametrize("name", ["和平路", "城关镇", "财政局", "张", "张三李四五", "Zhang"])
def test_places_organisations_and_other_lengths_are_not_names(name: str) -> None:
    assert not is_chinese_name(name)


def test_email_needs_a_dotted_domain() -> None:
    assert is_email("zhang.san@example.gov.cn")
    assert not is_email("zhang@localhost")
    assert not is_email("zhang..san@example.cn")


@pytest.mark.parametrize(
    "text", ["2024-02-29", "2024/2/29", "2024.02.29", "2024年2月29日", "20240229"]
)
def test_dates_in_common_chinese_shapes_are_read(text: str) -> None:
    parsed = parse_date(text)
    assert parsed is not None
    assert (parsed.year, parsed.month, parsed.day) == (2024, 2, 29)


def test_an_impossible_date_is_not_a_date() -> None:
    assert parse_date("2023-02-29") is None


def test_an_address_needs_two_divisions() -> None:
    assert detect_value("内蒙古自治区呼和浩特市新城区") is SensitiveKind.ADDRESS
    assert detect_value("呼和浩特") is None


def test_a_value_passing_both_luhn_and_the_credit_code_check_counts_as_a_bank_card() -> None:
    # Ambiguity resolves towards the more sensitive kind, never to a public code.
    value = "500936838326833010"
    assert is_bank_card(value)
    assert is_credit_code(value)
    assert detect_value(value) is SensitiveKind.BANK_CARD


def test_digits_of_other_scripts_are_not_numbers() -> None:
    assert not is_mobile("138１２３４５６７８")
    assert parse_date("２０２４-01-05") is None


def test_a_trailing_newline_is_not_part_of_a_valid_value() -> None:
    assert not is_mobile("13812345678\n")
    assert not is_email("zhang@example.cn\n")
    assert not is_chinese_name("张三\n")
