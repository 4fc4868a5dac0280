"""Every built-in validator with good and bad values (real check digits from orgs/codes.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from govdata.lake.location import LocalLocation
from govdata.lake.tables import LakeTable
from govdata.orgs.codes import id_number_check_char, make_credit_code, organisation_code_check_char
from govdata.quality.compile import FAR_FUTURE, EvaluationContext
from govdata.quality.engine import evaluate
from govdata.quality.reasons import _id_check_char, reason_for, reasons_for
from govdata.quality.rules import parse_rule_set

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def id_number(body17: str) -> str:
    return body17 + id_number_check_char(body17)


def credit_code(org_body: str, division: str = "150102") -> str:
    return make_credit_code(f"91{division}{org_body}{organisation_code_check_char(org_body)}")


GOOD_ID = id_number("15010219900307123")
BAD_CHECK_ID = GOOD_ID[:17] + ("0" if GOOD_ID[17] != "0" else "1")
GOOD_CREDIT = credit_code("MA000001")


def divisions(*rows: tuple[str, date | None]) -> pa.Table:
    return pa.table(
        {
            "code": pa.array([code for code, _ in rows], pa.string()),
            "valid_until": pa.array([until or FAR_FUTURE for _, until in rows], pa.date32()),
            "current": pa.array([until is None for _, until in rows], pa.bool_()),
        }
    )


CONTEXT = EvaluationContext(
    today=NOW.date(),
    now=NOW,
    commit_time=NOW,
    divisions=divisions(("150102", None), ("150100", None), ("152100", date(2001, 1, 1))),
)


def failing(
    tmp_path: Path, rule: dict[str, Any], values: list[Any], **columns: list[Any]
) -> list[Any]:
    """The values of ``column`` that fail ``rule``, evaluated through the engine."""
    lake = LakeTable(LocalLocation(tmp_path), "t")
    data = {"n": list(range(len(values))), "v": values, **columns}
    lake.write(pa.table(data), mode="overwrite", metadata={})
    spec = parse_rule_set({"rules": [{"code": "r", "column": "v", **rule}]})
    outcome = evaluate(lake, 0, spec, key_columns=["n"], context=CONTEXT).outcomes[0]
    assert outcome.failed == len(outcome.failures)
    return [values[row.key["n"]] for row in outcome.failures]


def test_a_citizen_id_must_have_its_check_digit(tmp_path: Path) -> None:
    assert failing(tmp_path, {"kind": "id_number"}, [GOOD_ID, BAD_CHECK_ID, None]) == [BAD_CHECK_ID]


def test_a_citizen_id_must_carry_a_real_birth_date(tmp_path: Path) -> None:
    bad_date = id_number("15010219900230123")
    future = id_number("15010221990101123")
    assert failing(tmp_path, {"kind": "id_number"}, [GOOD_ID, bad_date, future]) == [
        bad_date,
        future,
    ]


def test_a_citizen_id_division_must_have_been_valid_since_birth(tmp_path: Path) -> None:
    withdrawn_before_birth = id_number("15210019900307123")  # withdrawn in 2001: fine for 1990
    born_after_withdrawal = id_number("15210020050307123")
    unknown = id_number("15019919900307123")
    values = [GOOD_ID, withdrawn_before_birth, born_after_withdrawal, unknown]
    assert failing(tmp_path, {"kind": "id_number"}, values) == [born_after_withdrawal, unknown]


def test_a_structure_only_id_check_ignores_the_division_table(tmp_path: Path) -> None:
    unknown = id_number("15019919900307123")
    rule = {"kind": "id_number", "division_check": "structure"}
    assert failing(tmp_path, rule, [GOOD_ID, unknown, "12345"]) == ["12345"]


def test_a_credit_code_needs_its_check_character_and_its_organisation_code_check(
    tmp_path: Path,
) -> None:
    wrong_check = GOOD_CREDIT[:17] + ("0" if GOOD_CREDIT[17] != "0" else "1")
    body = "91150102MA0000019"  # organisation code check digit wrong (9 instead of the real one)
    assert organisation_code_check_char("MA000001") != "9"
    wrong_org = make_credit_code(body)
    values = [GOOD_CREDIT, wrong_check, wrong_org, "91150102MA000001I0"]
    assert failing(tmp_path, {"kind": "credit_code"}, values) == values[1:]


def test_division_codes_current_or_ever_valid(tmp_path: Path) -> None:
    values = ["150102", "152100", "159999", "15010"]
    assert failing(tmp_path / "c", {"kind": "division_code"}, values) == values[1:]
    rule = {"kind": "division_code", "division_check": "ever"}
    assert failing(tmp_path / "e", rule, values) == ["159999", "15010"]
    rule = {"kind": "division_code", "division_check": "structure"}
    assert failing(tmp_path / "s", rule, values) == ["15010"]


def test_phone_numbers_mobile_or_landline(tmp_path: Path) -> None:
    values = ["13800138000", "0471-6951234", "12345678901", "138001380"]
    assert failing(tmp_path, {"kind": "phone"}, values) == ["12345678901", "138001380"]


def test_dates_must_parse_and_lie_in_range(tmp_path: Path) -> None:
    values = ["1990-01-01", "1990-02-30", "1850-01-01", "2030-01-01"]
    rule = {"kind": "date", "min": "1900-01-01", "max": "today"}
    assert failing(tmp_path, rule, values) == values[1:]


def test_numbers_must_lie_in_range(tmp_path: Path) -> None:
    assert failing(tmp_path, {"kind": "range", "min": 0, "max": 100}, [0, 50, 100, -1, 101]) == [
        -1,
        101,
    ]


def test_values_must_come_from_the_code_list(tmp_path: Path) -> None:
    rule = {"kind": "enum", "values": ["1", "2"]}
    assert failing(tmp_path, rule, ["1", "2", "男", None]) == ["男"]


def test_not_null_counts_empty_text_as_missing(tmp_path: Path) -> None:
    assert failing(tmp_path, {"kind": "not_null"}, ["a", "", " ", None]) == ["", " ", None]


def test_uniqueness_fails_every_copy_of_a_repeated_value(tmp_path: Path) -> None:
    assert failing(tmp_path, {"kind": "unique"}, ["a", "b", "a", None, None]) == ["a", "a"]


def test_patterns_and_lengths(tmp_path: Path) -> None:
    rule = {"kind": "pattern", "pattern": "[A-Z]{2}[0-9]+"}
    assert failing(tmp_path / "p", rule, ["AB12", "ab12", "AB"]) == ["ab12", "AB"]
    rule = {"kind": "length", "min": 2, "max": 3}
    assert failing(tmp_path / "l", rule, ["ab", "abcd", "a"]) == ["abcd", "a"]


def test_freshness_of_rows_against_the_maximum_age(tmp_path: Path) -> None:
    values = [datetime(2026, 5, 30), datetime(2025, 1, 1)]  # noqa: DTZ001 (stored naive, UTC)
    rule = {"kind": "freshness", "max_age_days": 7}
    assert failing(tmp_path, rule, values) == [values[1]]


def test_a_custom_sql_condition_is_checked_per_row(tmp_path: Path) -> None:
    rule = {
        "kind": "sql",
        "expression": "v <= other",
        "dimension": "consistency",
        "sub_indicator": "same_data",
    }
    assert failing(tmp_path, rule, [1, 5, 3], other=[2, 4, None]) == [5]


@settings(max_examples=200, deadline=None)
@given(st.text("0123456789", min_size=17, max_size=17))
def test_the_reasons_check_character_is_the_one_of_the_codes(body: str) -> None:
    assert _id_check_char(body) == id_number_check_char(body)


ID_REASON_VALUES = [GOOD_ID, BAD_CHECK_ID, "15010219900230123X", "1501021990030712", None]
ID_REASON_VALUES += ["15010228000307123X", "00010219900307123X", " 150102199003071231 ", "x"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(ID_REASON_VALUES), max_size=20))
def test_reasons_for_many_values_are_the_reason_for_each(values: list[str | None]) -> None:
    rule = parse_rule_set({"rules": [{"code": "r", "kind": "id_number", "column": "v"}]}).rules[0]
    expected = [reason_for(rule, value, sensitive=False) for value in values]
    assert reasons_for(rule, list(values), sensitive=False) == expected
    if GOOD_ID in values:
        assert "未曾有效" in reasons_for(rule, [GOOD_ID], sensitive=False)[0]
