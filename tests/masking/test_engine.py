"""The Masker: rules and keys applied to values, Arrow columns and tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from govdata.masking.engine import FEW_VALUES, Masker
from govdata.masking.errors import MaskingRuleInvalid
from govdata.masking.keyed import KeyedPrf
from govdata.masking.kinds import SensitiveKind
from govdata.masking.pseudonym import Pseudonymizer
from govdata.masking.rules import RuleSet
from govdata.masking.strategies import KeyedHash, PartialMask
from govdata.masking.values import is_id_number, is_mobile

KEYS = {"default": b"engine-test-key-0123456789", "second": b"another-engine-key-987654"}
ID = "11010519491231002X"


def rule(
    name: str, fields: list[str], kind: str | None, strategy: dict[str, Any], *audiences: str
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": name,
        "fields": fields,
        "audiences": list(audiences),
        "strategy": strategy,
    }
    if kind is not None:
        body["kind"] = kind
    return body


RULES = RuleSet.from_dict(
    {
        "rules": [
            rule("证件号部分遮蔽", ["证件号"], "id_number", {"type": "partial"}, "consumer"),
            rule("证件号假名", ["证件号"], "id_number", {"type": "pseudonym"}, "authority"),
            rule("证件号散列", ["证件号"], "id_number", {"type": "hash", "length": 16}, "public"),
            rule(
                "手机假名", ["手机"], "mobile", {"type": "pseudonym", "key": "second"}, "consumer"
            ),
            rule("姓名遮蔽", ["姓名"], "name", {"type": "partial"}, "consumer", "public"),
            rule(
                "地址到市",
                ["地址"],
                None,
                {"type": "generalize", "level": "prefecture"},
                "consumer",
            ),
            rule(
                "出生到年", ["出生日期"], None, {"type": "generalize", "level": "year"}, "consumer"
            ),
            rule("备注遮蔽", ["备注"], "free_text", {"type": "partial"}, "consumer"),
            rule("备注假名", ["备注"], "free_text", {"type": "pseudonym"}, "authority"),
        ]
    }
)
GRADES = {"证件号": "general_4", "手机": "general_3", "姓名": "general_3", "地址": "general_3",
          "出生日期": "general_3", "备注": "general_3", "办件数": "general_1"}  # fmt: skip


@pytest.fixture
def masker() -> Masker:
    return Masker(RULES, KEYS)


def test_a_consumer_sees_a_partially_masked_id_number(masker: Masker) -> None:
    assert masker.mask_value("证件号", "general_4", "consumer", ID) == "110105********002X"


def test_an_authority_sees_a_valid_pseudonym(masker: Masker) -> None:
    pseudonym = masker.mask_value("证件号", "general_4", "authority", ID)
    assert isinstance(pseudonym, str)
    assert pseudonym != ID
    assert is_id_number(pseudonym)


def test_the_public_sees_a_keyed_sm3_hash(masker: Masker) -> None:
    hashed = masker.mask_value("证件号", "general_4", "public", ID)
    assert isinstance(hashed, str)
    assert len(hashed) == 16
    assert hashed == masker.mask_value("证件号", "general_4", "public", ID)


def test_an_unknown_audience_gets_nothing(masker: Masker) -> None:
    assert masker.mask_value("办件数", "general_1", "visitor", "12") is None


def test_a_clear_value_keeps_its_type(masker: Masker) -> None:
    assert masker.mask_value("办件数", "general_1", "public", 12) == 12


def test_an_invalid_value_under_a_pseudonym_rule_is_suppressed(masker: Masker) -> None:
    assert masker.mask_value("证件号", "general_4", "authority", "110105194912310021") is None


def test_pseudonyms_use_the_key_the_rule_names(masker: Masker) -> None:
    mobile = masker.mask_value("手机", "general_3", "consumer", "13812345678")
    assert isinstance(mobile, str)
    assert is_mobile(mobile)
    assert mobile == Pseudonymizer(KeyedPrf(KEYS["second"])).mobile("13812345678")
    assert mobile != Pseudonymizer(KeyedPrf(KEYS["default"])).mobile("13812345678")


def test_dates_generalise_to_the_year_as_text_or_typed(masker: Masker) -> None:
    assert masker.mask_value("出生日期", "general_3", "consumer", "1987年3月5日") == "1987"
    assert masker.mask_value("出生日期", "general_3", "consumer", date(1987, 3, 5)) == "1987"
    moment = datetime(1987, 3, 5, 10, 30, tzinfo=UTC)
    assert masker.mask_value("出生日期", "general_3", "consumer", moment) == "1987"
    typed = masker.mask_column(
        "出生日期", "general_3", "consumer", pa.array([date(1987, 3, 5), None])
    )
    assert typed.to_pylist() == ["1987", None]


def test_free_text_is_masked_occurrence_by_occurrence(masker: Masker) -> None:
    text = f"联系人：欧阳娜娜，身份证{ID}，手机13812345678。"
    assert (
        masker.mask_value("备注", "general_3", "consumer", text)
        == "联系人：欧阳**，身份证110105********002X，手机138****5678。"
    )


def test_free_text_pseudonyms_replace_each_occurrence_with_a_valid_value(masker: Masker) -> None:
    masked = masker.mask_value("备注", "general_3", "authority", f"身份证{ID}，手机13812345678。")
    assert isinstance(masked, str)
    assert ID not in masked
    assert "13812345678" not in masked
    assert is_id_number(masked[3:21])
    assert is_mobile(masked[24:35])


def test_a_rule_naming_a_missing_key_is_refused_when_the_masker_is_built() -> None:
    with pytest.raises(MaskingRuleInvalid) as caught:
        Masker(RULES, {"default": KEYS["default"]})
    assert "手机假名" in caught.value.message
    assert "second" in caught.value.message
    assert "rules[3].strategy.key" in caught.value.fields


def test_a_short_key_is_refused() -> None:
    with pytest.raises(MaskingRuleInvalid, match="至少应为16字节"):
        Masker(RULES, {"default": b"short", "second": KEYS["second"]})


def test_a_column_is_masked_like_its_values(masker: Masker) -> None:
    values = [ID, None, "150102198001011234", "13812345678"]
    column = masker.mask_column("证件号", "general_4", "consumer", pa.array(values))
    expected = [masker.mask_value("证件号", "general_4", "consumer", v) for v in values]
    assert column.to_pylist() == expected


def test_a_chunked_column_is_masked(masker: Masker) -> None:
    chunked = pa.chunked_array([["欧阳娜娜", "张三"], ["李四", None]])
    masked = masker.mask_column("姓名", "general_3", "public", chunked)
    assert masked.to_pylist() == ["欧阳**", "张*", "李*", None]


def test_a_pseudonym_column_keeps_equal_values_equal(masker: Masker) -> None:
    column = masker.mask_column("证件号", "general_4", "authority", pa.array([ID, ID, None]))
    first, second, missing = column.to_pylist()
    assert first == second
    assert missing is None


def test_a_table_is_masked_column_by_column(masker: Masker) -> None:
    table = pa.table(
        {
            "证件号": [ID, "150102198001011234"],
            "姓名": ["欧阳娜娜", "张三"],
            "地址": ["内蒙古自治区呼和浩特市新城区昭乌达路12号", "北京市朝阳区建国路88号"],
            "办件数": [3, 4],
            "未定级": ["a", "b"],
        }
    )
    masked = masker.mask_table(table, GRADES, "consumer")
    assert masked.column_names == table.column_names
    assert masked.column("证件号").to_pylist() == ["110105********002X", "150102********1234"]
    assert masked.column("姓名").to_pylist() == ["欧阳**", "张*"]
    assert masked.column("地址").to_pylist() == ["内蒙古自治区呼和浩特市", "北京市"]
    assert masked.column("办件数").to_pylist() == [3, 4]
    assert masked.column("未定级").to_pylist() == [None, None]


def test_suppression_text_replaces_every_value() -> None:
    rules = RuleSet.from_dict({"rules": [], "suppress_with": "***"})
    column = Masker(rules).mask_column("x", "core", "public", pa.array(["a", None]))
    assert column.to_pylist() == ["***", "***"]


def test_suppression_text_stands_in_for_values_a_pseudonym_cannot_take() -> None:
    pseudonym_rule = rule("假名", ["证件号"], "id_number", {"type": "pseudonym"}, "consumer")
    rules = RuleSet.from_dict({"rules": [pseudonym_rule], "suppress_with": "***"})
    column = Masker(rules, KEYS).mask_column(
        "证件号", "general_4", "consumer", pa.array(["bad", None])
    )
    assert column.to_pylist() == ["***", None]


def test_a_kind_given_by_the_caller_shapes_a_kindless_rule(masker: Masker) -> None:
    kindless = rule("部分遮蔽", ["电话"], None, {"type": "partial"}, "consumer")
    other = Masker(RuleSet.from_dict({"rules": [kindless]}))
    assert (
        other.mask_value("电话", "general_3", "consumer", "13812345678", SensitiveKind.MOBILE)
        == "138****5678"
    )
    assert other.mask_value("电话", "general_3", "consumer", "13812345678") == "***********"


def test_applying_a_strategy_with_an_unknown_key_is_refused(masker: Masker) -> None:
    with pytest.raises(MaskingRuleInvalid, match="未配置名为“missing”的脱敏密钥"):
        masker.apply_value(KeyedHash(key="missing"), None, "x")


@given(
    st.lists(st.one_of(st.none(), st.text(max_size=14)), min_size=1, max_size=FEW_VALUES),
    st.sampled_from([None, *SensitiveKind]),
    st.sampled_from([(None, None), (3, 4), (0, 2), (6, None)]),
    st.sampled_from(["*", "＊"]),
)
def test_a_few_values_are_masked_exactly_as_a_long_column_masks_them(
    values: list[str | None],
    kind: SensitiveKind | None,
    keep: tuple[int | None, int | None],
    char: str,
) -> None:
    strategy = PartialMask(keep_prefix=keep[0], keep_suffix=keep[1], mask_char=char)
    masker = Masker(RuleSet())
    padded = values * (FEW_VALUES // len(values) + 1)  # longer than FEW_VALUES: the kernels

    few = masker.apply_column(strategy, kind, pa.array(values, pa.string()))
    many = masker.apply_column(strategy, kind, pa.array(padded, pa.string()))

    assert few.to_pylist() == many.to_pylist()[: len(values)]
