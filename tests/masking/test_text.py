"""Finding and masking sensitive values inside free Chinese text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from govdata.masking.engine import partial_value
from govdata.masking.kinds import SensitiveKind
from govdata.masking.strategies import PartialMask
from govdata.masking.text import find_in_text
from tests.masking.factories import id_numbers, mobiles

ID = "11010519491231002X"


def mask(text: str) -> str:
    return partial_value(PartialMask(), SensitiveKind.FREE_TEXT, text)


def kinds(text: str) -> list[SensitiveKind]:
    return [finding.kind for finding in find_in_text(text)]


def test_an_id_number_between_chinese_characters_is_masked() -> None:
    assert mask(f"申请人身份证号{ID}已核验") == "申请人身份证号110105********002X已核验"


def test_every_kind_with_a_check_is_found_in_one_remark() -> None:
    text = (
        f"经查，当事人身份证{ID}，手机13812345678，座机0471-6612345，"
        "银行卡6222021234567890128，单位信用代码91350100M000100Y43，"
        "邮箱zhang.san@example.gov.cn。"
    )
    found = kinds(text)
    assert SensitiveKind.ID_NUMBER in found
    assert SensitiveKind.MOBILE in found
    assert SensitiveKind.LANDLINE in found
    assert SensitiveKind.CREDIT_CODE in found
    assert SensitiveKind.EMAIL in found
    masked = mask(text)
    assert ID not in masked
    assert "13812345678" not in masked
    assert "zhang.san" not in masked


def test_a_wrong_check_digit_inside_text_is_left_alone() -> None:
    assert find_in_text("编号110105194912310021已归档") == []


def test_digits_that_are_part_of_a_longer_number_are_not_a_mobile() -> None:
    assert find_in_text("流水号2138123456789") == []


def test_a_labelled_name_is_masked_keeping_the_surname() -> None:
    assert mask("姓名：欧阳娜娜，性别：女") == "姓名：欧阳**，性别：女"


def test_a_labelled_name_stops_before_the_next_label() -> None:
    assert mask("姓名张三性别男") == "姓名张*性别男"


def test_an_unlabelled_name_is_not_guessed() -> None:
    assert mask("张三来办理业务") == "张三来办理业务"


def test_a_labelled_address_keeps_divisions_to_the_county() -> None:
    masked = mask("住址：内蒙古自治区呼和浩特市新城区昭乌达路12号，电话13812345678")
    assert masked == "住址：内蒙古自治区呼和浩特市新城区****，电话138****5678"


def test_an_address_starting_with_a_province_is_found_without_a_label() -> None:
    masked = mask("现居广东省广州市天河区体育西路1号。")
    assert masked == "现居广东省广州市天河区****。"


def test_whatever_follows_an_address_label_is_masked() -> None:
    assert mask("地址：昭乌达路12号") == "地址：****"


def test_a_labelled_birth_date_keeps_the_year() -> None:
    assert mask("出生日期：1987-03-05。") == "出生日期：1987******。"


def test_text_without_sensitive_values_is_unchanged() -> None:
    text = "2024年第一季度共受理行政许可事项1234件。"
    assert mask(text) == text


@given(
    st.lists(
        st.one_of(id_numbers(), mobiles(), st.text("的了是在办理事项，。", min_size=1, max_size=5)),
        max_size=8,
    )
)
def test_no_id_number_or_mobile_survives_masking_in_mixed_text(pieces: list[str]) -> None:
    text = "，".join(pieces)
    masked = mask(text)
    for piece in pieces:
        if piece.isdigit() or piece[:-1].isdigit():
            assert piece not in masked
