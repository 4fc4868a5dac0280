"""The portal pages of the delivery methods, and the download route over HTTP: a
consumer officer starts a bulk delivery from a grant, follows it and downloads
its files with the portal session; subscribes and cancels, seeing lag and a
stalled subscription flagged, and acknowledges received batches; and tries the
services in the test console on behalf of an application, recorded like any other
call."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from govdata.actions import ActionRegistry, Context
from govdata.app import create_app
from govdata.db import Database
from govdata.events import EventRecord
from govdata.services import Services
from govdata.settings import Settings
from govdata.sharing.bulk import delivery_dir, run_delivery
from govdata.sharing.delivery_models import ChangeBatch, Subscription
from tests.aggregation.conftest import Run
from tests.factories import login
from tests.sharing.delivery_fixtures import approve
from tests.sharing.test_services import register_application
from tests.sharing.test_sharing import ID_LI, application
from tests.sharing.test_subscriptions import CHANGED_ROWS, commit_version, dispatcher

__all__ = ["commit_version", "dispatcher"]  # fixtures, used here

HTML = {"accept": "text/html"}


@pytest.fixture
def grant_id(as_consumer: Run, as_provider: Run, source: Any, conditional_entry: str) -> str:
    return approve(as_consumer, as_provider, conditional_entry, ["bulk", "subscription"])


@pytest.fixture
def portal(
    agg_settings: Settings, db: Database, agg_services: Services, consumer: Context, grant_id: str
) -> TestClient:
    """The node's app (no background dispatcher), everything set up so far committed."""
    consumer.session.commit()
    return TestClient(create_app(agg_settings, db, agg_services), base_url="http://testserver")


def deliver(db: Database, settings: Settings, services: Services, delivery_id: str) -> None:
    assert run_delivery(db, settings, services, delivery_id) == "succeeded"


# --- bulk deliveries --------------------------------------------------------------------


def test_a_consumer_starts_a_delivery_follows_it_and_downloads_its_files_in_the_portal(
    portal: TestClient,
    grant_id: str,
    db: Database,
    agg_settings: Settings,
    agg_services: Services,
) -> None:
    csrf = login(portal, "consumer")
    assert 'href="/sharing/deliveries"' in portal.get("/", headers=HTML).text
    assert grant_id in portal.get("/sharing/deliveries", headers=HTML).text

    started = portal.post(
        "/sharing/deliveries",
        data={"grant_id": grant_id, "format": "csv", "csrf_token": csrf},
        headers=HTML,
        follow_redirects=False,
    )

    assert started.status_code == 303
    location = started.headers["location"]
    match = re.fullmatch(r"/sharing/deliveries/([0-9a-f-]+)\?format=csv", location)
    assert match is not None
    delivery_id = match.group(1)
    queued = portal.get(location, headers=HTML)
    assert queued.status_code == 200 and "排队中" in queued.text and "0 / 1" in queued.text

    deliver(db, agg_settings, agg_services, delivery_id)
    done = portal.get(location, headers=HTML).text
    assert "已完成" in done and "1 / 1" in done and "100%" in done
    assert f"/sharing/deliveries/{delivery_id}/files/part-00001.csv" in done
    assert "part-00001.parquet" not in done  # only the format chosen
    assert "part-00001.parquet" in portal.get(location.split("?")[0], headers=HTML).text
    assert delivery_id in portal.get("/sharing/deliveries", headers=HTML).text

    manifest = portal.get(f"/sharing/deliveries/{delivery_id}/files/manifest.json")
    csv = portal.get(f"/sharing/deliveries/{delivery_id}/files/part-00001.csv")
    assert manifest.status_code == 200 and manifest.json()["grant_id"] == grant_id
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
    folder = delivery_dir(agg_settings, delivery_id)
    assert csv.content == (folder / "part-00001.csv").read_bytes()


def test_the_portal_download_needs_a_signed_in_grantee(
    portal: TestClient,
    as_consumer: Run,
    consumer: Context,
    grant_id: str,
    db: Database,
    agg_settings: Settings,
    agg_services: Services,
) -> None:
    started = as_consumer("delivery_start", {"grant_id": grant_id})
    consumer.session.commit()
    deliver(db, agg_settings, agg_services, started.id)
    path = f"/sharing/deliveries/{started.id}/files/manifest.json"

    anonymous = portal.get(path, headers=HTML, follow_redirects=False)
    login(portal, "provider")
    holder = portal.get(path, headers=HTML)

    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert holder.status_code == 403


