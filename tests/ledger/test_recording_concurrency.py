"""Specification: ledgered events never make concurrent transactions deadlock.

Half the writers record a ledgered event and then lock a shared row; the other
half lock the row first and record the event after. Had the entry been appended
where the event was recorded, the first kind would hold the ledger head while
waiting for the row and the second the row while waiting for the head: a
deadlock on PostgreSQL (GOVDATA_TEST_DATABASE_URL). Entries are appended at
commit, after everything else, so the head is always the last lock taken.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from govdata.accounts.events import UserActivityChanged
from govdata.actions import Context
from govdata.authz import PolicyTable, system_actor
from govdata.db import Database, utcnow
from govdata.events import EventRecord, record_event
from govdata.ledger import entries_about, tree_size
from govdata.ledger.audit import audit_database
from govdata.migrate import upgrade
from govdata.services import Services
from govdata.settings import Settings
from tests.databases import scratch_database_url

WRITERS = 6
ROUNDS = 5
SHARED = "shared-row"


@pytest.fixture
def committed(tmp_path: Path) -> Iterator[Database]:
    for url in scratch_database_url(tmp_path):
        database = Database.from_url(url)
        upgrade(database.engine)
        with database.transaction() as session:
            session.add(
                EventRecord(
                    id=SHARED,
                    name="test:row:shared",
                    subject_id=SHARED,
                    actor_kind="system",
                    actor_name="test",
                    data={},
                    occurred_at=utcnow(),
                )
            )
        yield database
        database.dispose()


def _context(session: Session) -> Context:
    # record_event needs only the session and the actor.
    return Context(
        session=session,
        actor=system_actor("test"),
        policy=PolicyTable(()),
        settings=cast(Settings, None),
        services=cast(Services, None),
    )


def _touch_shared_row(session: Session, number: int) -> None:
    session.execute(
        update(EventRecord).where(EventRecord.id == SHARED).values(actor_name=f"writer {number}")
    )


def test_writers_locking_in_either_order_around_ledgered_events_all_commit(
    committed: Database,
) -> None:
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            barrier.wait()
            for round_ in range(ROUNDS):
                subject = f"user-{number}-{round_}"
                with committed.transaction() as session:
                    ctx = _context(session)
                    if number % 2:
                        record_event(ctx, UserActivityChanged(subject_id=subject, active=True))
                        _touch_shared_row(session, number)
                    else:
                        _touch_shared_row(session, number)
                        record_event(ctx, UserActivityChanged(subject_id=subject, active=True))
        except BaseException as error:  # noqa: BLE001 (reported by the main thread)
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    with committed.transaction() as session:
        assert tree_size(session) == WRITERS * ROUNDS
        assert all(
            len(entries_about(session, f"user-{n}-{r}")) == 1
            for n in range(WRITERS)
            for r in range(ROUNDS)
        )
        report = audit_database(session)
        assert report.ok, report.failures
