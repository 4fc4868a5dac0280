"""The data quality pages: the roll-up, a library's scores and history, the failing
rows of a rule, and the links to them, on a node holding the demo."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from govdata.aggregation.models import Library
from govdata.app import create_app
from govdata.db import Database
from govdata.portal.quality_chart import score_chart
from govdata.quality.schemas import HistoryPoint
from tests.factories import login
from tests.quality.demo_node import demo_node

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Database, str]]:
    settings, db, checked = demo_node(tmp_path_factory.mktemp("quality-node"))
    with db.transaction() as session:
        library_id = session.scalars(select(Library.id).where(Library.code == "population")).one()
    with TestClient(create_app(settings, db)) as client:
        yield client, db, library_id
    db.dispose()
    assert checked["run_id"]


@pytest.fixture
def client(node: tuple[TestClient, Database, str]) -> Iterator[TestClient]:
    test_client = node[0]
    test_client.cookies.clear()
    yield test_client
    test_client.cookies.clear()


@pytest.fixture
def library_id(node: tuple[TestClient, Database, str]) -> str:
    return node[2]


def test_the_library_page_links_to_its_quality_page(client: TestClient, library_id: str) -> None:
    login(client, "reviewer")

    page = client.get(f"/libraries/{library_id}", headers=HTML)

    assert page.status_code == 200
    assert f'href="/quality/libraries/{library_id}" id="quality-link"' in page.text


def test_the_quality_nav_entry_is_shown_to_who_may_read_quality(client: TestClient) -> None:
    login(client, "reviewer")
    assert 'href="/quality"' in client.get("/", headers=HTML).text
    client.cookies.clear()
    login(client, "consumer")
    assert 'href="/quality"' not in client.get("/", headers=HTML).text


def test_the_library_quality_page_scores_dimensions_and_rules(
    client: TestClient, library_id: str
) -> None:
    login(client, "reviewer")

    page = client.get(f"/quality/libraries/{library_id}", headers=HTML)

    assert page.status_code == 200, page.text
    assert "数据质量：人口基础库" in page.text
    for dimension in ("规范性", "完整性", "准确性", "一致性", "时效性"):
        assert f'<th scope="row">{dimension}</th>' in page.text
    assert 'data-rule="id_valid"' in page.text
    assert "公民身份号码有效" in page.text
    assert re.search(r'id="quality-score">9\d\.\d</strong>', page.text)


def test_the_history_is_an_inline_svg_chart_without_scripts(
    client: TestClient, library_id: str
) -> None:
    login(client, "reviewer")

    page = client.get(f"/quality/libraries/{library_id}", headers=HTML).text

    assert '<svg id="quality-history"' in page
    assert page.count('class="history-point"') == 1
    assert "<script" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_a_rule_links_to_its_failing_rows_with_keys_masked_and_reasons(
    client: TestClient, library_id: str
) -> None:
    login(client, "reviewer")
    page = client.get(f"/quality/libraries/{library_id}", headers=HTML).text
    link = re.search(r'href="(/quality/runs/[^"]+/failures\?rule=id_valid)"', page)
    assert link is not None

    rows = client.get(link.group(1).replace("&amp;", "&"), headers=HTML)

    assert rows.status_code == 200, rows.text
    assert "公民身份号码有效" in rows.text
    assert rows.text.count("前6位区划代码自出生以来未曾有效") == 2
    assert "150199********" in rows.text  # keys decrypted, then masked for the reader
    assert 'id="masked-note"' in rows.text
    assert '"enc"' not in rows.text  # never the stored ciphertext


def test_an_auditor_sees_the_scores_but_not_the_failing_rows(
    client: TestClient, library_id: str
) -> None:
    login(client, "auditor")
    page = client.get(f"/quality/libraries/{library_id}", headers=HTML)
    link = re.search(r'href="(/quality/runs/[^"]+/failures\?rule=id_valid)"', page.text)
    assert page.status_code == 200
    assert link is not None

    rows = client.get(link.group(1), headers=HTML)

    assert rows.status_code == 403


def test_failing_rows_are_paged(client: TestClient, library_id: str) -> None:
    login(client, "reviewer")
    page = client.get(f"/quality/libraries/{library_id}", headers=HTML).text
    run_id = re.search(r"/quality/runs/([^/]+)/failures", page)
    assert run_id is not None

    everything = client.get(f"/quality/runs/{run_id.group(1)}/failures", headers=HTML)
    beyond = client.get(f"/quality/runs/{run_id.group(1)}/failures?page=9", headers=HTML)

    assert everything.status_code == beyond.status_code == 200
    assert "phone_present" in everything.text
    assert "没有保留的不符合数据行" in beyond.text


def test_the_overview_rolls_scores_up_by_region_and_department(client: TestClient) -> None:
    login(client, "reviewer")

    page = client.get("/quality", headers=HTML)

    assert page.status_code == 200
    assert 'id="quality-regions"' in page.text
    assert "内蒙古自治区" in page.text
    assert "内蒙古自治区政务服务与数据管理局" in page.text
    assert "人口基础库" in page.text


def test_a_signed_out_visitor_is_sent_to_log_in(client: TestClient, library_id: str) -> None:
    response = client.get(f"/quality/libraries/{library_id}", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_a_resource_without_rules_is_a_chinese_not_found_page(client: TestClient) -> None:
    login(client, "reviewer")

    response = client.get("/quality/libraries/no-such-library", headers=HTML)

    assert response.status_code == 404
    assert "不存在" in response.text or "尚未设置质量规则" in response.text


def test_the_chart_scales_between_the_lowest_score_and_full_marks() -> None:
    history = [
        HistoryPoint(run_id=str(i), finished_at=None, version=i, score=s, dimensions={})
        for i, s in enumerate([0.95, None, 0.72, 1.0])
    ]

    chart = score_chart(history)

    assert chart is not None
    assert [p.run_id for p in chart.points] == ["0", "2", "3"]
    assert chart.ticks[0].label == "70.0" and chart.ticks[-1].label == "100.0"
    assert chart.points[-1].y == chart.top
    assert score_chart([]) is None
