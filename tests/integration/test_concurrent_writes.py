"""Concurrent writers on committed data: counts add up and duplicates never land.

SQLite serialises writers; on PostgreSQL these are real races between
connections, held back by row locks and unique indexes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from govdata.accounts.models import RoleAssignment, User
from govdata.authz import ANONYMOUS
from govdata.errors import GovdataError
from tests.factories import department
from tests.integration.conftest import CommittedNode

CALLERS = 6


def race(call: Callable[[], Any]) -> list[str]:
    """Run ``call`` from CALLERS threads at once; the outcome of each, as a code."""
    barrier = threading.Barrier(CALLERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def one() -> None:
        barrier.wait()
        try:
            call()
            outcome = "ok"
        except GovdataError as error:
            outcome = error.error_code
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=one) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


def test_failed_logins_at_the_same_moment_all_count_and_lock_the_account(
    node: CommittedNode,
) -> None:
    def wrong_password() -> None:
        outcome = node.run(ANONYMOUS, "session_login", {"username": "provider", "password": "x"})
        outcome.raise_if_refused()

    outcomes = race(wrong_password)

    assert node.settings.max_login_failures < CALLERS
    assert "login_failed" in outcomes
    right = node.run(
        ANONYMOUS, "session_login", {"username": "provider", "password": "Govdata-Demo-2026"}
    )
    assert right.refusal_code == "account_locked"


def test_identical_role_grants_at_the_same_moment_store_one_assignment(
    node: CommittedNode,
) -> None:
    def ids(ctx: Any) -> tuple[str, str]:
        user = ctx.session.scalar(select(User).where(User.username == "consumer"))
        return user.id, department(ctx.session, "内蒙古自治区公安厅").id

    user_id, org_id = node.work(None, ids)

    outcomes = race(
        lambda: node.run(
            None, "role_grant", {"user_id": user_id, "role": "auditor", "organisation_id": org_id}
        )
    )

    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} <= {"role_already_granted", "conflict"}
    stored = node.work(
        None,
        lambda ctx: ctx.session.scalar(
            select(func.count())
            .select_from(RoleAssignment)
            .where(RoleAssignment.user_id == user_id, RoleAssignment.role == "auditor")
        ),
    )
    assert stored == 1


def test_identical_accounts_created_at_the_same_moment_are_one_account_and_conflicts(
    node: CommittedNode,
) -> None:
    org_id = node.work(None, lambda ctx: department(ctx.session, "内蒙古自治区公安厅").id)

    outcomes = race(
        lambda: node.run(
            None,
            "user_create",
            {
                "username": "twin",
                "display_name": "双胞胎",
                "organisation_id": org_id,
                "password": "Str0ng-Passw0rd!",
            },
        )
    )

    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} <= {"username_taken", "conflict"}
