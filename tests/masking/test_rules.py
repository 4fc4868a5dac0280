"""Rule sets as data: validation with precise Chinese errors, default-deny decisions."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govdata.catalog.vocab import Grade
from govdata.errors import InvalidInput
from govdata.masking.audiences import Audience
from govdata.masking.errors import MaskingRuleInvalid
from govdata.masking.kinds import SensitiveKind
from govdata.masking.rules import RuleSet
from govdata.masking.strategies import (
    Clear,
    Generalize,
    KeyedHash,
    PartialMask,
    Pseudonym,
    Suppress,
)
from govdata.orgs.codes import DivisionLevel

ID_RULE: dict[str, Any] = {
    "name": "身份证号对使用部门部分遮蔽",
    "fields": ["公民身份号码"],
    "kind": "id_number",
    "grades": ["general_3", "general_4"],
    "audiences": ["consumer", "authority"],
    "strategy": {"type": "partial", "keep_prefix": 6, "keep_suffix": 4},
}
PUBLIC_RULE: dict[str, Any] = {
    "name": "公众只见到县级地址",
    "fields": ["*"],
    "kind": "address",
    "grades": ["general_2", "general_3"],
    "audiences": ["public"],
    "strategy": {"type": "generalize", "level": "county"},
}
RULE_SET: dict[str, Any] = {"version": 1, "rules": [ID_RULE, PUBLIC_RULE]}


def with_rule(**changes: Any) -> dict[str, Any]:
    rule = copy.deepcopy(ID_RULE)
    for key, value in changes.items():
        if value is None:
            rule.pop(key, None)
        else:
            rule[key] = value
    return {"rules": [PUBLIC_RULE, rule]}


def refused(data: object) -> MaskingRuleInvalid:
    with pytest.raises(MaskingRuleInvalid) as caught:
        RuleSet.from_dict(data)
    return caught.value


# Loading -------------------------------------------------------------------


def test_a_valid_rule_set_loads_with_its_strategies() -> None:
    rules = RuleSet.from_dict(RULE_SET)
    assert rules.rules[0].strategy == PartialMask(6, 4)
    assert rules.rules[0].kind is SensitiveKind.ID_NUMBER
    assert rules.rules[1].fields is None
    assert rules.rules[1].strategy == Generalize(DivisionLevel.COUNTY)


def test_a_rule_set_loads_from_json_text() -> None:
    assert RuleSet.from_json(json.dumps(RULE_SET, ensure_ascii=False)) == RuleSet.from_dict(
        RULE_SET
    )


def test_a_rule_set_survives_a_round_trip_through_its_dict_form() -> None:
    rules = RuleSet.from_dict(RULE_SET)
    assert RuleSet.from_dict(rules.to_dict()) == rules


@given(
    st.sampled_from(
        [
            {"type": "clear"},
            {"type": "partial"},
            {"type": "partial", "keep_prefix": 2, "mask_char": "#"},
            {"type": "hash", "key": "k1", "length": 32},
            {"type": "pseudonym", "key": "k2"},
            {"type": "suppress", "replacement": "***"},
            {"type": "suppress"},
        ]
    ),
    st.lists(st.sampled_from([g.value for g in Grade]), min_size=1, unique=True),
    st.lists(st.sampled_from([a.value for a in Audience]), min_size=1, unique=True),
)
def test_every_valid_rule_round_trips(
    strategy: dict[str, Any], grades: list[str], audiences: list[str]
) -> None:
    rule = {"name": "r", "kind": "mobile", "grades": grades, "audiences": audiences}
    rules = RuleSet.from_dict({"rules": [{**rule, "strategy": strategy}]})
    assert RuleSet.from_dict(rules.to_dict()) == rules


def test_the_error_is_invalid_input_with_a_stable_code() -> None:
    error = refused(with_rule(audiences=["everyone"]))
    assert isinstance(error, InvalidInput)
    assert error.http_status == 422
    assert error.to_dict()["error"]["code"] == "masking_rule_invalid"


def test_an_unknown_audience_is_refused_naming_the_rule_and_field() -> None:
    error = refused(with_rule(audiences=["consumer", "everyone"]))
    assert "身份证号对使用部门部分遮蔽" in error.message
    assert "第2条" in error.message
    assert "audiences[1]" in error.message
    assert "everyone" in error.message
    assert set(error.fields) == {"rules[1].audiences[1]"}


def test_a_negative_keep_prefix_is_refused() -> None:
    error = refused(with_rule(strategy={"type": "partial", "keep_prefix": -1}))
    assert error.fields == {"rules[1].strategy.keep_prefix": "应为0到64之间的整数"}
    assert "strategy.keep_prefix" in error.message


def test_a_boolean_is_not_a_number_of_characters() -> None:
    error = refused(with_rule(strategy={"type": "partial", "keep_suffix": True}))
    assert "rules[1].strategy.keep_suffix" in error.fields


def test_a_misspelt_strategy_parameter_is_refused() -> None:
    error = refused(with_rule(strategy={"type": "partial", "keep_prefx": 6}))
    assert "rules[1].strategy.keep_prefx" in error.fields
    assert "没有这个参数" in error.message


def test_an_unknown_strategy_is_refused() -> None:
    error = refused(with_rule(strategy={"type": "encrypt"}))
    assert "未知的策略“encrypt”" in error.message


def test_an_unknown_grade_is_refused() -> None:
    error = refused(with_rule(grades=["secret"]))
    assert "rules[1].grades[0]" in error.fields
    assert "未知的分级" in error.message


def test_an_unknown_kind_is_refused() -> None:
    error = refused(with_rule(kind="passport"))
    assert "rules[1].kind" in error.fields


def test_a_letter_as_mask_character_is_refused() -> None:
    error = refused(with_rule(strategy={"type": "partial", "mask_char": "X"}))
    assert "rules[1].strategy.mask_char" in error.fields


def test_generalising_an_id_number_is_refused() -> None:
    error = refused(with_rule(strategy={"type": "generalize", "level": "county"}))
    assert "不能泛化" in error.message


def test_a_date_level_for_an_address_is_refused() -> None:
    rule = {**PUBLIC_RULE, "strategy": {"type": "generalize", "level": "year"}}
    error = refused({"rules": [rule]})
    assert "rules[0].strategy.level" in error.fields
    assert "公众只见到县级地址" in error.message


def test_a_generalisation_level_implies_its_kind() -> None:
    rule = {
        "name": "出生日期到年",
        "audiences": ["public"],
        "strategy": {"type": "generalize", "level": "year"},
    }
    rules = RuleSet.from_dict({"rules": [rule]})
    assert rules.rules[0].kind is SensitiveKind.DATE


def test_a_pseudonym_for_an_address_is_refused() -> None:
    error = refused(with_rule(kind="address", strategy={"type": "pseudonym"}))
    assert "没有保留格式的假名" in error.message


def test_positions_for_free_text_are_refused() -> None:
    error = refused(with_rule(kind="free_text", strategy={"type": "partial", "keep_prefix": 3}))
    assert "自由文本" in error.message


def test_a_rule_without_audiences_is_refused() -> None:
    error = refused(with_rule(audiences=None))
    assert "rules[1].audiences" in error.fields


def test_a_rule_without_a_name_is_refused_by_position() -> None:
    error = refused(with_rule(name=None))
    assert "第2条脱敏规则" in error.message
    assert "rules[1].name" in error.fields


def test_two_rules_with_the_same_name_are_refused() -> None:
    error = refused({"rules": [ID_RULE, ID_RULE]})
    assert "重名" in error.message


def test_an_unknown_rule_key_is_refused() -> None:
    error = refused(with_rule(field=["姓名"]))
    assert "rules[1].field" in error.fields


def test_a_rule_set_that_is_not_an_object_is_refused() -> None:
    assert refused([ID_RULE]).fields == {"$": "应为JSON对象"}


def test_rules_that_are_not_a_list_are_refused() -> None:
    assert "rules" in refused({"rules": ID_RULE}).fields


def test_an_unsupported_version_is_refused() -> None:
    assert "version" in refused({"version": 2, "rules": []}).fields


def test_an_unknown_audience_ceiling_is_refused() -> None:
    error = refused({"rules": [], "clear_up_to": {"everyone": "general_1"}})
    assert "clear_up_to.everyone" in error.fields


def test_text_that_is_not_json_is_refused() -> None:
    with pytest.raises(MaskingRuleInvalid, match="不是有效的JSON"):
        RuleSet.from_json("{rules: []")


# Decisions -----------------------------------------------------------------


def test_a_matching_rule_decides_the_strategy() -> None:
    decision = RuleSet.from_dict(RULE_SET).decide("公民身份号码", "general_4", "consumer")
    assert decision.strategy == PartialMask(6, 4)
    assert decision.rule == "身份证号对使用部门部分遮蔽"
    assert decision.kind is SensitiveKind.ID_NUMBER


def test_an_unknown_audience_is_suppressed() -> None:
    decision = RuleSet.from_dict(RULE_SET).decide("公民身份号码", "general_1", "visitor")
    assert decision.strategy == Suppress()
    assert "未知的受众" in decision.reason


def test_a_field_graded_above_the_audience_ceiling_without_a_rule_is_suppressed() -> None:
    decision = RuleSet.from_dict(RULE_SET).decide("银行卡号", Grade.GENERAL_4, Audience.CONSUMER)
    assert decision.strategy == Suppress()
    assert decision.rule is None


def test_a_field_within_the_audience_ceiling_is_clear() -> None:
    decision = RuleSet.from_dict(RULE_SET).decide("办件数量", "general_2", "consumer")
    assert decision.strategy == Clear()


def test_the_owner_sees_its_own_data_in_clear_text() -> None:
    decision = RuleSet.from_dict(RULE_SET).decide("公民身份号码", "core", "owner")
    assert decision.strategy == Clear()


def test_an_ungraded_field_is_suppressed_even_for_the_owner() -> None:
    assert RuleSet.from_dict(RULE_SET).decide("备注", None, "owner").strategy == Suppress()


def test_an_unknown_grade_counts_as_ungraded() -> None:
    assert RuleSet.from_dict(RULE_SET).decide("备注", "top", "owner").strategy == Suppress()


def test_a_rule_naming_the_field_wins_over_a_wildcard_rule() -> None:
    wildcard = {**ID_RULE, "name": "通配", "fields": ["*"], "strategy": {"type": "suppress"}}
    rules = RuleSet.from_dict({"rules": [wildcard, ID_RULE]})
    assert rules.decide("公民身份号码", "general_4", "consumer").rule == ID_RULE["name"]
    assert rules.decide("其他字段", "general_4", "consumer").rule == "通配"


def test_rule_set_ceilings_can_be_lowered() -> None:
    rules = RuleSet.from_dict({"rules": [], "clear_up_to": {"consumer": "general_1"}})
    assert rules.decide("办件数量", "general_2", "consumer").strategy == Suppress()


def test_suppression_can_use_a_fixed_text() -> None:
    rules = RuleSet.from_dict({"rules": [], "suppress_with": "***"})
    assert rules.decide("银行卡号", "general_4", "public").strategy == Suppress("***")


def test_the_caller_may_supply_the_kind_when_the_rule_has_none() -> None:
    rule = {"name": "散列", "audiences": ["consumer"], "strategy": {"type": "hash"}}
    rules = RuleSet.from_dict({"rules": [rule]})
    decision = rules.decide("x", "general_4", "consumer", SensitiveKind.MOBILE)
    assert decision.strategy == KeyedHash()
    assert decision.kind is SensitiveKind.MOBILE


def test_a_pseudonym_rule_without_a_kind_is_accepted() -> None:
    rule = {"name": "假名", "audiences": ["consumer"], "strategy": {"type": "pseudonym"}}
    assert RuleSet.from_dict({"rules": [rule]}).rules[0].strategy == Pseudonym()


def test_deeply_nested_json_is_refused_cleanly() -> None:
    with pytest.raises(MaskingRuleInvalid, match="不是有效的JSON"):
        RuleSet.from_json("[" * 100_000 + "]" * 100_000)


def test_a_very_long_rule_name_is_shortened_in_the_message() -> None:
    error = refused({"rules": [{**ID_RULE, "name": "长" * 500, "audiences": ["nobody"]}]})
    assert len(error.message) < 200