# --- the API download route, over HTTP ----------------------------------------------------


def test_the_api_download_route_serves_the_files_of_a_finished_delivery(
    portal: TestClient,
    as_consumer: Run,
    as_provider: Run,
    consumer: Context,
    grant_id: str,
    db: Database,
    agg_settings: Settings,
    agg_services: Services,
) -> None:
    started = as_consumer("delivery_start", {"grant_id": grant_id})
    consumer.session.commit()
    api = f"/api/v1/sharing/deliveries/{started.id}/files"
    login(portal, "consumer")

    not_ready = portal.get(f"{api}/manifest.json")
    deliver(db, agg_settings, agg_services, started.id)
    manifest = portal.get(f"{api}/manifest.json")
    parquet = portal.get(f"{api}/part-00001.parquet")
    bad_name = portal.get(f"{api}/..%2Fnode.sqlite3")

    assert not_ready.status_code == 409
    assert not_ready.json()["error"]["code"] == "delivery_not_ready"
    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/json")
    assert "manifest.json" in manifest.headers["content-disposition"]
    folder = delivery_dir(agg_settings, started.id)
    assert manifest.content == (folder / "manifest.json").read_bytes()
    assert json.loads(manifest.content)["total_rows"] == 2
    assert parquet.status_code == 200 and parquet.content.startswith(b"PAR1")
    assert bad_name.status_code in (404, 422)

    as_provider("grant_revoke", {"id": grant_id, "reason": "停止共享"})
    consumer.session.commit()
    revoked = portal.get(f"{api}/manifest.json")
    assert revoked.status_code == 403 and revoked.json()["error"]["code"] == "grant_revoked"


def test_the_api_download_route_refuses_the_holder_and_anonymous_callers(
    portal: TestClient,
    as_consumer: Run,
    consumer: Context,
    grant_id: str,
    db: Database,
    agg_settings: Settings,
    agg_services: Services,
) -> None:
    started = as_consumer("delivery_start", {"grant_id": grant_id})
    consumer.session.commit()
    deliver(db, agg_settings, agg_services, started.id)
    path = f"/api/v1/sharing/deliveries/{started.id}/files/manifest.json"

    anonymous = portal.get(path)
    login(portal, "provider")
    holder = portal.get(path)

    assert anonymous.status_code == 401
    assert holder.status_code == 403


# --- subscriptions ----------------------------------------------------------------------


def test_a_consumer_subscribes_sees_the_lag_and_a_stall_flagged_and_cancels(
    portal: TestClient, grant_id: str, db: Database
) -> None:
    csrf = login(portal, "consumer")
    form = portal.get("/sharing/subscriptions", headers=HTML).text
    assert "暂无数据订阅" in form and grant_id in form

    created = portal.post(
        "/sharing/subscriptions",
        data={"grant_id": grant_id, "csrf_token": csrf},
        headers=HTML,
        follow_redirects=False,
    )

    assert created.status_code == 303
    listed = portal.get("/sharing/subscriptions", headers=HTML).text
    assert "发件箱（接口拉取）" in listed and "正常" in listed and "取消订阅" in listed
    with db.transaction() as session:
        session.execute(
            update(Subscription).values(status="stalled", status_note="订阅方长时间未确认变更批次")
        )
        subscription_id = session.query(Subscription.id).scalar()
    stalled = portal.get("/sharing/subscriptions", headers=HTML).text
    assert "已停滞" in stalled and 'class="flagged"' in stalled

    cancelled = portal.post(
        f"/sharing/subscriptions/{subscription_id}/cancel",
        data={"csrf_token": csrf},
        headers=HTML,
        follow_redirects=False,
    )

    assert cancelled.status_code == 303
    after = portal.get("/sharing/subscriptions", headers=HTML).text
    assert "已取消" in after and "取消订阅</button>" not in after


