"""The demo: the population library gets quality rules and one scored run with
failing rows, and a second ``govdata demo`` leaves them alone."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import Result

from govdata.quality.models import QualityFailure, QualityRuleResult, QualityRun

Invoke = Callable[..., Result]


def test_the_demo_scores_the_population_library_and_keeps_its_failing_rows(
    govdata: Invoke, cli_db: Session, restore_logging: None
) -> None:
    result = govdata("demo")

    assert result.exit_code == 0, result.output
    assert "数据质量" in result.output
    run = cli_db.scalars(select(QualityRun)).one()
    assert run.status == "succeeded"
    assert run.library_id is not None
    assert run.score is not None and 0.9 < run.score < 1
    failed = dict(
        cli_db.execute(
            select(QualityRuleResult.rule_code, QualityRuleResult.failed).where(
                QualityRuleResult.run_id == run.id
            )
        ).all()
    )
    assert failed["id_valid"] == 2  # division codes that never existed
    assert failed["phone_present"] == 4
    assert failed["sex_matches_id"] == 1
    assert failed["birth_matches_id"] == 1
    assert failed["id_unique"] == failed["name_present"] == 0
    kept = cli_db.scalar(select(func.count()).select_from(QualityFailure))
    assert kept == sum(failed.values())


def test_running_the_demo_again_adds_no_quality_run(
    govdata: Invoke, cli_db: Session, restore_logging: None
) -> None:
    govdata("demo")

    result = govdata("demo")

    assert result.exit_code == 0, result.output
    assert cli_db.scalar(select(func.count()).select_from(QualityRun)) == 1
