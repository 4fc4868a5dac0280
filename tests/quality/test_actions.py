"""Quality through the actions: rules, runs, failing rows (decrypted only on display),
roll-ups, failed runs without partial scores, and refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from govdata.actions import ActionRegistry, Context
from govdata.errors import Forbidden, InvalidInput
from govdata.quality.models import QualityFailure, QualityRuleResult
from tests.aggregation.conftest import (
    CLEAN_ROWS,
    POPULATION_HEADER,
    Run,
    population_columns,
    write_csv,
)
from tests.factories import context_for, user_actor

BAD_ID_ROW = "150102199003071231,赵六,1,1990-03-07,150102,某地,13800000000,2024-01-04 00:00:00"
RULES = """
key_columns: [id_number]
rules:
  - {code: id_valid, name: 公民身份号码有效, kind: id_number, column: id_number,
     division_check: structure}
  - {code: named, kind: not_null, column: name}
  - {code: sex_code, kind: enum, column: sex, values: ["1", "2"]}
"""


@pytest.fixture
def source_id(as_provider: Run, entry_id: str, inbox: Path, run_now: Callable[..., Any]) -> str:
    location = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS, BAD_ID_ROW])
    source = as_provider(
        "source_register",
        {
            "entry_id": entry_id,
            "name": "户籍人口",
            "kind": "csv",
            "location": location,
            "columns": [
                c | {"check": None, "encrypted": True} if c["name"] == "id_number" else c
                for c in population_columns()
            ],
            "key_columns": ["id_number"],
            "updated_column": "updated_at",
        },
    )
    assert run_now(source.id).status == "succeeded"
    return str(source.id)


def test_a_provider_sees_the_score_and_opens_the_failing_rows(
    as_provider: Run, source_id: str, provider: Context
) -> None:
    as_provider("quality_rules_set", {"source_id": source_id, "yaml": RULES})
    run = as_provider("quality_run_start", {"source_id": source_id})
    assert run.status == "succeeded"
    by_code = {r.rule_code: r for r in run.results}
    assert (by_code["id_valid"].evaluated, by_code["id_valid"].failed) == (4, 1)
    assert by_code["id_valid"].dimension_label == "规范性"
    assert run.score == pytest.approx(11 / 12)
    page = as_provider("quality_failures", {"run_id": run.id, "rule": "id_valid"})
    assert [row.key for row in page.rows] == [{"id_number": "150102199003071231"}]
    assert page.rows[0].reason == "公民身份号码校验码错误"


def test_sensitive_keys_are_stored_encrypted_and_decrypted_on_display(
    as_provider: Run, source_id: str, provider: Context
) -> None:
    as_provider("quality_rules_set", {"source_id": source_id, "yaml": RULES})
    run = as_provider("quality_run_start", {"source_id": source_id})
    stored = provider.session.scalars(
        select(QualityFailure).where(QualityFailure.run_id == run.id)
    ).all()
    assert stored and all("enc" in row.row_key["id_number"] for row in stored)
    assert "150102199003071231" not in str([row.row_key for row in stored])
    page = as_provider("quality_failures", {"run_id": run.id})
    assert {"id_number": "150102199003071231"} in [row.key for row in page.rows]


def test_scores_roll_up_to_the_department_and_its_regions(
    as_provider: Run, source_id: str, market: Any
) -> None:
    as_provider("quality_rules_set", {"source_id": source_id, "yaml": RULES})
    as_provider("quality_run_start", {"source_id": source_id})
    report = as_provider("quality_scores", {})
    [resource] = [r for r in report.resources if r.id == source_id]
    assert resource.dimensions["normativity"] == pytest.approx(7 / 8)
    [department] = [d for d in report.departments if d.id == market.id]
    assert department.score == resource.score
    assert report.regions and all(r.score == resource.score for r in report.regions)
    assert [point.score for point in report.history[source_id]] == [resource.score]


def test_a_rule_failing_at_run_time_leaves_a_failed_run_without_scores(
    as_provider: Run, source_id: str, provider: Context
) -> None:
    rules = {
        "key_columns": ["id_number"],
        "rules": [
            {"code": "named", "kind": "not_null", "column": "name"},
            {
                "code": "numeric_name",
                "kind": "sql",
                "expression": "CAST(name AS INTEGER) > 0",
                "dimension": "accuracy",
                "sub_indicator": "content_correctness",
            },
        ],
    }
    as_provider("quality_rules_set", {"source_id": source_id, "rules": rules})
    run = as_provider("quality_run_start", {"source_id": source_id})
    assert (run.status, run.error_code, run.score, run.results) == (
        "failed",
        "quality_sql_failed",
        None,
        [],
    )
    assert "出错" in (run.error_message or "")
    results = provider.session.scalars(
        select(QualityRuleResult).where(QualityRuleResult.run_id == run.id)
    ).all()
    assert results == []


def test_rules_on_unknown_columns_are_refused_when_declared(
    as_provider: Run, source_id: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        as_provider(
            "quality_rules_set",
            {
                "source_id": source_id,
                "rules": {"rules": [{"code": "r", "kind": "not_null", "column": "nope"}]},
            },
        )
    assert caught.value.error_code == "quality_unknown_column"


def test_an_auditor_reads_scores_but_may_not_declare_rules(
    registry: ActionRegistry, agg_operator: Context, as_provider: Run, source_id: str
) -> None:
    auditor = context_for(agg_operator, user_actor(agg_operator.session, "auditor"))
    with pytest.raises(Forbidden):
        registry.run("quality_rules_set", auditor, {"source_id": source_id, "yaml": RULES})


def test_a_consumer_may_not_open_failing_rows(
    registry: ActionRegistry, agg_operator: Context, as_provider: Run, source_id: str
) -> None:
    as_provider("quality_rules_set", {"source_id": source_id, "yaml": RULES})
    run = as_provider("quality_run_start", {"source_id": source_id})
    consumer = context_for(agg_operator, user_actor(agg_operator.session, "consumer"))
    with pytest.raises(Forbidden):
        registry.run("quality_failures", consumer, {"run_id": run.id})


def test_rules_attached_from_data_elements_become_the_elements_checks(
    as_provider: Run, as_reviewer: Run, source_id: str
) -> None:
    as_reviewer(
        "element_define",
        {"code": "NM-DE-0001", "name": "备注", "identifier": "note", "data_type": "M"},
    )
    rules = """
