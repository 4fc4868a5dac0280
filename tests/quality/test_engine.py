"""The one-scan engine: equal to a naive per-rule reference, bounded failing rows with
exact counts, and bad input refused with stable codes."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from govdata.crypto.datakeys import DataKeySet
from govdata.errors import Conflict, InvalidInput
from govdata.lake.location import LocalLocation
from govdata.lake.protection import TableProtection
from govdata.lake.tables import LakeTable
from govdata.orgs.codes import CodeError, check_id_number
from govdata.quality import compile as compile_module
from govdata.quality.engine import evaluate
from govdata.quality.rules import load_rule_set_yaml, parse_rule_set
from govdata.quality.vectorized import credit_code_ok, id_number_ok
from tests.quality.test_validators import CONTEXT, GOOD_CREDIT, GOOD_ID, id_number
from tests.quality.test_vectorized import INDEX, messy_ids

RULES = """
key_columns: [n]
rules:
  - {code: id_valid, kind: id_number, column: id, division_check: structure}
  - {code: id_unique, kind: unique, column: id}
  - {code: sex_code, kind: enum, column: sex, values: ["1", "2"]}
  - {code: age_range, kind: range, column: age, min: 0, max: 120}
  - {code: named, kind: not_null, column: name}
  - code: adult_named
    kind: sql
    expression: "age < 18 OR name IS NOT NULL"
    dimension: completeness
    sub_indicator: record_completeness
