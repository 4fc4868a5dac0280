"""Subscriptions (S4): a committed version reaches the subscriber as a change batch
(inserted, updated, deleted rows by key, masked and scoped by the grant), through
the outbox in the metadata database or NATS JetStream; acknowledged batches move
the subscriber's version, unacknowledged ones are delivered again, a consumer
that was down catches up, and one that never acknowledges is flagged."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from govdata.actions import ActionRegistry, Context
from govdata.db import Database, utcnow
from govdata.errors import Conflict, Forbidden
from govdata.ledger import decode_entry, entries_about, get_leaf
from govdata.ledger.entries import EntryKind
from govdata.services import Services
from govdata.settings import Settings
from govdata.sharing.changes import batch_digests
from govdata.sharing.delivery_models import ChangeBatch
from govdata.sharing.subscriptions import DispatchReport, dispatch
from govdata.sharing.transports import NatsSubscriber, run_coroutine
from tests.aggregation.conftest import CLEAN_ROWS, POPULATION_HEADER, Run, valid_id, write_csv
from tests.sharing.delivery_fixtures import approve

# 王芳 changes her name, 李四 leaves, 赵敏 (Hohhot, 150103) arrives, 钱七 (Beijing) too.
CHANGED_ROWS = [
    CLEAN_ROWS[0],
    CLEAN_ROWS[2].replace("王芳", "王芳芳"),
    (
        f"{valid_id('15010319950101234')},赵敏,2,1995-01-01,150103,呼和浩特市回民区1号,"
        "13700000000,2024-02-01 08:00:00"
    ),
    (
        f"{valid_id('11010119800101001')},钱七,1,1980-01-01,110101,北京市东城区1号,"
        "13600000000,2024-02-01 08:00:00"
    ),
]


@pytest.fixture
def grant_id(as_consumer: Run, as_provider: Run, source: Any, conditional_entry: str) -> str:
    return approve(as_consumer, as_provider, conditional_entry, ["subscription"])


@pytest.fixture
def commit_version(
    inbox: Path, source: Any, run_now: Callable[..., Any], consumer: Context
) -> Callable[[list[str]], int]:
    """Load ``rows`` as the source's new content; returns the version committed."""

    def commit(rows: list[str]) -> int:
        consumer.session.commit()
        write_csv(inbox, "people.csv", [POPULATION_HEADER, *rows])
        run = run_now(source.id)
        assert run.status == "succeeded"
        return int(run.version)

    return commit


@pytest.fixture
def dispatcher(
    db: Database, agg_settings: Settings, agg_services: Services, consumer: Context
) -> Callable[..., DispatchReport]:
    def run(settings: Settings = agg_settings) -> DispatchReport:
        consumer.session.commit()
        report = dispatch(db, settings, agg_services)
        consumer.session.expire_all()
        return report

    return run


def subscribe(as_consumer: Run, grant_id: str) -> Any:
    return as_consumer("subscription_create", {"grant_id": grant_id})


def test_a_new_version_reaches_the_subscriber_as_a_masked_scoped_change_batch(
    as_consumer: Run, grant_id: str, commit_version: Any, dispatcher: Any
) -> None:
    subscription = subscribe(as_consumer, grant_id)

    version = commit_version(CHANGED_ROWS)
    dispatcher()
    batch = as_consumer("subscription_pull", {"id": subscription.id}).batch

    assert (batch.sequence, batch.from_version, batch.to_version) == (
        1,
        subscription.start_version,
        version,
    )
    assert batch.counts == {"inserted": 1, "updated": 1, "deleted": 1}
    changes = batch.changes
    assert changes["columns"] == ["id_number", "name", "division_code"]
    assert [row["division_code"] for row in changes["inserted"]] == ["150103"]  # not Beijing
    assert [row["division_code"] for row in changes["updated"]] == ["150104"]
    assert [row["division_code"] for row in changes["deleted"]] == ["150102"]
    assert (
        changes["updated"][0]["name"].startswith("王")
        and "芳芳" not in changes["updated"][0]["name"]
    )
    assert changes["inserted"][0]["id_number"] != valid_id("15010319950101234")
    assert (batch.sha256, batch.sm3) == batch_digests(changes)


