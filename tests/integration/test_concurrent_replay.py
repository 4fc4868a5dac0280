"""Replay protection holds when identical signed requests arrive at the same time.

Runs on committed data in its own scratch database (SQLite by default, a fresh
PostgreSQL database when GOVDATA_TEST_DATABASE_URL is set): two sessions on two
connections race to consume the same nonce, and exactly one may win.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from govdata.accounts.services import consume_nonce, verify_signed_request
from govdata.accounts.signing import signed_request_headers
from govdata.actions import Context
from govdata.areas import build_registry
from govdata.authz import Actor
from govdata.errors import Unauthenticated
from govdata.services import build_services
from tests.factories import department
from tests.integration.conftest import CommittedNode

CALLERS = 4


def issue_key(node: CommittedNode) -> tuple[str, str]:
    def work(ctx: Context) -> tuple[str, str]:
        registry = build_registry()
        bureau = department(ctx.session, "内蒙古自治区公安厅")
        app = registry.run(
            "application_create", ctx, {"name": "人口核验系统", "organisation_id": bureau.id}
        )
        issued = registry.run("api_key_create", ctx, {"application_id": app.id})
        return issued.key_id, issued.secret

    return node.work(None, work)


def test_of_identical_requests_racing_exactly_one_is_accepted(
    node: CommittedNode,
) -> None:
    database = node.database
    key_id, secret = issue_key(node)
    services = build_services(node.settings)
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
                signed = verify_signed_request(
                    session,
                    services.secretbox,
                    headers=headers,
                    method="GET",
                    path="/api/v1/users",
                    query="",
                    body=b"",
                    max_skew=timedelta(seconds=300),
                )
                consume_nonce(session, signed)
                actor = signed.actor
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
