"""The audit pages: an auditor searches the trail (审计日志) and exports it, reviews an
alert (异常告警); a blocked user sees the alert number and what happens next."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from govdata.actions import Context
from govdata.audit.models import AuditAlert
from govdata.db import utcnow
from govdata.errors import OperationBlocked
from govdata.events import EventRecord
from govdata.portal.rendering import render_error_page
from tests.catalog.conftest import region_department
from tests.factories import login

HTML = {"Accept": "text/html"}


@pytest.fixture
def alert_id(operator: Context) -> str:
    """A committed read of the market department's data and the alert it raised."""
    market = region_department(operator.session, "市场监督管理局")
    operator.session.add(
        EventRecord(
            name="aggregation:data:read",
            subject_id="source-a1",
            actor_kind="user",
            actor_id=None,
            actor_name="provider",
            data={"holder_id": market.id, "version": 3, "rows": 7, "relation": "own"},
            occurred_at=utcnow(),
        )
    )
    alert = AuditAlert(
        number="20261121-ABCDEF01",
        rule="bulk_volume",
        severity="high",
        blocked=True,
        actor_kind="user",
        actor_id=None,
        actor_name="provider",
        holder_id=market.id,
        action="data_read",
        fingerprint="f" * 64,
        details={"rows_requested": 1000, "daily_limit": 500},
        status="open",
    )
    operator.session.add(alert)
    operator.session.commit()
    return alert.id


def test_an_auditor_searches_the_trail_and_exports_it(client: TestClient, alert_id: str) -> None:
    login(client, "auditor")
    assert 'href="/audit"' in client.get("/", headers=HTML).text
    page = client.get("/audit", params={"actor": "provider"}, headers=HTML)
    assert page.status_code == 200
    assert "source-a1" in page.text and "允许：本机构" in page.text
    exported = client.get("/audit/events.csv", params={"actor": "provider"})
    assert exported.headers["content-type"].startswith("text/csv")
    assert "source-a1" in exported.content.decode("utf-8-sig")
    wrong = client.get("/audit", params={"start": "不是时间"}, headers=HTML)
    assert wrong.status_code == 200 and "start" in wrong.text


def test_an_auditor_releases_an_alert_from_the_alert_list(
    client: TestClient, alert_id: str, operator: Context
) -> None:
    csrf = login(client, "auditor")
    listed = client.get("/audit/alerts", headers=HTML)
    assert "20261121-ABCDEF01" in listed.text and "批量读取远超日常用量" in listed.text
    response = client.post(
        f"/audit/alerts/{alert_id}/review",
        data={"csrf_token": csrf, "decision": "release", "note": "已核实"},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 303
    operator.session.expire_all()
    alert = operator.session.scalar(select(AuditAlert).where(AuditAlert.id == alert_id))
    assert alert is not None and alert.status == "released"


def test_others_do_not_see_the_audit_pages(client: TestClient) -> None:
    login(client, "provider")
    assert 'href="/audit"' not in client.get("/", headers=HTML).text
    assert client.get("/audit", headers=HTML).status_code == 403


def test_a_blocked_user_sees_the_alert_number_and_what_happens_next() -> None:
    error = OperationBlocked("已拦截（告警编号：20261121-X）", fields={"alert": "20261121-X"})
    page = render_error_page({"type": "http", "state": {}}, error)
    text = bytes(page.body).decode()
    assert page.status_code == 403
    assert "操作已被拦截，待审计复核" in text and "20261121-X" in text