def test_acknowledging_moves_the_acknowledged_version_and_nothing_is_pulled_again(
    as_consumer: Run, grant_id: str, commit_version: Any, dispatcher: Any
) -> None:
    subscription = subscribe(as_consumer, grant_id)
    version = commit_version(CHANGED_ROWS)
    dispatcher()
    as_consumer("subscription_pull", {"id": subscription.id})

    acked = as_consumer("subscription_ack", {"id": subscription.id, "sequence": 1})

    assert (acked.acked_version, acked.lag_versions, acked.pending_batches) == (version, 0, 0)
    pulled = as_consumer("subscription_pull", {"id": subscription.id})
    assert (pulled.batch, pulled.in_flight) == (None, False)


def test_an_unacknowledged_batch_is_delivered_again_after_the_redelivery_time(
    registry: ActionRegistry,
    consumer: Context,
    grant_id: str,
    commit_version: Any,
    dispatcher: Any,
) -> None:
    subscription = registry.run("subscription_create", consumer, {"grant_id": grant_id})
    commit_version(CHANGED_ROWS)
    dispatcher()
    first = registry.run("subscription_pull", consumer, {"id": subscription.id})

    still_waiting = registry.run("subscription_pull", consumer, {"id": subscription.id})
    assert (still_waiting.batch, still_waiting.in_flight) == (None, True)

    at_once = replace(
        consumer,
        settings=consumer.settings.model_copy(update={"subscription_redelivery_seconds": 0}),
    )
    again = registry.run("subscription_pull", at_once, {"id": subscription.id})
    assert again.batch.batch_id == first.batch.batch_id
    assert again.batch.deliveries == 2


def test_a_consumer_that_was_down_catches_up_from_its_last_acknowledged_version(
    as_consumer: Run, grant_id: str, commit_version: Any, dispatcher: Any
) -> None:
    subscription = subscribe(as_consumer, grant_id)
    first = commit_version(CHANGED_ROWS)
    dispatcher()
    # While the consumer is down, two more versions are committed.
    second = commit_version(CLEAN_ROWS)
    dispatcher()
    third = commit_version(CHANGED_ROWS[:2])
    dispatcher()

    seen = []
    while (batch := as_consumer("subscription_pull", {"id": subscription.id}).batch) is not None:
        seen.append((batch.from_version, batch.to_version))
        as_consumer("subscription_ack", {"id": subscription.id, "sequence": batch.sequence})

    start = subscription.start_version
    assert seen == [(start, first), (first, second), (second, third)]
    listed = as_consumer("subscription_list", {"grant_id": grant_id}).subscriptions
    assert (listed[0].acked_version, listed[0].lag_versions) == (third, 0)


def test_a_consumer_that_never_acknowledges_is_flagged_and_gets_no_more_batches(
    as_consumer: Run,
    consumer: Context,
    grant_id: str,
    commit_version: Any,
    dispatcher: Any,
    agg_settings: Settings,
) -> None:
    subscription = subscribe(as_consumer, grant_id)
    commit_version(CHANGED_ROWS)
    dispatcher()
    consumer.session.execute(update(ChangeBatch).values(created_at=utcnow() - timedelta(hours=2)))
    impatient = agg_settings.model_copy(update={"subscription_stall_seconds": 3600})

    report = dispatcher(impatient)
    commit_version(CLEAN_ROWS)
    later = dispatcher(impatient)

    assert report.flagged == [subscription.id] and later.batches == []
    flagged = as_consumer("subscription_list", {"grant_id": grant_id}).subscriptions[0]
    assert (flagged.status, flagged.pending_batches) == ("stalled", 1)
    consumer.session.commit()
    kinds = [
        decode_entry(get_leaf(consumer.session, i).entry).kind
        for i in entries_about(consumer.session, subscription.id)
    ]
    assert "sharing:subscription:stalled" in kinds


