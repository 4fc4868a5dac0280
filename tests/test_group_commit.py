"""The group committer: the writes that record service calls, batched.

These run on a database of their own with its own engine (the tests' shared,
rolled-back connection makes the committer write inline), so batches really are
written from the committer's thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import ClassVar

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.accounts.models import UsedNonce
from govdata.accounts.services import SignedCall
from govdata.actions import BatchedWrite, Context
from govdata.areas import build_policy
from govdata.authz import system_actor
from govdata.db import Database, new_id, utcnow
from govdata.errors import GovdataError, RateLimited
from govdata.events import EventRecord, record_event
from govdata.ledger.audit import audit_database
from govdata.ledger.store import tree_size
from govdata.migrate import upgrade
from govdata.services import Services
from govdata.settings import Settings
from govdata.sharing.service_api import NonceUse
from govdata.sharing.service_events import ServiceDelivered
from govdata.web.group_commit import GroupCommitter
from tests.databases import scratch_database_url

WAIT_SECONDS = 10.0


@pytest.fixture(scope="module")
def own_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    for url in scratch_database_url(tmp_path_factory.mktemp("group-commit")):
        database = Database.from_url(url)
        upgrade(database.engine)
        yield database
        database.dispose()


@pytest.fixture
def committer(own_db: Database) -> Iterator[GroupCommitter]:
    found = GroupCommitter(own_db)
    yield found
    found.stop()


def context(settings: Settings, services: Services, db: Database) -> Context:
    # The session is the committer's; this one is never used for writing.
    actor = system_actor("group-commit-test")
    return Context(db.sessionmaker(), actor, build_policy(), settings, services)


def delivered(record_id: str) -> Callable[[Context], None]:
    def write(ctx: Context) -> None:
        record_event(
            ctx,
            ServiceDelivered(
                subject_id="grant-under-test",
                service="query",
                grant_id="grant-under-test",
                entry_id="entry",
                holder_id="holder",
                grantee_id="grantee",
                application_id="application",
                on_behalf=False,
                source_id="source",
                version=1,
                where={},
                fields=["name"],
                masked={},
                rows=1,
                client_address=None,
                audit_release=None,
            ),
            record_id=record_id,
        )

    return write


def refused(ctx: Context) -> None:
    raise RateLimited("配额已用完", code="service_quota_calls")


def broken(ctx: Context) -> None:
    raise RuntimeError("not a refusal")


def recorded(db: Database, ids: list[str]) -> set[str]:
    with db.transaction() as session:
        return set(session.scalars(select(EventRecord.id).where(EventRecord.id.in_(ids))))


def run_together(
    committer: GroupCommitter,
    ctx: Context,
    calls: list[list[Callable[[Context], None]]],
) -> list[BaseException | None]:
    """The first call's writes hold the committer until every other call is
    queued, so that those are written as one batch."""
    outcomes: list[BaseException | None] = [None] * (len(calls) + 1)
    holding, release = threading.Event(), threading.Event()

    def hold(_ctx: Context) -> None:
        holding.set()
        release.wait(WAIT_SECONDS)

    def call(n: int, writes: list[Callable[[Context], None]]) -> None:
        try:
            committer.write(ctx, writes)
        except BaseException as error:  # noqa: BLE001 (kept for the assertions)
            outcomes[n] = error

    first = threading.Thread(target=call, args=(0, [hold]))
    first.start()
    assert holding.wait(WAIT_SECONDS), "the committer never started the first call"
    threads = [
        threading.Thread(target=call, args=(n + 1, writes)) for n, writes in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while committer.queued() < len(calls) and time.monotonic() < deadline:
        time.sleep(0.005)
    release.set()
    for thread in [first, *threads]:
        thread.join(WAIT_SECONDS)
    return outcomes[1:]


def test_concurrent_calls_are_written_in_one_batch_and_each_returns_once_committed(
    committer: GroupCommitter, own_db: Database, settings: Settings, services: Services
) -> None:
    ids = [new_id() for _ in range(12)]
    ctx = context(settings, services, own_db)
    with own_db.transaction() as session:
        before = tree_size(session)

    outcomes = run_together(committer, ctx, [[delivered(i)] for i in ids])

    assert outcomes == [None] * 12
    assert recorded(own_db, ids) == set(ids)
    assert (committer.batches, committer.calls) == (2, 13)  # the held call, then the rest
    with own_db.transaction() as session:
        assert tree_size(session) == before + 12
        assert audit_database(session).ok


def test_a_refused_call_loses_only_its_own_writes(
    committer: GroupCommitter, own_db: Database, settings: Settings, services: Services
) -> None:
    kept, dropped, also_kept = new_id(), new_id(), new_id()
    ctx = context(settings, services, own_db)

    outcomes = run_together(
        committer,
        ctx,
        [[delivered(kept)], [delivered(dropped), refused], [delivered(also_kept)]],
    )

    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], GovdataError)
    assert outcomes[1].error_code == "service_quota_calls"
    assert recorded(own_db, [kept, dropped, also_kept]) == {kept, also_kept}
    with own_db.transaction() as session:
        assert audit_database(session).ok


def test_an_unexpected_failure_is_retried_call_by_call_and_fails_only_its_call(
    committer: GroupCommitter, own_db: Database, settings: Settings, services: Services
) -> None:
    kept, failed, also_kept = new_id(), new_id(), new_id()
    ctx = context(settings, services, own_db)

    outcomes = run_together(
        committer,
        ctx,
        [[delivered(kept)], [delivered(failed), broken], [delivered(also_kept)]],
    )

    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], RuntimeError)
    assert recorded(own_db, [kept, failed, also_kept]) == {kept, also_kept}


def test_a_stopped_committer_writes_in_the_callers_thread(
    committer: GroupCommitter, own_db: Database, settings: Settings, services: Services
) -> None:
    committer.stop()
    record_id = new_id()

    committer.write(context(settings, services, own_db), [delivered(record_id)])

    assert recorded(own_db, [record_id]) == {record_id}


def test_a_database_bound_to_one_connection_is_written_inline(db: Database) -> None:
    assert GroupCommitter(db).inline is True


@dataclass(frozen=True)
class Tallied(BatchedWrite):
    """Records one event; a batch of them in one call of ``write_batch``, which
    refuses the whole batch when any of them is marked to refuse."""

    ctx: Context
    record_id: str
    refuse: bool = False
    batches: ClassVar[list[int]] = []

    def __call__(self, ctx: Context) -> None:
        if self.refuse:
            refused(ctx)
        delivered(self.record_id)(ctx)

    @classmethod
    def write_batch(cls, session: Session, writes: Sequence[Tallied]) -> None:
        cls.batches.append(len(writes))
        if any(write.refuse for write in writes):
            raise RateLimited("其中一次调用超出配额", code="service_quota_calls")
        for write in writes:
            write(replace(write.ctx, session=session))


def test_batched_writes_of_one_kind_are_made_together(
    committer: GroupCommitter, own_db: Database, settings: Settings, services: Services
) -> None:
    Tallied.batches.clear()
    ids = [new_id() for _ in range(12)]
    ctx = context(settings, services, own_db)

    outcomes = run_together(committer, ctx, [[Tallied(ctx, i)] for i in ids])

    assert outcomes == [None] * 12
    assert Tallied.batches == [12]
    assert recorded(own_db, ids) == set(ids)


def test_a_refused_batch_is_written_call_by_call(
    committer: GroupCommitter, own_db: Database, settings: Settings, services: Services
) -> None:
    Tallied.batches.clear()
    kept, dropped, also_kept = new_id(), new_id(), new_id()
    ctx = context(settings, services, own_db)

    outcomes = run_together(
        committer,
        ctx,
        [[Tallied(ctx, kept)], [Tallied(ctx, dropped, refuse=True)], [Tallied(ctx, also_kept)]],
    )

    assert Tallied.batches == [3]  # then each alone, through __call__
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], GovdataError)
    assert recorded(own_db, [kept, dropped, also_kept]) == {kept, also_kept}


def signed_call(nonce: str) -> SignedCall:
    now = utcnow()
    return SignedCall(
        actor=system_actor("group-commit-test"),
        key_id="key-under-test",
        nonce=nonce,
        nonce_expires_at=now + timedelta(minutes=5),
        last_used_at=now,
    )


def test_nonces_of_a_batch_are_consumed_together_and_a_repeat_among_them_is_refused(
    committer: GroupCommitter, own_db: Database, settings: Settings, services: Services
) -> None:
    first, second, repeated = (f"nonce-{new_id()}" for _ in range(3))
    ids = [new_id() for _ in range(4)]

    outcomes = run_together(
        committer,
        context(settings, services, own_db),
        [
            [NonceUse(signed_call(first)), delivered(ids[0])],
            [NonceUse(signed_call(repeated)), delivered(ids[1])],
            [NonceUse(signed_call(second)), delivered(ids[2])],
            [NonceUse(signed_call(repeated)), delivered(ids[3])],
        ],
    )

    assert outcomes[:3] == [None, None, None]
    assert isinstance(outcomes[3], GovdataError)
    assert outcomes[3].error_code == "signature_replayed"
    assert recorded(own_db, ids) == set(ids[:3])
    with own_db.transaction() as session:
        used = set(
            session.scalars(select(UsedNonce.nonce).where(UsedNonce.key_id == "key-under-test"))
        )
    assert {first, second, repeated} <= used


def test_a_batch_waits_for_calls_still_reading_but_a_lone_call_is_written_at_once(
    own_db: Database, settings: Settings, services: Services
) -> None:
    committer = GroupCommitter(own_db, gather_seconds=WAIT_SECONDS)
    ctx = context(settings, services, own_db)
    ids = [new_id() for _ in range(3)]
    try:
        began = time.monotonic()
        with committer.expecting():
            committer.write(ctx, [delivered(ids[0])])
        assert time.monotonic() - began < WAIT_SECONDS / 2  # nobody else was reading
        assert (committer.batches, committer.calls) == (1, 1)

        reading = threading.Barrier(2)

        def call(record_id: str, reads_for: float) -> None:
            with committer.expecting():
                reading.wait(WAIT_SECONDS)
                time.sleep(reads_for)
                committer.write(ctx, [delivered(record_id)])

        threads = [
            threading.Thread(target=call, args=(ids[1], 0.0)),
            threading.Thread(target=call, args=(ids[2], 0.2)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT_SECONDS)

        assert (committer.batches, committer.calls) == (2, 3)  # the two calls in one batch
        assert recorded(own_db, ids) == set(ids)
    finally:
        committer.stop()
