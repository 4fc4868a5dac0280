"""Concurrent catalog writers on committed data: one decision per submitted version,
one entry per resource code."""

from __future__ import annotations

from sqlalchemy import func, select

from govdata.actions import Context
from govdata.catalog.models import CatalogEntry, EntryVersion
from govdata.events import EventRecord
from tests.catalog.conftest import entry_data, region_department
from tests.factories import user_actor
from tests.integration.conftest import CommittedNode
from tests.integration.test_concurrent_writes import CALLERS, race


def test_reviewers_deciding_at_once_publish_a_version_exactly_once(node: CommittedNode) -> None:
    market = node.work(None, lambda ctx: region_department(ctx.session, "市场监督管理局"))
    system = node.run(None, "system_register", {"organisation_id": market.id, "name": "登记系统"})
    entry = node.run(None, "entry_create", entry_data(market.id, system.id))
    node.run(None, "entry_submit", {"id": entry.id})
    reviewer = node.work(None, lambda ctx: user_actor(ctx.session, "reviewer"))

    outcomes = race(
        lambda: node.run(reviewer, "entry_review", {"id": entry.id, "decision": "publish"})
    )

    assert outcomes == ["entry_not_submitted"] * (CALLERS - 1) + ["ok"]

    def count(ctx: Context) -> tuple[int, int]:
        session = ctx.session
        published = session.scalar(
            select(func.count()).select_from(EntryVersion).where(EntryVersion.status == "published")
        )
        events = session.scalar(
            select(func.count())
            .select_from(EventRecord)
            .where(EventRecord.name == "catalog:entry:published")
        )
        return published, events

    assert node.work(None, count) == (1, 1)


def test_a_resource_code_registered_at_once_lands_once(node: CommittedNode) -> None:
    market = node.work(None, lambda ctx: region_department(ctx.session, "市场监督管理局"))

    outcomes = race(lambda: node.run(None, "entry_create", entry_data(market.id, None)))

    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} <= {"resource_code_taken", "conflict"}
    entries = node.work(
        None, lambda ctx: ctx.session.scalar(select(func.count()).select_from(CatalogEntry))
    )
    assert entries == 1
