"""Shared fixtures: one migrated database per run, one rolled-back transaction per test.

Set ``GOVDATA_TEST_DATABASE_URL`` to a PostgreSQL server URL (for example
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) to run the whole
suite on PostgreSQL: a fresh database is created for the run and dropped after.
Without it the suite runs on a SQLite file.

Under pytest-xdist (``make test`` runs ``pytest -n auto --dist loadgroup``) every
worker is a process of its own with its own temporary directory, so each builds its
own migrated database (its own scratch database on PostgreSQL). Tests are handed out
one at a time, except those sharing a costly fixture wider than a test, which
``pytest_collection_modifyitems`` below keeps on one worker.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from govdata import cli_support
from govdata.actions import ActionRegistry, Context
from govdata.app import create_app
from govdata.areas import build_policy, build_registry
from govdata.authz import system_actor
from govdata.cli import app as cli_app
from govdata.db import Database, make_engine
from govdata.demo import load_demo
from govdata.migrate import upgrade
from govdata.nodes.services import ensure_self_node
from govdata.services import Services, build_services
from govdata.settings import Settings
from tests.databases import scratch_database_url

# Fixtures of these scopes are built once per module (class, package) on each worker.
_GROUPED_SCOPES = frozenset({"module", "class", "package"})
# Session fixtures defined at the top of the suite: built once on every worker anyway.
_SUITE_WIDE = frozenset({"", "tests"})


def _xdist_group(item: pytest.Item) -> str | None:
    """The group of tests that must share ``item``'s worker to share a costly fixture.

    A session fixture from a sub-directory's conftest (the browser tests' Chromium and
    live node) groups that directory; a module-scoped fixture groups the module. Tests
    using neither return None and are spread test by test.
    """
    fixture_info = getattr(item, "_fixtureinfo", None)
    if fixture_info is None:
        return None
    module_group = None
    for definitions in fixture_info.name2fixturedefs.values():
        for definition in definitions:
            if definition.scope == "session" and definition.baseid not in _SUITE_WIDE:
                return str(definition.baseid)
            if definition.scope in _GROUPED_SCOPES:
                module_group = item.nodeid.split("::", 1)[0]
    return module_group


# The slowest tests (about a minute each), handed out first under pytest-xdist so that
# none of them is left running alone at the end of the run.
_SLOW_FIRST = (
    "tests/aggregation/test_killed_load.py",
    "tests/aggregation/test_cli.py",
    "tests/aggregation/test_spark_reads_load.py",
    "tests/fuzz/",
    "tests/test_bench_smoke.py",
)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks (``--dist loadgroup``)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "PYTEST_XDIST_WORKER" in os.environ:  # every worker sorts its collection alike
        items.sort(key=lambda item: not item.nodeid.startswith(_SLOW_FIRST))
    for item in items:
        group = _xdist_group(item)
        if group is not None and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from scratch_database_url(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("data"),
        database_url=database_url,
        node_code="150000",
        node_name="内蒙古自治区政务大数据平台",
        max_body_bytes=64 * 1024,
        log_format="console",
        job_runner="inline",
        scheduler_enabled=False,
    )


@pytest.fixture(scope="session")
def services(settings: Settings, engine: Engine) -> Services:
    """The node's backends; they exist once the node is registered (engine)."""
    return build_services(settings)


@pytest.fixture(scope="session")
def registry() -> ActionRegistry:
    return build_registry()


@pytest.fixture(scope="session")
def engine(settings: Settings, registry: ActionRegistry) -> Iterator[Engine]:
    """The migrated database with the node registered and the demo region loaded, committed."""
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    database = Database(engine)
    with database.transaction() as session:
        ensure_self_node(session, settings)
    with database.transaction() as session:
        ctx = operator_context(session, settings, build_services(settings))
        load_demo(ctx, lambda name, data: registry.run(name, ctx, data))
    yield engine
    engine.dispose()


def operator_context(session: Session, settings: Settings, services: Services) -> Context:
    return Context(
        session=session,
        actor=system_actor("test"),
        policy=build_policy(),
        settings=settings,
        services=services,
    )


@pytest.fixture
def db(engine: Engine) -> Iterator[Database]:
    """A database whose commits are savepoints of one transaction, rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    try:
        yield Database.bound_to(connection)
    finally:
        transaction.rollback()
        connection.close()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.sessionmaker() as session:
        yield session


@pytest.fixture
def operator(session: Session, settings: Settings, services: Services) -> Context:
    """A context acting as the node operator (what the CLI uses)."""
    return operator_context(session, settings, services)


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, db)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


# --- the command line, in-process, on a data directory of the test's own ----------

Invoke = Callable[..., Result]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The commands configure logging for the process; undo that after each test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    alembic_level = logging.getLogger("alembic").level
    structlog_config = structlog.get_config()
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(alembic_level)
    structlog.configure(**structlog_config)


@pytest.fixture
def database_file(tmp_path: Path) -> Path:
    return tmp_path / "x.sqlite3"


@pytest.fixture
def cli_env(tmp_path: Path, database_file: Path) -> dict[str, str | None]:
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("GOVDATA_")}
    env.update(
        {
            "GOVDATA_DATA_DIR": str(tmp_path),
            "GOVDATA_DATABASE_URL": f"sqlite:///{database_file}",
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }
    )
    return env


@pytest.fixture
def govdata(
    cli_env: dict[str, str | None], restore_logging: None, monkeypatch: pytest.MonkeyPatch
) -> Invoke:
    """Runs ``govdata <args>`` in-process with this test's environment."""
    # A console created while COLUMNS is set (as in pytest-xdist's workers) keeps that
    # width for good; unpinned, it reads the COLUMNS of ``cli_env`` at each command.
    for console in (cli_support.console, cli_support.err_console):
        monkeypatch.setattr(console, "_width", None)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli_app, list(args), env=cli_env, catch_exceptions=False)

    return invoke


@pytest.fixture
def cli_db(database_file: Path) -> Iterator[Session]:
    """A session reading the database the commands wrote."""
    engine = make_engine(f"sqlite:///{database_file}")
    with Session(engine) as reader:
        yield reader
    engine.dispose()
