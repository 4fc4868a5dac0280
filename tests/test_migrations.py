"""Specification of the schema migrations.

On a fresh database the migrations reach the head revision, produce exactly the
schema the models declare, and can be undone to an empty database and redone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from govdata.db import make_engine
from govdata.migrate import current_revision, downgrade, head_revision, upgrade
from govdata.models import Base
from tests.databases import scratch_database_url


@pytest.fixture
def scratch_engine(tmp_path: Path) -> Iterator[Engine]:
    """An engine on a fresh, empty database (SQLite, or PostgreSQL when configured)."""
    urls = scratch_database_url(tmp_path)
    engine = make_engine(next(urls))
    try:
        yield engine
    finally:
        engine.dispose()
        urls.close()


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def test_there_is_exactly_one_head_revision() -> None:
    assert head_revision() is not None


def test_fresh_database_has_no_revision(scratch_engine: Engine) -> None:
    assert current_revision(scratch_engine) is None
    assert table_names(scratch_engine) == set()


def test_upgrade_reaches_the_head_revision(scratch_engine: Engine) -> None:
    upgrade(scratch_engine)

    assert current_revision(scratch_engine) == head_revision()


def test_upgrade_creates_every_model_table(scratch_engine: Engine) -> None:
    upgrade(scratch_engine)

    assert table_names(scratch_engine) == {*Base.metadata.tables, "alembic_version"}


def test_migrated_schema_matches_the_models(scratch_engine: Engine) -> None:
    upgrade(scratch_engine)

    assert schema_differences(scratch_engine) == []


def test_upgrade_twice_is_a_no_op(scratch_engine: Engine) -> None:
    upgrade(scratch_engine)
    upgrade(scratch_engine)

    assert current_revision(scratch_engine) == head_revision()
    assert schema_differences(scratch_engine) == []


def test_downgrade_to_base_leaves_only_the_version_table(scratch_engine: Engine) -> None:
    upgrade(scratch_engine)

    downgrade(scratch_engine, "base")

    assert table_names(scratch_engine) == {"alembic_version"}
    assert current_revision(scratch_engine) is None


def test_downgrade_then_upgrade_round_trips_to_the_same_schema(scratch_engine: Engine) -> None:
    upgrade(scratch_engine)
    downgrade(scratch_engine, "base")

    upgrade(scratch_engine)

    assert current_revision(scratch_engine) == head_revision()
    assert table_names(scratch_engine) == {*Base.metadata.tables, "alembic_version"}
    assert schema_differences(scratch_engine) == []
