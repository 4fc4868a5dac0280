"""The portal page 数据血缘 draws a source table's deliveries and lists them (G5)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from govdata.app import create_app
from govdata.db import Database
from govdata.services import Services
from govdata.settings import Settings
from govdata.sharing.bulk import run_delivery
from tests.aggregation.conftest import Run
from tests.factories import login
from tests.sharing.delivery_fixtures import approve

HTML = {"accept": "text/html"}


def test_the_lineage_page_draws_each_delivery_and_the_grantee_in_chinese(
    as_consumer: Run,
    as_provider: Run,
    consumer: Any,
    source: Any,
    conditional_entry: str,
    db: Database,
    agg_settings: Settings,
    agg_services: Services,
) -> None:
    grant_id = approve(as_consumer, as_provider, conditional_entry, ["bulk", "subscription"])
    started = as_consumer("delivery_start", {"grant_id": grant_id})
    consumer.session.commit()
    assert run_delivery(db, agg_settings, agg_services, started.id) == "succeeded"
    portal = TestClient(create_app(agg_settings, db, agg_services), base_url="http://testserver")
    login(portal, "provider")

    page = portal.get("/lineage", params={"source_id": source.id}, headers=HTML)

    assert page.status_code == 200
    graph = page.text[page.text.index('id="lineage-graph"') : page.text.index("</svg>")]
    assert graph.count('class="lineage-node') == 5  # origin, load, table, delivery, grantee
    assert "交付：批量交付" in graph and "接收方：" in graph
    assert 'class="lineage-edge-label"' in graph and "版本 1" in graph
    assert f'href="/sharing/deliveries/{started.id}"' in graph
    listed = page.text[page.text.index('id="lineage-deliveries"') :]
    assert "人力资源和社会保障厅" in listed and "已完成" in listed
