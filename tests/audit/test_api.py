"""The block and its release over the JSON API, and the CSV export."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from govdata.actions import Context
from govdata.db import Database
from govdata.services import Services
from govdata.settings import Settings
from tests.audit.test_blocking import add_history
from tests.catalog.test_catalog_api import Session
from tests.factories import context_for, user_actor


@pytest.fixture
def sessions(
    agg_settings: Settings, db: Database, agg_services: Services, source_id: str
) -> Iterator[Callable[[str], Session]]:
    opened: list[Session] = []

    def open_as(user: str) -> Session:
        opened.append(Session(agg_settings, db, agg_services, user))
        return opened[-1]

    yield open_as
    for session in opened:
        session.close()


def test_a_blocked_bulk_read_over_the_api_succeeds_once_released(
    sessions: Callable[[str], Session], source_id: str, agg_operator: Context
) -> None:
    history = context_for(agg_operator, user_actor(agg_operator.session, "provider"))
    add_history(history, 10, lambda _day: 50)
    agg_operator.session.commit()
    provider, auditor = sessions("provider"), sessions("auditor")
    path = f"/api/v1/aggregation/sources/{source_id}/query"
    headers = {"X-CSRF-Token": provider.csrf}

    blocked = provider.client.post(path, json={"limit": 1000}, headers=headers)
    assert blocked.status_code == 403
    error: dict[str, Any] = blocked.json()["error"]
    assert error["code"] == "operation_blocked"
    assert "rows" not in blocked.json()

    alerts = auditor.get("/audit/alerts", status="open")
    (alert,) = [a for a in alerts if a["number"] == error["fields"]["alert"]]
    assert alert["client_address"] == "testclient"
    auditor.send(
        "POST", f"/audit/alerts/{alert['id']}/review", {"decision": "release", "note": "已核实"}
    )
    released = provider.client.post(path, json={"limit": 1000}, headers=headers)
    assert released.status_code == 200, released.text

    trail = auditor.get("/audit/events", actor="auditor", action="audit:alert:reviewed")
    assert trail["rows"][0]["reason"].startswith(f"告警 {alert['number']} release")
    exported = auditor.client.get("/api/v1/audit/events.csv", params={"actor": "provider"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith("\ufeff".encode())
    assert provider.client.get("/api/v1/audit/events.csv").status_code == 403
