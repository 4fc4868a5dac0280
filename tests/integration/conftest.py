"""Integration fixtures: a committed node (not rolled back) in its own scratch database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from govdata.actions import Context
from govdata.areas import build_registry
from govdata.authz import Actor
from govdata.db import Database
from govdata.demo import load_demo
from govdata.migrate import upgrade
from govdata.nodes.services import ensure_self_node
from govdata.services import build_services
from govdata.settings import Settings
from tests.conftest import operator_context
from tests.databases import scratch_database_url

T = TypeVar("T")


@dataclass
class CommittedNode:
    """A registered node with the demo region, whose units of work really commit."""

    database: Database
    settings: Settings

    def run(self, actor: Actor | None, name: str, data: dict[str, Any]) -> Any:
        """One action in its own committed transaction (None: the node operator)."""
        return self.work(actor, lambda ctx: build_registry().run(name, ctx, data))

    def work(self, actor: Actor | None, work: Callable[[Context], T]) -> T:
        with self.database.transaction() as session:
            ctx = operator_context(session, self.settings, build_services(self.settings))
            if actor is not None:
                ctx.actor = actor
            return work(ctx)


def load_demo_region(ctx: Context) -> None:
    registry = build_registry()
    load_demo(ctx, lambda name, data: registry.run(name, ctx, data))


@pytest.fixture
def node(tmp_path: Path) -> Iterator[CommittedNode]:
    for url in scratch_database_url(tmp_path):
        settings = Settings(data_dir=tmp_path / "data", database_url=url)
        database = Database.from_url(url)
        upgrade(database.engine)
        with database.transaction() as session:
            ensure_self_node(session, settings)
        committed = CommittedNode(database, settings)
        committed.work(None, load_demo_region)
        yield committed
        database.dispose()
