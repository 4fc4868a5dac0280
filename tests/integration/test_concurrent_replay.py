"""Replay protection holds when identical signed requests arrive at the same time.

Runs on committed data in its own scratch database (SQLite by default, a fresh
PostgreSQL database when GOVDATA_TEST_DATABASE_URL is set): two sessions on two
connections race to consume the same nonce, and exactly one may win.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from govdata.accounts.services import authenticate_signed_request
from govdata.accounts.signing import signed_request_headers
from govdata.areas import build_registry
from govdata.authz import Actor
from govdata.db import Database
from govdata.demo import load_demo
from govdata.errors import Unauthenticated
from govdata.migrate import upgrade
from govdata.nodes.services import ensure_self_node
from govdata.services import build_services
from govdata.settings import Settings
from tests.conftest import operator_context
from tests.databases import scratch_database_url
from tests.factories import department

CALLERS = 4


@pytest.fixture
def committed(tmp_path: Path) -> Iterator[tuple[Database, Settings]]:
    for url in scratch_database_url(tmp_path):
        settings = Settings(data_dir=tmp_path / "data", database_url=url)
        database = Database.from_url(url)
        upgrade(database.engine)
        yield database, settings
        database.dispose()


def issue_key(database: Database, settings: Settings) -> tuple[str, str]:
    registry = build_registry()
    with database.transaction() as session:
        ensure_self_node(session, settings)
    with database.transaction() as session:
        ctx = operator_context(session, settings, build_services(settings))
        load_demo(ctx, lambda name, data: registry.run(name, ctx, data))
        bureau = department(session, "内蒙古自治区公安厅")
        app = registry.run(
            "application_create", ctx, {"name": "人口核验系统", "organisation_id": bureau.id}
        )
        issued = registry.run("api_key_create", ctx, {"application_id": app.id})
    return issued.key_id, issued.secret


def test_of_identical_requests_racing_exactly_one_is_accepted(
    committed: tuple[Database, Settings],
) -> None:
    database, settings = committed
    key_id, secret = issue_key(database, settings)
    services = build_services(settings)
    headers = {
        k.lower(): v
        for k, v in signed_request_headers(
            key_id, secret, method="GET", path="/api/v1/users", timestamp=int(time.time())
        ).items()
    }
    barrier = threading.Barrier(CALLERS)
    accepted: list[Actor] = []
    refused: list[str] = []
    lock = threading.Lock()

    def call() -> None:
        barrier.wait()
        try:
            with database.transaction() as session:
                actor = authenticate_signed_request(
                    session,
                    services.secretbox,
                    headers=headers,
                    method="GET",
                    path="/api/v1/users",
                    query="",
                    body=b"",
                    max_skew=timedelta(seconds=300),
                )
        except Unauthenticated as refusal:
            with lock:
                refused.append(refusal.error_code)
        else:
            with lock:
                accepted.append(actor)

    threads = [threading.Thread(target=call) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(accepted) == 1
    assert accepted[0].kind == "application"
    assert refused == ["signature_replayed"] * (CALLERS - 1)
