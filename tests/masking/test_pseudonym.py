"""Format-preserving pseudonyms: valid, deterministic under a key, collision-free."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from govdata.masking.keyed import KeyedPrf
from govdata.masking.kinds import SensitiveKind
from govdata.masking.pseudonym import Pseudonymizer
from govdata.masking.surnames import COMPOUND_SURNAMES, surname_length
from govdata.masking.values import (
    is_bank_card,
    is_chinese_name,
    is_credit_code,
    is_email,
    is_id_number,
    is_landline,
    is_mobile,
)
from govdata.orgs.codes import id_number_check_char
from tests.masking.factories import (
    bank_cards,
    chinese_names,
    credit_codes,
    id_numbers,
    keys,
    landlines,
    mobiles,
)

KEY = b"pseudonym-test-key-0123456789"
OTHER_KEY = b"another-test-key-9876543210"


def pseudonyms(key: bytes = KEY) -> Pseudonymizer:
    return Pseudonymizer(KeyedPrf(key))


@given(id_numbers(), keys)
def test_pseudonyms_of_valid_id_numbers_are_valid_id_numbers(number: str, key: bytes) -> None:
    pseudonym = pseudonyms(key).id_number(number)
    assert pseudonym is not None
    assert is_id_number(pseudonym)


@given(id_numbers())
def test_an_id_pseudonym_keeps_division_birth_year_and_sex(number: str) -> None:
    pseudonym = pseudonyms().id_number(number)
    assert pseudonym is not None
    assert pseudonym[:6] == number[:6]
    assert pseudonym[6:10] == number[6:10]
    assert int(pseudonym[16]) % 2 == int(number[16]) % 2


@given(id_numbers())
def test_id_pseudonyms_are_deterministic_under_a_key(number: str) -> None:
    assert pseudonyms().id_number(number) == pseudonyms().id_number(number)


@given(id_numbers())
def test_id_pseudonyms_differ_under_another_key(number: str) -> None:
    # A keyed permutation of a cohort of 182,500 values: equal images under two
    # keys happen once in that many draws, far rarer than Hypothesis ever tries.
    assert pseudonyms(KEY).id_number(number) != pseudonyms(OTHER_KEY).id_number(number)


@given(id_numbers(), id_numbers())
def test_two_different_id_numbers_never_share_a_pseudonym(first: str, second: str) -> None:
    assume(first != second)
    assert pseudonyms().id_number(first) != pseudonyms().id_number(second)


def test_every_id_of_a_cohort_gets_its_own_pseudonym() -> None:
    bodies = [
        f"15010219900{month}{day:02d}{sequence:03d}"
        for month in (1, 2)
        for day in (1, 2, 3)
        for sequence in range(0, 200, 2)
    ]
    numbers = [body + id_number_check_char(body) for body in bodies]
    images = {pseudonyms().id_number(number) for number in numbers}
    assert len(images) == len(numbers)


def test_an_invalid_id_number_has_no_pseudonym() -> None:
    assert pseudonyms().id_number("110105194912310021") is None


def test_a_lowercase_x_is_pseudonymised_like_an_uppercase_one() -> None:
    assert pseudonyms().id_number("11010519491231002x") == pseudonyms().id_number(
        "11010519491231002X"
    )


@given(mobiles(), keys)
def test_a_mobile_maps_to_a_mobile_in_the_same_segment(number: str, key: bytes) -> None:
    pseudonym = pseudonyms(key).mobile(number)
    assert pseudonym is not None
    assert is_mobile(pseudonym)
    assert pseudonym[:3] == number[:3]


@given(landlines())
def test_a_landline_keeps_its_area_code(number: str) -> None:
    pseudonym = pseudonyms().landline(number)
    assert pseudonym is not None
    assert is_landline(pseudonym)
    assert pseudonym.split("-")[0] == number.split("-", maxsplit=1)[0]
    assert len(pseudonym) == len(number)


@given(credit_codes(), keys)
def test_a_credit_code_maps_to_a_credit_code_with_a_valid_check_character(
    code: str, key: bytes
) -> None:
    pseudonym = pseudonyms(key).credit_code(code)
    assert pseudonym is not None
    assert is_credit_code(pseudonym)
    assert pseudonym[:8] == code[:8]


@given(credit_codes(), credit_codes())
def test_two_different_credit_codes_never_share_a_pseudonym(first: str, second: str) -> None:
    assume(first != second)
    assert pseudonyms().credit_code(first) != pseudonyms().credit_code(second)


@given(bank_cards(), keys)
def test_a_bank_card_maps_to_a_card_of_the_same_issuer_with_a_valid_luhn_digit(
    card: str, key: bytes
) -> None:
    pseudonym = pseudonyms(key).bank_card(card)
    assert pseudonym is not None
    assert is_bank_card(pseudonym)
    assert pseudonym[:6] == card[:6]
    assert len(pseudonym) == len(card)


@given(chinese_names(), keys)
def test_a_name_maps_to_a_name_of_the_same_shape(name: str, key: bytes) -> None:
    pseudonym = pseudonyms(key).name(name)
    assert is_chinese_name(pseudonym)
    assert len(pseudonym) == len(name)
    assert surname_length(pseudonym) == surname_length(name)


def test_a_compound_surname_is_replaced_by_a_compound_surname() -> None:
    pseudonym = pseudonyms().name("欧阳娜娜")
    assert pseudonym[:2] in COMPOUND_SURNAMES


def test_a_transliterated_name_becomes_a_three_character_name() -> None:
    assert len(pseudonyms().name("阿依古丽·买买提")) == 3


@given(chinese_names())
def test_name_pseudonyms_are_deterministic_under_a_key(name: str) -> None:
    assert pseudonyms().name(name) == pseudonyms().name(name)


def test_an_email_keeps_its_domain() -> None:
    pseudonym = pseudonyms().email("Zhang.San@example.gov.cn")
    assert pseudonym is not None
    assert is_email(pseudonym)
    assert pseudonym.endswith("@example.gov.cn")
    assert pseudonym == pseudonyms().email("zhang.san@example.gov.cn")


@given(st.sampled_from([SensitiveKind.ADDRESS, SensitiveKind.DATE, SensitiveKind.FREE_TEXT]))
def test_kinds_without_a_value_pseudonym_give_none(kind: SensitiveKind) -> None:
    assert pseudonyms().pseudonym(kind, "内蒙古自治区呼和浩特市") is None
