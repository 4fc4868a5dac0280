"""Partial masks and generalisations of single values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from govdata.masking.engine import partial_value
from govdata.masking.kinds import SensitiveKind
from govdata.masking.partial import DateLevel, generalize_date, mask_middle
from govdata.masking.strategies import PartialMask

DEFAULT = PartialMask()


def test_id_number_partial_mask_keeps_region_and_check_character() -> None:
    masked = partial_value(DEFAULT, SensitiveKind.ID_NUMBER, "11010519491231002X")
    assert masked == "110105********002X"


def test_mobile_partial_mask_keeps_segment_and_last_four() -> None:
    assert partial_value(DEFAULT, SensitiveKind.MOBILE, "13812345678") == "138****5678"


def test_bank_card_partial_mask_keeps_issuer_and_last_four() -> None:
    masked = partial_value(DEFAULT, SensitiveKind.BANK_CARD, "6222021234567890128")
    assert masked == "622202*********0128"


def test_credit_code_partial_mask_keeps_authority_category_and_division() -> None:
    masked = partial_value(DEFAULT, SensitiveKind.CREDIT_CODE, "91350100M000100Y43")
    assert masked == "91350100*********3"


def test_keep_prefix_keep_suffix_and_mask_char_are_configurable() -> None:
    strategy = PartialMask(keep_prefix=3, keep_suffix=2, mask_char="#")
    assert partial_value(strategy, SensitiveKind.MOBILE, "13812345678") == "138######78"


def test_positions_override_the_kind_shape() -> None:
    strategy = PartialMask(keep_prefix=0, keep_suffix=1)
    assert partial_value(strategy, SensitiveKind.NAME, "欧阳娜娜") == "***娜"


def test_name_partial_mask_keeps_a_single_surname() -> None:
    assert partial_value(DEFAULT, SensitiveKind.NAME, "张三丰") == "张**"


def test_name_partial_mask_keeps_a_compound_surname() -> None:
    assert partial_value(DEFAULT, SensitiveKind.NAME, "欧阳娜娜") == "欧阳**"
    assert partial_value(DEFAULT, SensitiveKind.NAME, "诸葛亮") == "诸葛*"


def test_name_partial_mask_always_hides_at_least_one_character() -> None:
    assert partial_value(DEFAULT, SensitiveKind.NAME, "欧阳") == "欧*"
    assert partial_value(DEFAULT, SensitiveKind.NAME, "王") == "*"


def test_email_partial_mask_keeps_first_letter_and_domain() -> None:
    masked = partial_value(DEFAULT, SensitiveKind.EMAIL, "zhang.san@example.gov.cn")
    assert masked == "z***@example.gov.cn"


def test_something_that_is_not_an_email_is_masked_whole() -> None:
    assert partial_value(DEFAULT, SensitiveKind.EMAIL, "zhangsan") == "********"


def test_address_partial_mask_keeps_divisions_down_to_the_county() -> None:
    masked = partial_value(
        DEFAULT, SensitiveKind.ADDRESS, "内蒙古自治区呼和浩特市新城区昭乌达路12号"
    )
    assert masked == "内蒙古自治区呼和浩特市新城区****"


def test_an_address_without_divisions_is_masked_whole() -> None:
    assert partial_value(DEFAULT, SensitiveKind.ADDRESS, "昭乌达路12号") == "****"


def test_a_value_of_unknown_kind_is_masked_whole() -> None:
    assert partial_value(DEFAULT, None, "秘密") == "**"


@given(st.text(max_size=30), st.integers(0, 10), st.integers(0, 10))
def test_a_partial_mask_keeps_length_and_reveals_at_most_the_kept_ends(
    value: str, keep_prefix: int, keep_suffix: int
) -> None:
    masked = mask_middle(value, keep_prefix, keep_suffix)
    assert len(masked) == len(value)
    if len(value) <= keep_prefix + keep_suffix:
        assert masked == "*" * len(value)
    else:
        assert masked.startswith(value[:keep_prefix])
        assert masked.endswith(value[len(value) - keep_suffix :])
        assert set(masked[keep_prefix : len(value) - keep_suffix]) == {"*"}


def test_dates_generalise_to_year_or_month() -> None:
    assert generalize_date("1987年3月5日", DateLevel.YEAR) == "1987"
    assert generalize_date("1987-03-05", DateLevel.MONTH) == "1987-03"
    assert generalize_date("1987-02-30", DateLevel.MONTH) is None
