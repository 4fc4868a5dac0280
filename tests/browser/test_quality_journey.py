"""The quality journey in a real browser, on a node holding the whole demo.

The authority's reviewer opens the population library, follows its 查看数据质量
link, reads the score per GB/T 36344 dimension and per rule with the history
chart, and opens the failing rows of the citizen ID rule (keys masked).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from govdata.app import create_app
from tests.browser.conftest import STARTUP_TIMEOUT_SECONDS, _free_port
from tests.browser.test_catalog_journey import log_in
from tests.quality.demo_node import demo_node

TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a node with the demo library built and checked once."""
    settings, db, _ = demo_node(tmp_path_factory.mktemp("quality-journey"))
    port = _free_port()
    app = create_app(settings, db)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="govdata-quality-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail("the quality journey's server did not start", pytrace=False)
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        db.dispose()


def test_a_reviewer_reads_the_library_quality_and_opens_a_rule_s_failing_rows(
    page: Page, demo_server: str
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    log_in(page, demo_server, "reviewer")

    page.goto(f"{demo_server}/libraries")
    page.get_by_role("link", name="人口基础库").first.click()
    page.get_by_role("link", name="查看数据质量").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "数据质量：人口基础库", timeout=TIMEOUT_MS
    )
    dimensions = page.locator("#quality-dimensions")
    for label in ("规范性", "完整性", "准确性", "一致性", "时效性"):
        expect(dimensions.get_by_role("rowheader", name=label)).to_be_visible()
    expect(page.locator("#quality-history .history-point")).to_have_count(1)
    rule = page.locator('#quality-rules tr[data-rule="id_valid"]')
    expect(rule).to_contain_text("公民身份号码有效")

    rule.get_by_role("link").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "公民身份号码有效", timeout=TIMEOUT_MS
    )
    rows = page.locator("#failing-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("150199********")
    expect(rows.first).to_contain_text("自出生以来未曾有效")
    assert all(url.startswith(demo_server) for url in requested)