"""


def random_rows(count: int, seed: int) -> dict[str, list[Any]]:
    rng = random.Random(seed)  # noqa: S311 (test data)
    ids = []
    for _ in range(count):
        year, month, day = rng.randrange(1950, 2010), rng.randrange(1, 10), rng.randrange(10, 29)
        body = f"150102{year}0{month}{day}{rng.randrange(100, 999)}"
        number = id_number(body)
        if rng.random() < 0.1:
            number = number[:17] + rng.choice("0123456789X")
        ids.append(number)
    ids += ids[: count // 20]  # some duplicates
    total = len(ids)
    return {
        "n": list(range(total)),
        "id": ids,
        "sex": [rng.choice(["1", "2", "9", None]) for _ in range(total)],
        "age": [rng.choice([rng.randrange(-5, 130), None]) for _ in range(total)],
        "name": [rng.choice(["张三", None]) for _ in range(total)],
    }


def naive(rule: str, row: dict[str, Any], rows: dict[str, list[Any]]) -> bool:  # noqa: PLR0911 (one case per rule kind)
    """Whether ``row`` passes ``rule``, computed the obvious way in Python."""
    match rule:
        case "id_valid":
            try:
                check_id_number(row["id"])
            except CodeError:
                return False
            return True
        case "id_unique":
            return rows["id"].count(row["id"]) == 1
        case "sex_code":
            return row["sex"] is None or row["sex"] in ("1", "2")
        case "age_range":
            return row["age"] is None or 0 <= row["age"] <= 120
        case "named":
            return row["name"] is not None
        case "adult_named":
            if row["age"] is None:
                return row["name"] is not None or True  # NULL OR ... conforms unless false
            return row["age"] < 18 or row["name"] is not None
    raise AssertionError(rule)


def lake_with(tmp_path: Path, data: dict[str, list[Any]]) -> LakeTable:
    lake = LakeTable(LocalLocation(tmp_path), "people")
    lake.write(pa.table(data), mode="overwrite", metadata={})
    return lake


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_scan_gives_the_same_counts_and_rows_as_a_naive_reference(
    tmp_path: Path, seed: int
) -> None:
    data = random_rows(400, seed)
    lake = lake_with(tmp_path, data)
    evaluation = evaluate(lake, 0, load_rule_set_yaml(RULES), key_columns=["n"], context=CONTEXT)
    rows = [dict(zip(data, values, strict=True)) for values in zip(*data.values(), strict=True)]
    for outcome in evaluation.outcomes:
        expected = {row["n"] for row in rows if not naive(outcome.spec.code, row, data)}
        assert outcome.evaluated == len(rows)
        assert outcome.failed == len(expected), outcome.spec.code
        assert {f.key["n"] for f in outcome.failures} == expected, outcome.spec.code


def test_failing_rows_are_capped_but_the_count_stays_exact(tmp_path: Path) -> None:
    lake = lake_with(tmp_path, {"n": list(range(50)), "v": [None] * 50})
    spec = parse_rule_set({"rules": [{"code": "r", "kind": "not_null", "column": "v"}]})
    outcome = evaluate(lake, 0, spec, key_columns=["n"], context=CONTEXT, cap=7).outcomes[0]
    assert (outcome.failed, len(outcome.failures), outcome.score) == (50, 7, 0.0)


def test_an_unknown_dimension_is_refused_with_its_own_code() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_rule_set(
            {"rules": [{"code": "r", "kind": "not_null", "column": "v", "dimension": "beauty"}]}
        )
    assert caught.value.error_code == "quality_unknown_dimension"
    assert "未知的质量维度" in str(caught.value.fields)


def test_bad_yaml_names_the_line() -> None:
    with pytest.raises(InvalidInput) as caught:
        load_rule_set_yaml("rules:\n  - code: [unclosed\n")
    assert caught.value.error_code == "quality_rules_invalid"
    assert "行" in caught.value.message


@pytest.mark.parametrize(
    "expression",
    [
        "v >",  # a syntax error
        "v IN (SELECT 1 FROM other)",  # a subquery on another table
        "1) FROM other --",  # breaking out of the expression
        "v = 1; DROP TABLE gd_rows",
        "nope = 1",  # an unknown column
        "v + 1",  # not a condition
        "EXISTS (SELECT * FROM read_csv('/etc/passwd'))",
    ],
)
def test_custom_sql_that_is_not_a_condition_on_this_table_is_refused(
    tmp_path: Path, expression: str
) -> None:
    lake = lake_with(tmp_path, {"n": [1], "v": [1]})
    spec = parse_rule_set(
        {
            "rules": [
                {
                    "code": "r",
                    "kind": "sql",
                    "expression": expression,
                    "dimension": "accuracy",
                    "sub_indicator": "content_correctness",
                }
            ]
        }
    )
    with pytest.raises(InvalidInput) as caught:
        evaluate(lake, 0, spec, key_columns=["n"], context=CONTEXT)
    assert caught.value.error_code == "quality_sql_invalid"


def test_a_rule_on_a_missing_column_is_refused(tmp_path: Path) -> None:
    lake = lake_with(tmp_path, {"n": [1], "v": [1]})
    spec = parse_rule_set({"rules": [{"code": "r", "kind": "not_null", "column": "gone"}]})
    with pytest.raises(InvalidInput) as caught:
        evaluate(lake, 0, spec, key_columns=["n"], context=CONTEXT)
    assert caught.value.error_code == "quality_unknown_column"


def test_a_table_that_changes_mid_run_fails_the_evaluation(tmp_path: Path) -> None:
    lake = lake_with(tmp_path, {"n": [1, 2], "v": [GOOD_ID, "x"]})
    spec = parse_rule_set({"rules": [{"code": "r", "kind": "not_null", "column": "v"}]})

    def someone_writes(_rows: int) -> None:
        lake.write(pa.table({"n": [3], "v": ["y"]}), mode="append", metadata={})

    with pytest.raises(Conflict) as caught:
        evaluate(lake, 0, spec, key_columns=["n"], context=CONTEXT, on_batch=someone_writes)
    assert caught.value.error_code == "quality_table_changed"


def test_a_direct_scan_flags_exactly_the_values_the_reference_validators_refuse(
    tmp_path: Path,
) -> None:

    ids = messy_ids(3_000, seed=5)
    rng = random.Random(5)  # noqa: S311 (test data)
    codes = [
        rng.choice([GOOD_CREDIT, GOOD_CREDIT.lower(), GOOD_CREDIT[:-1] + "0", "BAD", None])
        for _ in ids
    ]
    lake = lake_with(tmp_path, {"n": list(range(len(ids))), "id": ids, "code": codes})
    spec = parse_rule_set(
        {
            "rules": [
                {"code": "i", "kind": "id_number", "column": "id", "division_check": "structure"},
                {"code": "c", "kind": "credit_code", "column": "code"},
            ]
        }
    )
    outcomes = evaluate(lake, 0, spec, key_columns=["n"], context=CONTEXT).outcomes
    id_ok = id_number_ok(pa.array(ids, pa.string()), INDEX, "structure", CONTEXT.today)
    code_ok = credit_code_ok(pa.array(codes, pa.string()))
    for outcome, verdicts in zip(outcomes, (id_ok, code_ok), strict=True):
        expected = {n for n, ok in enumerate(verdicts.to_pylist()) if ok is False}
        assert {f.key["n"] for f in outcome.failures} == expected, outcome.spec.code
        assert outcome.failed == len(expected)


UNIQUE_RULES: dict[str, Any] = {
    "rules": [
        {"code": "one", "kind": "unique", "column": "a"},
        {"code": "two", "kind": "unique", "columns": ["a", "b"]},
    ]
}


def _repeated(rows: list[tuple[Any, ...]]) -> set[int]:
    """The positions of rows without nulls whose values occur more than once."""
    present = [row for row in rows if None not in row]
    return {n for n, row in enumerate(rows) if None not in row and present.count(row) > 1}


def _colliding_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Group by a key with three values: nearly every row becomes a candidate."""
    monkeypatch.setattr(
        compile_module, "candidate_key", lambda columns: f"(hash({', '.join(columns)}) % 3)"
    )