def test_a_consumer_acknowledges_a_pulled_batch_in_the_portal_as_through_the_api(
    portal: TestClient,
    as_consumer: Run,
    consumer: Context,
    grant_id: str,
    commit_version: Any,
    dispatcher: Any,
    db: Database,
) -> None:
    csrf = login(portal, "consumer")
    subscription = as_consumer("subscription_create", {"grant_id": grant_id})
    version = commit_version(CHANGED_ROWS)
    dispatcher()
    waiting = portal.get("/sharing/subscriptions", headers=HTML).text
    batches = waiting.split('id="pending-batches"')[1]
    assert f" → {version}</td>" in batches and "尚未拉取" in batches
    assert "确认接收</button>" not in batches
    as_consumer("subscription_pull", {"id": subscription.id})
    consumer.session.commit()
    pulled = portal.get("/sharing/subscriptions", headers=HTML).text
    assert 'name="sequence" value="1"' in pulled and "确认接收</button>" in pulled
    forged = portal.post(
        f"/sharing/subscriptions/{subscription.id}/ack", data={"sequence": "1"}, headers=HTML
    )
    assert forged.status_code == 403

    acked = portal.post(
        f"/sharing/subscriptions/{subscription.id}/ack",
        data={"sequence": "1", "csrf_token": csrf},
        headers=HTML,
        follow_redirects=False,
    )

    assert acked.status_code == 303 and acked.headers["location"] == "/sharing/subscriptions"
    after = portal.get("/sharing/subscriptions", headers=HTML).text
    assert 'id="pending-batches"' not in after
    with db.transaction() as session:
        stored = session.get(Subscription, subscription.id)
        assert stored is not None and stored.acked_version == version
        assert session.query(ChangeBatch.status).scalar() == "acked"
        names = [r.name for r in session.query(EventRecord).filter_by(subject_id=subscription.id)]
    assert "sharing:batch:acknowledged" in names


# --- the service test console -----------------------------------------------------------


@pytest.fixture
def service_grant(
    registry: ActionRegistry,
    agg_operator: Context,
    consumer: Context,
    as_consumer: Run,
    as_provider: Run,
    conditional_entry: str,
    grant_id: str,
) -> dict[str, str]:
    app_id, _key, _secret = register_application(
        registry, agg_operator, consumer, "社保待遇认证系统"
    )
    applied = as_consumer(
        "share_apply",
        application(conditional_entry, methods=["query", "verify"], application_ids=[app_id]),
    )
    decided = as_provider(
        "share_review",
        {
            "id": applied.id,
            "decision": "approve",
            "fields": [
                {"name": "公民身份号码", "strategy": "hash"},
                {"name": "姓名", "strategy": "partial"},
                {"name": "户籍地行政区划代码"},
            ],
        },
    )
    consumer.session.commit()
    return {"grant_id": str(decided.grant_id), "application_id": app_id}


def test_the_console_queries_and_verifies_on_behalf_of_an_application_and_is_recorded(
    portal: TestClient, service_grant: dict[str, str], db: Database
) -> None:
    csrf = login(portal, "consumer")
    page = portal.get("/sharing/console", headers=HTML)
    assert page.status_code == 200
    assert "测试台发起的调用与应用的正式调用一样" in page.text
    assert service_grant["grant_id"] in page.text and "社保待遇认证系统" in page.text

    queried = portal.post(
        "/sharing/console",
        data=service_grant
        | {"method": "query", "key": ID_LI, "where": "", "values": "", "csrf_token": csrf},
        headers=HTML,
    )
    verified = portal.post(
        "/sharing/console",
        data=service_grant
        | {
            "method": "verify",
            "key": "",
            "values": f"id_number={ID_LI}\nname=李四",
            "csrf_token": csrf,
        },
        headers=HTML,
    )

    assert queried.status_code == 200 and 'id="console-result"' in queried.text
    result = queried.text.split('id="console-result"')[1]
    assert "共 1 行" in result and ID_LI not in result  # hashed
    assert "李*" in result and "150102" in result
    assert verified.status_code == 200 and "找到该主键的记录" in verified.text
    with db.transaction() as session:
        records = list(
            session.query(EventRecord).filter(EventRecord.name == "sharing:delivery:served")
        )
        served = [(r.actor_kind, r.data["service"], r.data["on_behalf"]) for r in records]
        apps = {r.data["application_id"] for r in records}
    assert sorted(served) == [("user", "query", True), ("user", "verify", True)]
    assert apps == {service_grant["application_id"]}


def test_the_console_shows_why_a_call_was_refused(
    portal: TestClient, service_grant: dict[str, str]
) -> None:
    csrf = login(portal, "consumer")

    refused = portal.post(
        "/sharing/console",
        data={"grant_id": service_grant["grant_id"], "method": "query", "key": ID_LI}
        | {"csrf_token": csrf},
        headers=HTML,
    )

    assert refused.status_code == 200 and 'id="console-error"' in refused.text
    assert "service_application_required" in refused.text
