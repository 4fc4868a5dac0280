"""The sharing journey in a real browser, on a node holding the demo population data.

A consumer department (人力资源和社会保障厅) applies in the portal for the demo
population entry (居民户籍登记信息 of 公安厅); 公安厅's provider officer approves it
with two fields masked; the consumer registers an application with an API key, tries
the query and verification services in the service test console and calls them
again from Python with signed requests; subscribes and receives the change batch of
a new version within a minute; takes a bulk extract with its manifest and digests;
公安厅 returns the entry to a county police bureau, which reads only its own rows;
and the auditor finds every delivery in the ledger, which verifies.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from govdata.accounts.signing import signed_request_headers
from govdata.aggregation.demo import CSV_NAME, load_demo_aggregation, people
from govdata.aggregation.models import Source
from govdata.aggregation.runner import execute_run
from govdata.app import create_app
from govdata.catalog.demo import load_demo_catalog
from govdata.catalog.models import CatalogEntry
from govdata.cli_support import as_operator, prepare_node
from govdata.db import Database
from govdata.demo import DEMO_COUNTY, load_demo
from govdata.ledger.audit import audit_database
from govdata.ledger.documents import audit_proof
from govdata.ledger.scheduling import checkpoint_if_grown
from govdata.nodes.keys import load_node_key
from govdata.services import build_services
from govdata.settings import Settings
from govdata.sharing.terms import today
from tests.browser.conftest import STARTUP_TIMEOUT_SECONDS, _free_port
from tests.browser.test_catalog_journey import log_in

TIMEOUT_MS = 10_000
SUBSCRIPTION_TIMEOUT_MS = 60_000
POPULATION_ENTRY = "101001/000001"
COUNTY = DEMO_COUNTY  # 呼和浩特市回民区: the demo's county police bureau (account `county`)
ENTRY_NAME = "居民户籍登记信息"
APP_NAME = "社保待遇资格认证系统"


@dataclass(frozen=True)
class Node:
    url: str
    settings: Settings
    db: Database
    entry_id: str
    csv_source_id: str
    system_source_id: str


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """A node with the demo region, accounts, catalog and population sources loaded (no
    library build, no quality run), its dispatcher passing every second and its loads
    run in the server process. The demo accounts are all the journey needs: `police`
    (公安厅's provider officer) and `county` (回民区公安分局's consumer officer) too."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("sharing-journey"),
        database_url=None,
        subscription_dispatch_seconds=1.0,
        job_runner="inline",  # a load runs in the server, not in a fresh process
    )
    db = prepare_node(settings)
    as_operator(settings, db, load_demo)
    as_operator(settings, db, load_demo_catalog)
    services = build_services(settings)
    services.jobs.mode = "none"
    registered = as_operator(settings, db, load_demo_aggregation, services=services)
    for run_id in registered["runs"]:
        assert execute_run(run_id, settings, db, services).status == "succeeded"
    with db.transaction() as session:
        entry_id = session.scalar(
            select(CatalogEntry.id).where(CatalogEntry.resource_code == POPULATION_ENTRY)
        )
        sources = session.scalars(
            select(Source).where(Source.entry_id == entry_id).order_by(Source.created_at)
        ).all()
        by_kind = {s.kind: s.id for s in sources}
    assert entry_id is not None
    port = _free_port()
    app = create_app(settings, db)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="govdata-sharing-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail("the sharing journey's server did not start", pytrace=False)
        time.sleep(0.05)
    try:
        yield Node(
            url=f"http://127.0.0.1:{port}",
            settings=settings,
            db=db,
            entry_id=entry_id,
            csv_source_id=by_kind["csv"],
            system_source_id=by_kind["sql"],
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        db.dispose()


@pytest.fixture
def signed_in(browser: Browser, node: Node) -> Iterator[Callable[[str], Page]]:
    """Pages of their own browser contexts, each signed in as one person (closed after)."""
    contexts: list[BrowserContext] = []

    def open_as(username: str) -> Page:
        context = browser.new_context(locale="zh-CN")
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        log_in(page, node.url, username)
        return page

    try:
        yield open_as
    finally:
        for context in contexts:
            context.close()


@dataclass(frozen=True)
class SignedClient:
    """The consumer's application calling the API with its key (HMAC signatures)."""

    base: str
    key_id: str
    secret: str

    def post(self, path: str, payload: dict[str, Any]) -> httpx.Response:
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = signed_request_headers(
            self.key_id,
            self.secret,
            method="POST",
            path=path,
            body=body,
            timestamp=int(time.time()),
            nonce=secrets.token_hex(16),
        )
        return httpx.post(
            self.base + path,
            content=body,
            headers={"content-type": "application/json"} | headers,
            timeout=10,
        )


def _read_reported(node: Node) -> list[list[str]]:
    text = (node.settings.inbox_dir / CSV_NAME).read_bytes().decode("gbk")
    return [line.split(",") for line in text.splitlines()]


def test_a_new_consumer_shares_the_demo_population_data_end_to_end(
    signed_in: Callable[[str], Page], node: Node
) -> None:
    base = node.url
    ends_on = (today() + timedelta(days=365)).isoformat()
    rows = _read_reported(node)
    person = dict(zip(rows[0], rows[1], strict=True))  # in both population sources

    # 0. The consumer department registers its calling system; the platform
    #    administrator gives it the consumer officer role; then the department issues
    #    its key (a key carries the roles the application held when it was issued).
    consumer = signed_in("consumer")
    consumer.goto(f"{base}/applications")
    consumer.get_by_label("应用名称").fill(APP_NAME)
    consumer.get_by_label("说明").fill("养老保险待遇资格认证，核验领取人身份")
    consumer.get_by_role("button", name="登记", exact=True).click()
    expect(consumer.get_by_role("row").filter(has_text=APP_NAME)).to_be_visible()

    admin = signed_in("admin")
    admin.goto(f"{base}/applications")
    app_row = admin.get_by_role("row").filter(has_text=APP_NAME)
    app_row.get_by_label("角色").select_option(label="数据使用部门专员")
    app_row.get_by_label("授权范围").select_option(label="内蒙古自治区人力资源和社会保障厅")
    app_row.get_by_role("button", name="授予角色").click()
    expect(admin.get_by_role("row").filter(has_text=APP_NAME)).to_contain_text(
        "数据使用部门专员（内蒙古自治区人力资源和社会保障厅）"
    )

    consumer.reload()
    consumer.get_by_role("row").filter(has_text=APP_NAME).get_by_role(
        "button", name="签发密钥"
    ).click()
    issued = consumer.get_by_role("status").filter(has_text="新密钥已签发")
    expect(issued).to_be_visible()
    key_id = issued.locator("dd code").nth(0).inner_text()
    secret = issued.locator("dd code").nth(1).inner_text()

    # 1. The consumer officer opens the demo population entry and applies.
    consumer.goto(f"{base}/catalog/entries/{node.entry_id}")
    consumer.get_by_role("link", name="申请共享").click()
    expect(consumer.get_by_role("heading", level=2)).to_contain_text(ENTRY_NAME)
    consumer.get_by_label("用途（履职事项）").fill("养老保险待遇领取资格认证，核验领取人身份")
    consumer.get_by_label("依据（法律法规、文件）").fill("《社会保险法》第七十三条")
    for item in ("户籍地行政区划代码", "更新时间"):  # the least needed: left out
        consumer.get_by_label(item, exact=True).uncheck()
    for method in ("核验接口", "批量交付", "订阅"):
        consumer.get_by_label(method, exact=True).check()
    consumer.get_by_label("截止日期").fill(ends_on)
    consumer.get_by_label(APP_NAME).check()
    consumer.get_by_role("button", name="提交申请").click()
    applications = consumer.locator("#applications-table")
    expect(applications.get_by_role("row").filter(has_text=ENTRY_NAME)).to_contain_text("待审核")

    # 2. 公安厅's provider officer approves it with the ID number and name masked (the
    #    address and phone, sensitive items, are partly masked by default).
    police = signed_in("police")
    police.goto(f"{base}/sharing?role=holder")
    police.locator("#applications-table").get_by_role("row").filter(
        has_text=ENTRY_NAME
    ).get_by_role("link").click()
    expect(police.get_by_text("《社会保险法》第七十三条")).to_be_visible()
    police.get_by_label("公民身份号码的脱敏方式").select_option(label="部分遮蔽")
    police.get_by_label("姓名的脱敏方式").select_option(label="部分遮蔽")
    for item in ("性别", "出生日期"):
        police.get_by_label(f"{item}的脱敏方式").select_option(label="明文")
    police.get_by_label("每日调用次数").fill("1000")
    police.get_by_role("button", name="同意并授权").click()
    expect(police.get_by_text("已同意")).to_be_visible()

    consumer.goto(f"{base}/sharing/grants")
    grant_row = consumer.locator("#grants-table tbody tr").filter(has_text=ENTRY_NAME)
    expect(grant_row).to_contain_text("公民身份号码（部分遮蔽）、姓名（部分遮蔽）、性别（明文）")
    number = grant_row.locator("code").first.inner_text()

    # 3. The service test console: query (masked) and verify (a verdict, no values).
    consumer.goto(f"{base}/sharing/console")
    grant_id = consumer.get_by_label("共享授权").input_value()
    consumer.get_by_label("代哪个应用调用").select_option(label=APP_NAME)
    consumer.get_by_label("数据源").select_option(value=node.system_source_id)
    consumer.get_by_label("查询主键（如公民身份号码）").fill(person["id_number"])
    consumer.get_by_role("button", name="调用").click()
    result = consumer.locator("#console-result")
    expect(result).to_contain_text(f"授权 {number}")
    expect(result.get_by_role("columnheader", name="id_number（部分遮蔽）")).to_be_visible()
    expect(result.get_by_role("columnheader", name="name（部分遮蔽）")).to_be_visible()
    cells = result.locator("tbody td")
    expect(cells.first).to_have_text(re.compile(person["id_number"][:6] + r"\*+"))
    expect(result).to_contain_text(person["birth_date"])
    expect(result).not_to_contain_text(person["name"])
    expect(result).not_to_contain_text(person["id_number"])

    consumer.get_by_label("核验", exact=True).check()
    consumer.get_by_label(re.compile("^核验的值")).fill(
        f"id_number={person['id_number']}\nname={person['name']}"
    )
    consumer.get_by_role("button", name="调用").click()
    expect(result).to_contain_text("找到该主键的记录")
    expect(result.get_by_role("row").filter(has_text="name")).to_contain_text("一致")
    consumer.get_by_label(re.compile("^核验的值")).fill(
        f"id_number={person['id_number']}\nname=查无此人"
    )
    consumer.get_by_role("button", name="调用").click()
    expect(result.get_by_role("row").filter(has_text="name")).to_contain_text("不一致")
    expect(result).not_to_contain_text(person["name"])

    #    The same services from the application itself, with signed requests.
    app = SignedClient(base, key_id, secret)
    call = {"grant_id": grant_id, "source_id": node.system_source_id}
    queried = app.post("/api/v1/services/query", call | {"key": person["id_number"]})
    assert queried.status_code == 200, queried.text
    answer = queried.json()
    assert answer["masked"] == dict.fromkeys(("id_number", "name", "address", "phone"), "partial")
    (found,) = answer["rows"]
    assert found["id_number"].startswith(person["id_number"][:6])
    assert found["id_number"] != person["id_number"] and found["name"] != person["name"]
    assert found["phone"][:3] == person["phone"][:3] and "*" in found["phone"]
    assert found["address"] != person["address"] and "*" in found["address"]
    assert found["sex"] == person["sex"] and "division_code" not in found
    verified = app.post(
        "/api/v1/services/verify",
        call | {"values": {"id_number": person["id_number"], "name": person["name"]}},
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["found"] is True
    assert {f["name"]: f["match"] for f in verified.json()["fields"]}["name"] is True
    assert person["name"] not in verified.text
    unsigned = httpx.post(f"{base}/api/v1/services/query", json=call | {"key": "x"}, timeout=10)
    assert unsigned.status_code == 401

    # 4. A subscription receives the change batch of a new version within a minute.
    consumer.goto(f"{base}/sharing/subscriptions")
    consumer.get_by_role("button", name="订阅", exact=True).click()
    subscription = consumer.locator("#subscriptions-table tbody tr").filter(has_text=number)
    expect(subscription).to_contain_text("发件箱（接口拉取）")
    action = subscription.locator("form").get_attribute("action") or ""
    subscription_id = action.split("/")[3]

    newcomer = people(601, seed=1)[600]
    reported = node.settings.inbox_dir / CSV_NAME
    reported.write_bytes(reported.read_bytes() + (",".join(newcomer) + "\n").encode("gbk"))
    police.goto(f"{base}/aggregation/sources/{node.csv_source_id}")
    started = time.monotonic()
    police.get_by_role("button", name="立即归集").click()
    batch = None
    while batch is None and time.monotonic() - started < 60:
        pulled = app.post(f"/api/v1/sharing/subscriptions/{subscription_id}/pull", {})
        assert pulled.status_code == 200, pulled.text
        batch = pulled.json()["batch"]
        if batch is None:
            police.wait_for_timeout(500)  # the receiving system polls twice a second
    latency = time.monotonic() - started
    assert batch is not None, "no change batch within 60 s"
    inserted = batch["changes"]["inserted"]
    assert [row["id_number"][:6] for row in inserted] == [newcomer[0][:6]]
    assert inserted[0]["name"] != newcomer[1]
    consumer.reload()
    expect(subscription).to_contain_text("最早")  # one batch waiting
    acked = app.post(
        f"/api/v1/sharing/subscriptions/{subscription_id}/ack", {"sequence": batch["sequence"]}
    )
    assert acked.status_code == 200, acked.text
    consumer.reload()
    expect(subscription.locator("td").nth(4)).to_have_text(str(batch["to_version"]))
    expect(subscription.locator("td").nth(6)).to_have_text("0")  # versions behind
    expect(subscription.locator("td").nth(7)).to_have_text("0")  # batches pending
    assert latency < 60

    # 5. A bulk extract: CSV and Parquet parts with their digests and a manifest.
    consumer.goto(f"{base}/sharing/deliveries")
    consumer.get_by_label("共享授权").select_option(value=grant_id)
    consumer.get_by_label("下载格式").select_option(label="CSV")
    consumer.get_by_role("button", name="发起交付").click()
    expect(consumer.locator("#delivery-status")).to_have_text("已完成", timeout=30_000)
    files = consumer.locator("#files-table tbody tr")
    expect(files).to_have_count(1)
    expect(files.first).to_contain_text("part-00001.csv")
    sha256 = files.first.locator("td").nth(3).inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", sha256)
    manifest_href = consumer.get_by_role("link", name="下载清单 manifest.json").get_attribute(
        "href"
    )
    manifest = consumer.request.get(f"{base}{manifest_href}")
    assert manifest.ok
    listed = {f["name"]: f for f in manifest.json()["files"]}
    assert listed["part-00001.csv"]["sha256"] == sha256
    assert set(listed) == {"part-00001.csv", "part-00001.parquet"}
    delivered_rows = manifest.json()["total_rows"]
    assert delivered_rows > 500

    # 6. Data return: 公安厅 returns the entry to the county police bureau, whose
    #    extract holds only the county's rows.
    police.goto(f"{base}/sharing/return")
    police.get_by_label("目录").select_option(value=node.entry_id)
    police.get_by_label("区划层级").select_option(label="县级（旗县市区）")
    police.get_by_label("部门名称（以此结尾，如 市场监督管理局）").fill("公安分局")
    police.get_by_label("截止日期").fill(ends_on)
    police.get_by_role("button", name="回流").click()
    returned = police.locator("#grants-table tbody tr").filter(has_text="公安分局")
    expect(returned).to_contain_text(COUNTY)

    county = signed_in("county")
    county.goto(f"{base}/sharing/deliveries")
    county.get_by_role("button", name="发起交付").click()
    expect(county.locator("#delivery-status")).to_have_text("已完成", timeout=30_000)
    part = county.request.get(
        f"{base}{county.get_by_role('link', name='part-00001.csv').get_attribute('href')}"
    )
    ids = [row["id_number"] for row in csv.DictReader(io.StringIO(part.text().lstrip("\ufeff")))]
    in_county = sum(1 for r in _read_reported(node)[1:] if r[4] == COUNTY)
    assert ids and all(value.startswith(COUNTY) for value in ids)
    assert 0 < len(ids) <= in_county < delivered_rows

    # 7. The auditor finds every delivery in the ledger and checks its proof.
    checkpoint_if_grown(node.db, node.settings)  # as `govdata ledger checkpoint` would
    node_key = load_node_key(node.settings.keys_dir)
    assert node_key is not None
    pinned = [node_key.fingerprint]
    auditor = signed_in("auditor")
    auditor.goto(f"{base}/ledger")
    auditor.get_by_label("类别").select_option(label="数据交付")
    auditor.get_by_role("button", name="查询").click()
    deliveries = auditor.locator("table tbody tr")
    # Console: a query and two verifications; signed: a query and a verification; the
    # change batch; the two bulk extracts.
    expect(deliveries).to_have_count(8)
    expect(deliveries.filter(has_text="数据交付")).to_have_count(8)
    for index in range(8):
        href = deliveries.nth(index).get_by_role("link").first.get_attribute("href")
        proof = auditor.request.get(f"{base}{href}/proof.json")
        assert proof.ok, href
        assert audit_proof(proof.json(), accepted_keys=pinned).ok
    with node.db.transaction() as session:
        assert audit_database(session, accepted_keys=pinned).ok
