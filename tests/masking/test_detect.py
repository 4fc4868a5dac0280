"""Detectors: the kind of a column sample, its share, a proposed grade and flag."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from govdata.aggregation.vectorized import TextColumn
from govdata.catalog.vocab import Grade
from govdata.masking import column_checks
from govdata.masking.detect import detect_column, kind_shares, propose_sensitive_fields
from govdata.masking.kinds import SensitiveKind
from govdata.masking.values import CHECKS, is_bank_card, is_credit_code, is_id_number, is_mobile
from tests.masking.factories import (
    bank_cards,
    chinese_names,
    credit_codes,
    id_numbers,
    landlines,
    mobiles,
)

ID = "11010519491231002X"


def corrupt(value: str) -> str:
    """The same value with its last (check) character changed."""
    return value[:-1] + ("1" if value[-1] != "1" else "2")


mixed = st.lists(
    st.one_of(
        st.none(),
        id_numbers(),
        id_numbers().map(corrupt),
        id_numbers().map(str.lower),
        bank_cards(),
        bank_cards().map(corrupt),
        mobiles(),
        credit_codes(),
        credit_codes().map(corrupt),
        st.text("0123456789Xx +-", max_size=20),
    ),
    max_size=40,
)


@given(mixed)
def test_column_checks_agree_with_the_value_checks(values: list[str | None]) -> None:
    array = pa.array(values, pa.string())
    text = TextColumn(array)

    def expect(check: Callable[[str], bool]) -> list[bool]:
        return [v is not None and check(v) for v in values]

    assert column_checks.id_numbers(text).tolist() == expect(is_id_number)
    assert column_checks.bank_cards(text).tolist() == expect(is_bank_card)
    assert column_checks.mobiles(array, text).tolist() == expect(is_mobile)
    assert column_checks.credit_codes(array).tolist() == expect(is_credit_code)


alphabet = st.sampled_from(
    list("0123456789-/.@+() ab")
    + list("年月日省市区县镇张王欧阳诸葛路号内蒙古")
    + ["１", "٣", "\n"]
)
tricky = st.one_of(
    st.text(alphabet, min_size=1, max_size=24),
    landlines(),
    chinese_names(),
    st.emails(),
    st.dates().map(lambda day: f"{day.year}年{day.month}月{day.day}日"),
    st.sampled_from(["内蒙古自治区呼和浩特市新城区", "北京市朝阳区", "Abc市Def区"]),
).filter(lambda value: value == value.strip() and value != "")


@given(st.lists(tricky, min_size=1, max_size=30))
def test_column_shares_agree_with_the_value_checks_for_every_kind(values: list[str]) -> None:
    checked, shares = kind_shares(values)
    assert checked == len(values)
    for kind, check in CHECKS:
        expected = sum(check(value) for value in values) / len(values)
        assert shares.get(kind, 0.0) == pytest.approx(expected), kind


@given(st.lists(id_numbers().map(corrupt), min_size=1, max_size=20))
def test_a_column_of_wrong_check_characters_is_never_an_id_column(values: list[str]) -> None:
    _, shares = kind_shares(values)
    assert SensitiveKind.ID_NUMBER not in shares
    assert detect_column(values).kind is not SensitiveKind.ID_NUMBER


@given(st.lists(id_numbers(), min_size=1, max_size=20))
def test_a_column_of_id_numbers_is_proposed_as_general_level_4(values: list[str]) -> None:
    finding = detect_column(values)
    assert finding.kind is SensitiveKind.ID_NUMBER
    assert finding.share == 1.0
    assert finding.grade is Grade.GENERAL_4
    assert finding.sensitive


def test_the_share_counts_only_non_empty_values() -> None:
    finding = detect_column([ID, ID, ID, corrupt(ID), None, "  "])
    assert finding.checked == 4
    assert finding.share == 0.75
    assert finding.kind is SensitiveKind.ID_NUMBER


def test_id_numbers_of_a_large_population_are_an_important_data_candidate() -> None:
    finding = detect_column([ID] * 5, population=3_000_000)
    assert finding.grade is Grade.IMPORTANT
    assert finding.important_candidate
    assert "重要数据候选" in finding.reason


def test_a_small_population_stays_general_level_4() -> None:
    assert detect_column([ID] * 5, population=5_000).grade is Grade.GENERAL_4


@pytest.mark.parametrize(
    ("values", "kind", "grade", "sensitive"),
    [
        (["13812345678", "15912345678"], SensitiveKind.MOBILE, Grade.GENERAL_3, True),
        (["91350100M000100Y43"], SensitiveKind.CREDIT_CODE, Grade.GENERAL_1, False),
        (["zhang@example.cn", "li@example.gov.cn"], SensitiveKind.EMAIL, Grade.GENERAL_3, True),
        (["010-62345678", "0471-6612345"], SensitiveKind.LANDLINE, Grade.GENERAL_2, True),
        (["内蒙古自治区呼和浩特市新城区昭乌达路1号"], SensitiveKind.ADDRESS, Grade.GENERAL_3, True),
        (["2024-01-05", "2023年3月1日"], SensitiveKind.DATE, Grade.GENERAL_1, False),
    ],
)
def test_each_kind_has_its_proposed_grade(
    values: list[str], kind: SensitiveKind, grade: Grade, sensitive: bool
) -> None:
    finding = detect_column(values)
    assert (finding.kind, finding.grade, finding.sensitive) == (kind, grade, sensitive)


@given(st.lists(bank_cards(), min_size=1, max_size=10))
def test_bank_cards_are_proposed_as_general_level_4(cards: list[str]) -> None:
    finding = detect_column(cards)
    # An 18-digit card may also be a valid ID number; never a public credit code.
    assert finding.kind in (SensitiveKind.BANK_CARD, SensitiveKind.ID_NUMBER)
    assert finding.grade is Grade.GENERAL_4


@given(st.lists(chinese_names(), min_size=3, max_size=10))
def test_a_column_of_names_is_a_name_column(names: list[str]) -> None:
    finding = detect_column(names)
    assert finding.kind is SensitiveKind.NAME
    assert finding.grade is Grade.GENERAL_3


def test_a_birth_date_field_is_sensitive() -> None:
    finding = detect_column(["1987-03-05", "1990-12-01"], field_name="出生日期")
    assert finding.kind is SensitiveKind.DATE
    assert finding.grade is Grade.GENERAL_3
    assert finding.sensitive


def test_a_typed_date_column_is_a_date_column() -> None:
    finding = detect_column(pa.array([date(2024, 1, 5), None]), field_name="birth_date")
    assert (finding.kind, finding.share, finding.sensitive) == (SensitiveKind.DATE, 1.0, True)


def test_remarks_with_ids_and_mobiles_inside_are_free_text() -> None:
    remarks = [f"申请人身份证{ID}已核验", "联系电话13812345678", "材料齐全", "已办结"]
    finding = detect_column(remarks)
    assert finding.kind is SensitiveKind.FREE_TEXT
    assert finding.grade is Grade.GENERAL_4
    assert finding.sensitive
    assert finding.share == 0.5


def test_a_minority_of_sensitive_values_still_flags_the_column() -> None:
    finding = detect_column([ID, "甲", "乙", "丙", "丁"])
    assert finding.kind is None
    assert finding.sensitive
    assert finding.grade is Grade.GENERAL_4


def test_ordinary_values_are_not_sensitive() -> None:
    finding = detect_column(["行政许可", "行政处罚", "行政确认"])
    assert finding.kind is None
    assert not finding.sensitive
    assert finding.grade is None


def test_an_empty_sample_says_it_cannot_tell() -> None:
    finding = detect_column([None, ""])
    assert finding.checked == 0
    assert not finding.sensitive


def test_a_numeric_column_of_mobiles_is_recognised() -> None:
    assert detect_column(pa.array([13812345678, 15912345678])).kind is SensitiveKind.MOBILE


def test_every_column_of_a_table_gets_a_proposal() -> None:
    table = pa.table({"公民身份号码": [ID, ID], "姓名": ["张三", "欧阳娜娜"], "办件数": ["3", "4"]})
    findings = propose_sensitive_fields(table)
    assert findings["公民身份号码"].kind is SensitiveKind.ID_NUMBER
    assert findings["姓名"].kind is SensitiveKind.NAME
    assert not findings["办件数"].sensitive


def test_a_finding_serialises_for_the_catalog() -> None:
    body = detect_column([ID, ID]).to_dict()
    assert body["kind"] == "id_number"
    assert body["grade"] == "general_4"
    assert body["sensitive"] is True
    assert body["shares"] == {"id_number": 1.0}
