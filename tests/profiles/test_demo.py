"""The demo builds one-person-one-file profiles from its three population sources."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import Result

from govdata.profiles.models import ProfileRecord, ProfileRun

Invoke = Callable[..., Result]


def test_the_demo_links_three_sources_into_profiles_some_probabilistically(
    govdata: Invoke, cli_db: Session, restore_logging: None
) -> None:
    govdata("demo")
    result = govdata("demo")  # a second run builds nothing more

    assert result.exit_code == 0, result.output
    run = cli_db.scalars(select(ProfileRun)).one()
    assert len(run.source_ids) == 3
    assert run.stats["linked_probabilistically"] >= 15  # the insured without an ID number
    # Every loaded record (597 + 612 + 300) belongs to a profile.
    records = cli_db.scalar(select(func.count()).select_from(ProfileRecord))
    assert records == 597 + 612 + 300