def test_batches_are_delivered_events_in_the_ledger(
    as_consumer: Run, consumer: Context, grant_id: str, commit_version: Any, dispatcher: Any
) -> None:
    subscription = subscribe(as_consumer, grant_id)
    commit_version(CHANGED_ROWS)
    dispatcher()
    batch = as_consumer("subscription_pull", {"id": subscription.id}).batch
    consumer.session.commit()

    entries = [
        decode_entry(get_leaf(consumer.session, i).entry)
        for i in entries_about(consumer.session, batch.batch_id)
    ]
    assert [e.kind for e in entries] == [EntryKind.DELIVERY_MADE]
    assert entries[0].body["data"]["sha256"] == batch.sha256


def test_a_revoked_grant_gets_no_batch_and_its_subscription_cannot_pull(
    as_consumer: Run, as_provider: Run, grant_id: str, commit_version: Any, dispatcher: Any
) -> None:
    subscription = subscribe(as_consumer, grant_id)
    as_provider("grant_revoke", {"id": grant_id, "reason": "停止共享"})
    commit_version(CHANGED_ROWS)

    assert dispatcher().batches == []
    with pytest.raises(Forbidden) as caught:
        as_consumer("subscription_pull", {"id": subscription.id})
    assert caught.value.error_code == "grant_revoked"


def test_subscribing_needs_a_grant_carrying_subscription(
    as_consumer: Run, as_provider: Run, source: Any, publish_entry: Any
) -> None:
    bulk_only = approve(as_consumer, as_provider, publish_entry("conditional"), ["bulk"])

    with pytest.raises(Forbidden) as caught:
        subscribe(as_consumer, bulk_only)

    assert caught.value.error_code == "grant_method_not_granted"


def test_a_grant_has_one_subscription_at_a_time(as_consumer: Run, grant_id: str) -> None:
    first = subscribe(as_consumer, grant_id)
    with pytest.raises(Conflict):
        subscribe(as_consumer, grant_id)

    as_consumer("subscription_cancel", {"id": first.id})

    assert subscribe(as_consumer, grant_id).status == "active"


# --- NATS JetStream ---------------------------------------------------------------------


def nats_reachable(host: str = "127.0.0.1", port: int = 4222) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


needs_nats = pytest.mark.skipif(
    not nats_reachable(), reason="NATS with JetStream not running at 127.0.0.1:4222"
)


@needs_nats
def test_over_nats_a_batch_is_redelivered_until_acknowledged_then_the_version_moves(
    registry: ActionRegistry,
    consumer: Context,
    grant_id: str,
    commit_version: Any,
    dispatcher: Any,
    agg_settings: Settings,
) -> None:
    nats = agg_settings.model_copy(
        update={"subscription_transport": "nats", "subscription_redelivery_seconds": 1}
    )
    subscription = registry.run(
        "subscription_create", replace(consumer, settings=nats), {"grant_id": grant_id}
    )
    assert subscription.transport == "nats"
    version = commit_version(CHANGED_ROWS)
    assert dispatcher(nats).published == 1
    receiver = NatsSubscriber(nats.nats_url, nats.node_code, subscription.id)

    unacknowledged = receiver.fetch(ack=False, limit=1)
    time.sleep(1.5)  # past ack_wait: JetStream delivers it again
    redelivered = receiver.fetch(ack=True, limit=1)

    assert [b["batch_id"] for b in unacknowledged] == [b["batch_id"] for b in redelivered]
    assert redelivered[0]["counts"] == {"inserted": 1, "updated": 1, "deleted": 1}
    dispatcher(nats)
    listed = registry.run("subscription_list", consumer, {"grant_id": grant_id})
    assert listed.subscriptions[0].acked_version == version


def test_transport_sessions_run_even_where_an_event_loop_is_already_running() -> None:
    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    async def host() -> int:
        return run_coroutine(answer)  # called from synchronous code inside a running loop

    def hosted() -> int:  # on a thread of its own, whatever runs on the test's thread
        return asyncio.run(host())

    assert run_coroutine(answer) == 42
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(hosted).result() == 42
