"""Specification tests for the national identification code validators.

Covers GB 32100-2015 (unified social credit codes), GB 11714 (organisation
codes), GB 11643-1999 (citizen identity numbers) and GB/T 2260 (administrative
division codes) as implemented in :mod:`govdata.orgs.codes`.

Why single-character substitutions are always detected:

* GB 32100: the check character is ``-(sum v_i * w_i) mod 31`` with
  ``w_i = 3**i mod 31``.  Replacing one character changes ``v_i`` by a
  ``d`` with ``0 < |d| < 31``; since 31 is prime and ``w_i != 0 (mod 31)``,
  ``d * w_i != 0 (mod 31)``, so the check character changes.
* GB 11714 (digit bodies): weights 3, 7, 9, 10, 5, 8, 4, 2 are all nonzero
  modulo the prime 11, and a digit change ``d`` has ``0 < |d| < 11``.
  (With letters, values run up to 35, so e.g. ``0`` -> ``B`` (= 11) is *not*
  detected; hence the property is stated for digit bodies only.)
* GB 11643: weights ``2**k mod 11`` are nonzero modulo the prime 11 and a
  digit change is ``0 < |d| < 10``.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from govdata.orgs.codes import (
    CREDIT_CODE_ALPHABET,
    CREDIT_REGISTRATION_AUTHORITIES,
    NATION_CODE,
    PROVINCE_PREFIXES,
    CodeError,
    DivisionLevel,
    check_credit_code,
    check_division_code,
    check_id_number,
    check_organisation_code,
    credit_code_check_char,
    division_level,
    id_number_check_char,
    make_credit_code,
    organisation_code_check_char,
    parent_division_code,
)

DIGITS = "0123456789"

# ---------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------

credit_bodies = st.builds(
    lambda authority, kind, region, rest: authority + kind + region + rest,
    st.sampled_from(sorted(CREDIT_REGISTRATION_AUTHORITIES)),
    st.sampled_from(CREDIT_CODE_ALPHABET),
    st.text(alphabet=DIGITS, min_size=6, max_size=6),
    st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=9, max_size=9),
)

organisation_digit_bodies = st.text(alphabet=DIGITS, min_size=8, max_size=8)

province_prefixes = st.sampled_from(sorted(PROVINCE_PREFIXES))
nonzero_pairs = st.integers(min_value=1, max_value=99).map(lambda n: f"{n:02d}")

province_codes = province_prefixes.map(lambda p: p + "0000")
prefecture_codes = st.builds(lambda p, c: p + c + "00", province_prefixes, nonzero_pairs)
county_codes = st.builds(lambda p, c, d: p + c + d, province_prefixes, nonzero_pairs, nonzero_pairs)
six_digit_division_codes = st.one_of(province_codes, prefecture_codes, county_codes)
township_codes = st.builds(
    lambda county, n: f"{county}{n:03d}",
    county_codes,
    st.integers(min_value=1, max_value=999),
)

birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))

id_bodies = st.builds(
    lambda division, born, sequence: division + born.strftime("%Y%m%d") + sequence,
    six_digit_division_codes,
    birth_dates,
    st.text(alphabet=DIGITS, min_size=3, max_size=3),
)

# Lower index = lower level.
LEVEL_RANK = {
    DivisionLevel.TOWNSHIP: 0,
    DivisionLevel.COUNTY: 1,
    DivisionLevel.PREFECTURE: 2,
    DivisionLevel.PROVINCE: 3,
    DivisionLevel.NATION: 4,
}


def substitute(code: str, position: int, char: str) -> str:
    """``code`` with the character at ``position`` (0-based) replaced by ``char``."""
    return code[:position] + char + code[position + 1 :]


def error_message(excinfo: pytest.ExceptionInfo[CodeError]) -> str:
    return str(excinfo.value)


# ---------------------------------------------------------------------------
# GB 32100-2015 unified social credit codes
# ---------------------------------------------------------------------------

# Publicly listed codes of real enterprises:
#   91440300708461136T  深圳市腾讯计算机系统有限公司 (as shown on its business
#                       licence, e.g. check-china.com example report 8)
#   914403001922038216  华为技术有限公司 (widely published)
# Independently of the sources, each one satisfies both the GB 32100 check
# character and the GB 11714 check character of its embedded organisation code
# (70846113-6, 19220382-1); a mistyped code passes both only ~1 time in 341.
PUBLISHED_CREDIT_CODES = ["91440300708461136T", "914403001922038216"]


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES)
def test_published_credit_code_is_accepted(code: str) -> None:
    assert check_credit_code(code) == code


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES)
def test_published_credit_code_embeds_a_valid_organisation_code(code: str) -> None:
    assert check_organisation_code(code[8:17]) == code[8:17]


@pytest.mark.parametrize("code", PUBLISHED_CREDIT_CODES)
def test_make_credit_code_reproduces_published_check_character(code: str) -> None:
    assert make_credit_code(code[:17]) == code


@given(credit_bodies)
def test_make_credit_code_output_passes_check(body: str) -> None:
    code = make_credit_code(body)
    assert len(code) == 18
    assert code[:17] == body
    assert check_credit_code(code) == code


@given(credit_bodies, st.data())
def test_any_single_character_substitution_in_credit_code_is_rejected(
    body: str, data: st.DataObject
) -> None:
    code = make_credit_code(body)
    position = data.draw(st.integers(min_value=0, max_value=17), label="position")
    replacement = data.draw(
        st.sampled_from(CREDIT_CODE_ALPHABET).filter(lambda c: c != code[position]),
        label="replacement",
    )
    with pytest.raises(CodeError):
        check_credit_code(substitute(code, position, replacement))


@given(credit_bodies, st.data())
def test_structure_preserving_substitution_is_caught_by_credit_check_character(
    body: str, data: st.DataObject
) -> None:
    # Substitutions that keep the first character a registration authority and
    # characters 3-8 digits get past every structural test; only the mod-31
    # check character can catch them.
    code = make_credit_code(body)
    position = data.draw(st.integers(min_value=0, max_value=16), label="position")
    if position == 0:
        pool = "".join(sorted(CREDIT_REGISTRATION_AUTHORITIES))
    elif 2 <= position <= 7:
        pool = DIGITS
    else:
        pool = CREDIT_CODE_ALPHABET
    replacement = data.draw(
        st.sampled_from(pool).filter(lambda c: c != code[position]), label="replacement"
    )
    mutated = substitute(code, position, replacement)
    assert credit_code_check_char(mutated[:17]) != code[17]
    with pytest.raises(CodeError) as excinfo:
        check_credit_code(mutated)
    assert "校验位" in error_message(excinfo)


def test_credit_code_lowercase_input_is_normalised_to_uppercase() -> None:
    assert check_credit_code("91440300708461136t") == "91440300708461136T"


def test_credit_code_surrounding_whitespace_is_stripped() -> None:
    assert check_credit_code("  914403001922038216\n") == "914403001922038216"


@pytest.mark.parametrize(
    "code", ["", "91440300708461136", "91440300708461136TT", "9144 0300708461136T"]
)
def test_credit_code_of_wrong_length_is_rejected_with_length_message(code: str) -> None:
    with pytest.raises(CodeError) as excinfo:
        check_credit_code(code)
    message = error_message(excinfo)
    assert "18位" in message
    assert f"收到{len(code.strip())}位" in message


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_credit_code_forbidden_letter_is_rejected_with_position(letter: str) -> None:
    code = substitute("91440300708461136T", 9, letter)
    with pytest.raises(CodeError) as excinfo:
        check_credit_code(code)
    message = error_message(excinfo)
    assert f"第10位“{letter}”不是允许的字符" in message
    assert "不使用I、O、Z、S、V" in message


def test_credit_code_forbidden_lowercase_letter_is_rejected() -> None:
    with pytest.raises(CodeError) as excinfo:
        check_credit_code(substitute("91440300708461136T", 9, "o"))
    assert "第10位“O”不是允许的字符" in error_message(excinfo)


UNASSIGNED_AUTHORITY_CHARS = sorted(
    set(CREDIT_CODE_ALPHABET) - set(CREDIT_REGISTRATION_AUTHORITIES)
)


@pytest.mark.parametrize("first", UNASSIGNED_AUTHORITY_CHARS)
def test_credit_code_with_unknown_registration_authority_is_rejected(
    first: str,
) -> None:
    # The check character is recomputed, so only the first character is wrong.
    code = make_credit_code(first + "1440300708461136")
    with pytest.raises(CodeError) as excinfo:
        check_credit_code(code)
    message = error_message(excinfo)
    assert f"第1位“{first}”" in message
    assert "登记管理部门代码" in message


def test_credit_code_with_letter_in_region_part_is_rejected() -> None:
    code = make_credit_code("9144A300708461136")
    with pytest.raises(CodeError) as excinfo:
        check_credit_code(code)
    assert "第3至8位" in error_message(excinfo)
    assert "行政区划代码" in error_message(excinfo)


def test_credit_code_with_wrong_check_character_names_expected_character() -> None:
    with pytest.raises(CodeError) as excinfo:
        check_credit_code("914403001922038217")
    message = error_message(excinfo)
    assert "校验位" in message
    assert "应为“6”" in message
    assert "实为“7”" in message


def test_credit_code_check_char_rejects_character_outside_alphabet() -> None:
    with pytest.raises(CodeError) as excinfo:
        credit_code_check_char("9144030070846113I")
    assert "不属于统一社会信用代码字符集" in error_message(excinfo)


# ---------------------------------------------------------------------------
# GB 11714 organisation codes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["708461136", "192203821"])
def test_published_organisation_code_is_accepted(code: str) -> None:
    assert check_organisation_code(code) == code


def test_organisation_code_hyphenated_form_is_normalised() -> None:
    assert check_organisation_code("70846113-6") == "708461136"


@pytest.mark.parametrize(
    ("body", "check"),
    [
        # Constructed bodies, hand-checked:
        # 1*3 + 1*4 + 8*2 = 23, 23 mod 11 = 1, 11 - 1 = 10 -> "X"
        ("10000018", "X"),
        # 1*3 + 4*2 = 11, 11 mod 11 = 0, 11 - 0 = 11 -> "0"
        ("10000004", "0"),
    ],
)
def test_organisation_code_special_check_characters(body: str, check: str) -> None:
    assert organisation_code_check_char(body) == check
    assert check_organisation_code(body + check) == body + check


def test_organisation_code_lowercase_x_check_is_normalised() -> None:
    assert check_organisation_code("10000018x") == "10000018X"


@given(organisation_digit_bodies)
def test_organisation_code_round_trip(body: str) -> None:
    code = body + organisation_code_check_char(body)
    assert check_organisation_code(code) == code


@given(organisation_digit_bodies, st.data())
def test_any_single_digit_substitution_in_organisation_code_body_is_rejected(
    body: str, data: st.DataObject
) -> None:
    code = body + organisation_code_check_char(body)
    position = data.draw(st.integers(min_value=0, max_value=7), label="position")
    replacement = data.draw(
        st.sampled_from(DIGITS).filter(lambda c: c != body[position]),
        label="replacement",
    )
    mutated = substitute(code, position, replacement)
    assert organisation_code_check_char(mutated[:8]) != code[8]
    with pytest.raises(CodeError) as excinfo:
        check_organisation_code(mutated)
    assert "校验码" in error_message(excinfo)


@given(organisation_digit_bodies, st.sampled_from(DIGITS + "X"))
def test_organisation_code_with_any_other_check_character_is_rejected(
    body: str, check: str
) -> None:
    expected = organisation_code_check_char(body)
    assume(check != expected)
    with pytest.raises(CodeError) as excinfo:
        check_organisation_code(body + check)
    assert f"应为“{expected}”" in error_message(excinfo)


@pytest.mark.parametrize("code", ["70846113", "7084611360", ""])
def test_organisation_code_of_wrong_length_is_rejected(code: str) -> None:
    with pytest.raises(CodeError) as excinfo:
        check_organisation_code(code)
    assert "应为9位" in error_message(excinfo)


def test_organisation_code_with_invalid_character_is_rejected() -> None:
    with pytest.raises(CodeError) as excinfo:
        check_organisation_code("7084611*6")
    assert "组织机构代码字符“*”无效" in error_message(excinfo)


def test_organisation_code_with_superscript_digit_raises_code_error() -> None:
    with pytest.raises(CodeError):
        check_organisation_code("7084611²6")


def test_organisation_code_with_fullwidth_digits_is_rejected() -> None:
    with pytest.raises(CodeError):
        check_organisation_code("７０８４６１１３6")


# ---------------------------------------------------------------------------
# GB 11643-1999 citizen identity numbers
# ---------------------------------------------------------------------------

STANDARD_ID_EXAMPLE = "11010519491231002X"  # the example given in GB 11643-1999


def test_standard_id_number_example_is_accepted() -> None:
    assert check_id_number(STANDARD_ID_EXAMPLE) == STANDARD_ID_EXAMPLE


def test_standard_id_number_example_check_character_is_x() -> None:
    assert id_number_check_char(STANDARD_ID_EXAMPLE[:17]) == "X"


def test_id_number_lowercase_x_is_normalised() -> None:
    assert check_id_number(STANDARD_ID_EXAMPLE.lower()) == STANDARD_ID_EXAMPLE


def test_id_number_issued_by_the_nation_code_is_rejected() -> None:
    body = "10000019491231002"
    with pytest.raises(CodeError, match="签发地"):
        check_id_number(body + id_number_check_char(body))


@given(id_bodies)
def test_id_number_with_valid_division_date_and_computed_check_is_accepted(
    body: str,
) -> None:
    number = body + id_number_check_char(body)
    assert check_id_number(number) == number


@given(id_bodies, st.data())
def test_any_single_digit_substitution_in_id_number_body_is_rejected(
    body: str, data: st.DataObject
) -> None:
    number = body + id_number_check_char(body)
    position = data.draw(st.integers(min_value=0, max_value=16), label="position")
    replacement = data.draw(
        st.sampled_from(DIGITS).filter(lambda c: c != body[position]),
        label="replacement",
    )
    mutated = substitute(number, position, replacement)
    assert id_number_check_char(mutated[:17]) != number[17]
    with pytest.raises(CodeError):
        check_id_number(mutated)


@given(id_bodies, st.data())
def test_sequence_digit_substitution_is_caught_by_id_check_character(
    body: str, data: st.DataObject
) -> None:
    # Positions 15-17 (the sequence code) have no structure of their own, so
    # only the check character can catch a change there.
    number = body + id_number_check_char(body)
    position = data.draw(st.integers(min_value=14, max_value=16), label="position")
    replacement = data.draw(
        st.sampled_from(DIGITS).filter(lambda c: c != body[position]),
        label="replacement",
    )
    with pytest.raises(CodeError) as excinfo:
        check_id_number(substitute(number, position, replacement))
    assert "校验码" in error_message(excinfo)


@given(id_bodies, st.sampled_from(DIGITS + "X"))
def test_id_number_with_any_other_check_character_is_rejected(body: str, check: str) -> None:
    expected = id_number_check_char(body)
    assume(check != expected)
    with pytest.raises(CodeError) as excinfo:
        check_id_number(body + check)
    assert f"第18位应为“{expected}”" in error_message(excinfo)


@pytest.mark.parametrize(
    "birth", ["19490230", "19490229", "19491301", "19490000", "00000101", "19490431"]
)
def test_id_number_with_impossible_birth_date_is_rejected(birth: str) -> None:
    body = "110105" + birth + "002"
    with pytest.raises(CodeError) as excinfo:
        check_id_number(body + id_number_check_char(body))
    message = error_message(excinfo)
    assert "出生日期" in message
    assert birth in message


def test_id_number_born_on_leap_day_is_accepted() -> None:
    body = "110105" + "20000229" + "002"
    number = body + id_number_check_char(body)
    assert check_id_number(number) == number


def test_id_number_with_invalid_division_prefix_is_rejected() -> None:
    body = "990105" + "19491231" + "002"
    with pytest.raises(CodeError) as excinfo:
        check_id_number(body + id_number_check_char(body))
    assert "不是有效的省级代码" in error_message(excinfo)


@pytest.mark.parametrize(
    "number",
    [
        "11010519491231002",  # 17 characters
        "11010519491231002XX",  # 19 characters
        "1101051949123100AX",  # letter in the body
        "11010519491231002Y",  # check character other than a digit or X
        "",
    ],
)
def test_malformed_id_number_is_rejected_with_format_message(number: str) -> None:
    with pytest.raises(CodeError) as excinfo:
        check_id_number(number)
    assert "17位数字加1位数字或X" in error_message(excinfo)


def test_id_number_with_fullwidth_digits_is_rejected() -> None:
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in STANDARD_ID_EXAMPLE[6:17])
    with pytest.raises(CodeError):
        check_id_number(STANDARD_ID_EXAMPLE[:6] + fullwidth + "X")


def test_id_number_with_superscript_digit_raises_code_error() -> None:
    with pytest.raises(CodeError):
        check_id_number(STANDARD_ID_EXAMPLE[:16] + "²X")


# ---------------------------------------------------------------------------
# GB/T 2260 administrative division codes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["100000", "150000", "150100", "150102", "152921", "150102001", "110105"]
)
def test_well_formed_division_code_is_accepted(code: str) -> None:
    assert check_division_code(code) == code


def test_division_code_surrounding_whitespace_is_stripped() -> None:
    assert check_division_code(" 150102\n") == "150102"


@pytest.mark.parametrize(
    "code",
    [
        "",
        "15010",
        "1501020",
        "15010200",
        "1501020011",
        "15O102",
        "15010a",
        "150102 001",
    ],
)
def test_division_code_of_wrong_length_or_non_digits_is_rejected(code: str) -> None:
    with pytest.raises(CodeError) as excinfo:
        check_division_code(code)
    assert "应为6位数字" in error_message(excinfo)


def test_division_code_with_fullwidth_digits_is_rejected() -> None:
    with pytest.raises(CodeError) as excinfo:
        check_division_code("１５０１０２")
    assert "应为6位数字" in error_message(excinfo)


@pytest.mark.parametrize("code", ["990000", "000000", "100100", "160102", "990102001"])
def test_division_code_with_unknown_province_prefix_is_rejected(code: str) -> None:
    with pytest.raises(CodeError) as excinfo:
        check_division_code(code)
    assert f"前两位“{code[:2]}”不是有效的省级代码" in error_message(excinfo)


@pytest.mark.parametrize("code", ["150012", "150099", "150001"])
def test_division_code_with_county_part_under_zero_prefecture_is_rejected(
    code: str,
) -> None:
    with pytest.raises(CodeError) as excinfo:
        check_division_code(code)
    assert "地级部分为00时县级部分也应为00" in error_message(excinfo)


@pytest.mark.parametrize("code", ["150102000", "150000001"])
def test_township_code_needs_county_prefix_and_nonzero_serial(code: str) -> None:
    with pytest.raises(CodeError) as excinfo:
        check_division_code(code)
    assert "乡级区划代码" in error_message(excinfo)


@pytest.mark.parametrize("code", ["441900003", "442000001", "460400100"])
def test_township_directly_under_prefecture_city_is_accepted(code: str) -> None:
    assert check_division_code(code) == code


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("100000", DivisionLevel.NATION, None),
        ("150000", DivisionLevel.PROVINCE, "100000"),
        ("150100", DivisionLevel.PREFECTURE, "150000"),
        ("152900", DivisionLevel.PREFECTURE, "150000"),
        ("150102", DivisionLevel.COUNTY, "150100"),
        ("152921", DivisionLevel.COUNTY, "152900"),
        ("150102001", DivisionLevel.TOWNSHIP, "150102"),
    ],
)
def test_division_level_and_parent_for_each_level(
    code: str, level: DivisionLevel, parent: str | None
) -> None:
    assert division_level(code) is level
    assert parent_division_code(code) == parent


def test_nation_code_is_the_conventional_100000() -> None:
    assert NATION_CODE == "100000"
    assert division_level(NATION_CODE) is DivisionLevel.NATION


@given(six_digit_division_codes)
def test_generated_six_digit_division_code_is_accepted(code: str) -> None:
    assert check_division_code(code) == code


@given(st.one_of(six_digit_division_codes, township_codes))
def test_parent_chain_reaches_nation_with_strictly_rising_levels(code: str) -> None:
    assert check_division_code(code) == code
    chain = [code]
    while (parent := parent_division_code(chain[-1])) is not None:
        assert len(chain) <= 5, chain
        chain.append(parent)
    assert chain[-1] == NATION_CODE
    ranks = [LEVEL_RANK[division_level(c)] for c in chain]
    assert ranks == sorted(set(ranks)), chain
    for ancestor in chain[1:]:
        assert check_division_code(ancestor) == ancestor


@given(township_codes)
def test_generated_township_code_is_accepted_with_county_parent(code: str) -> None:
    assert check_division_code(code) == code
    assert division_level(code) is DivisionLevel.TOWNSHIP
    assert parent_division_code(code) == code[:6]
    assert division_level(code[:6]) is DivisionLevel.COUNTY