@pytest.mark.parametrize("collide", [False, True])
@pytest.mark.parametrize("seed", [7, 8])
def test_uniqueness_candidates_are_confirmed_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, collide: bool
) -> None:
    if collide:
        _colliding_candidates(monkeypatch)
    rng = random.Random(seed)  # noqa: S311 (test data)
    a = [rng.choice([None, *(f"v{k}" for k in range(150))]) for _ in range(300)]
    b = [rng.choice([None, 1, 2]) for _ in a]
    lake = lake_with(tmp_path, {"n": list(range(len(a))), "a": a, "b": b})
    outcomes = evaluate(
        lake, 0, parse_rule_set(UNIQUE_RULES), key_columns=["n"], context=CONTEXT, cap=1_000
    ).outcomes
    expected = [_repeated([(v,) for v in a]), _repeated(list(zip(a, b, strict=True)))]
    for outcome, wanted in zip(outcomes, expected, strict=True):
        assert wanted, outcome.spec.code
        assert outcome.failed == len(wanted), outcome.spec.code
        assert [f.key["n"] for f in outcome.failures] == sorted(wanted), outcome.spec.code
        assert all(f.reason == "与其他行重复" for f in outcome.failures)
    capped = evaluate(
        lake, 0, parse_rule_set(UNIQUE_RULES), key_columns=["n"], context=CONTEXT, cap=5
    ).outcomes
    for outcome, wanted in zip(capped, expected, strict=True):
        assert outcome.failed == len(wanted)
        assert len(outcome.failures) == 5
        assert {f.key["n"] for f in outcome.failures} <= wanted


@pytest.mark.parametrize("collide", [False, True])
def test_uniqueness_of_an_encrypted_column_compares_its_ciphertexts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, collide: bool
) -> None:
    if collide:
        _colliding_candidates(monkeypatch)
    keys = DataKeySet("lake:people", 1, {1: os.urandom(16)})
    rng = random.Random(9)  # noqa: S311 (test data)
    a = [rng.choice([None, *(f"v{k}" for k in range(60))]) for _ in range(120)]
    b = [rng.choice([None, 1, 2]) for _ in a]
    data = pa.table({"n": list(range(len(a))), "a": a, "b": b})
    writing = TableProtection("people", ("a",), keys, write_version=1)
    lake = lake_with(tmp_path, writing.encrypt(data).to_pydict())
    outcomes = evaluate(
        lake,
        0,
        parse_rule_set(UNIQUE_RULES),
        key_columns=["n"],
        context=CONTEXT,
        protection=TableProtection("people", ("a",), keys),
    ).outcomes
    expected = [_repeated([(v,) for v in a]), _repeated(list(zip(a, b, strict=True)))]
    for outcome, wanted in zip(outcomes, expected, strict=True):
        assert outcome.failed == len(wanted), outcome.spec.code
        assert [f.key["n"] for f in outcome.failures] == sorted(wanted), outcome.spec.code
        assert all("enc" in f.values["a"] for f in outcome.failures)