key_columns: [id_number]
rules:
  - {code: id_element, kind: element, column: id_number, element: DE0001}
  - {code: sex_element, kind: element, column: sex, element: DE0003}
  - {code: phone_element, kind: element, column: phone, element: DE0008}
"""
    stored = as_provider("quality_rules_set", {"source_id": source_id, "yaml": rules})
    run = as_provider("quality_run_start", {"source_id": source_id})

    kinds = {rule["code"]: rule["kind"] for rule in stored.rules}
    assert kinds == {
        "id_element": "id_number",
        "id_element_length": "length",
        "sex_element": "enum",
        "sex_element_length": "length",
        "phone_element": "phone",
        "phone_element_length": "length",
    }
    sex = next(rule for rule in stored.rules if rule["code"] == "sex_element")
    assert sex["values"] == ["0", "1", "2", "9"] and "DE0003" in sex["description"]
    by_code = {r.rule_code: r for r in run.results}
    # The wrong check digit, and 110105 (Beijing): not in this node's division table.
    assert by_code["id_element"].failed == 2
    assert by_code["sex_element"].failed == 0
    for code, element in (("x", "DE9999"), ("y", "NM-DE-0001")):
        unusable = f"rules:\n  - {{code: {code}, kind: element, column: name, element: {element}}}"
        with pytest.raises(InvalidInput) as caught:
            as_provider("quality_rules_set", {"source_id": source_id, "yaml": unusable})
        assert caught.value.error_code in {"quality_unknown_element", "quality_element_unusable"}
