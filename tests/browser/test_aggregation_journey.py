"""The aggregation journey in a real browser: upload, register, run, read.

The demo provider uploads a GBK-encoded CSV file, registers it as a source
declared by the population standard, starts a load and watches the run page
follow it to the end (the node runs loads in a process of their own, so the
page is still polling when it opens), reads a quarantined row's reason in
Chinese, and opens version 1 of the source's table.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from govdata.libraries.standards import get_standard
from tests.browser.test_catalog_journey import log_in

TIMEOUT_MS = 5_000
RUN_TIMEOUT_MS = 60_000
SOURCE_URL = re.compile(r"/aggregation/sources/[^/?#]+$")
RUN_URL = re.compile(r"/aggregation/runs/[^/?#]+$")
RESOURCE_CODE = "102001/000077"
HEADER = "id_number,name,sex,birth_date,division_code,address,phone,updated_at"
ROWS = [
    "11010519491231002X,张三,2,1949-12-31,110105,建国路1号,13800138000,2024-01-01 08:00:00",
    "150102199003071237,李四,1,1990-03-07,150102,中山路8号,13912345678,2024-01-02 09:30:00",
    "150102199003071230,赵六,1,1990-03-07,150102,某地,13800000000,2024-01-04 00:00:00",
]


def population_csv() -> bytes:
    """Two good rows and one whose identity number has a wrong check digit, in GBK."""
    return ("\n".join([HEADER, *ROWS]) + "\n").encode("gbk")


def create_entry(page: Page, base_url: str) -> None:
    """The catalog entry the source belongs to, drafted through the API as the provider."""
    page.goto(f"{base_url}/catalog/new")
    organisation_id = page.locator("#f-organisation_id").input_value()
    csrf = page.locator("input[name=csrf_token]").first.input_value()
    response = page.request.post(
        f"{base_url}/api/v1/catalog/entries",
        data={
            "organisation_id": organisation_id,
            "name": "人员登记信息",
            "classification_code": RESOURCE_CODE.split("/", maxsplit=1)[0],
            "resource_code": RESOURCE_CODE,
            "abstract": "市场主体登记中的人员信息，用于身份核验和监管。",
            "format_category": "database",
            "format_detail": "CSV",
            "share_type": "conditional",
            "share_conditions": "用于身份核验的部门可申请",
            "share_methods": ["interface"],
            "open_type": "none",
            "open_conditions": "",
            "update_cycle": "daily",
            "items": [{"name": "公民身份号码", "data_type": "C", "length": 18}],
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status == 201, response.text()


def test_a_provider_uploads_runs_and_reads_a_population_source(
    page: Page, live_server: str
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    log_in(page, live_server, "provider")
    create_entry(page, live_server)

    page.goto(f"{live_server}/aggregation")
    page.get_by_role("link", name="登记数据源").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登记数据源", timeout=TIMEOUT_MS)
    page.get_by_label("数据文件", exact=True).set_input_files(
        files=[{"name": "人口.csv", "mimeType": "text/csv", "buffer": population_csv()}]
    )
    page.get_by_role("button", name="上传", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已上传“人口.csv”", timeout=TIMEOUT_MS)

    page.get_by_label("所属目录").select_option(label=f"{RESOURCE_CODE} 人员登记信息")
    page.get_by_label("数据源名称").fill("户籍人口（上传）")
    expect(page.get_by_label("数据源类型")).to_have_value("csv")
    expect(page.get_by_label("基础库标准", exact=True)).to_have_value("population")
    for column in get_standard("population").columns:
        if column.name not in HEADER.split(",") and column.name != "id_number":
            page.get_by_label(f"采用 {column.label}", exact=True).uncheck()
    page.get_by_label("问题行比例上限（%）").fill("50")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page).to_have_url(SOURCE_URL, timeout=TIMEOUT_MS)
    source_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("户籍人口（上传）")

    page.get_by_role("button", name="立即归集").click()
    expect(page).to_have_url(RUN_URL, timeout=TIMEOUT_MS)
    first_status = page.locator("#run-progress").get_attribute("data-status")
    status = page.locator("#run-progress [data-field=status]")
    expect(status).to_have_text("成功", timeout=RUN_TIMEOUT_MS)
    expect(page.locator("[data-field=rows_written]")).to_have_text("2")
    expect(page.locator("[data-field=rows_quarantined]")).to_have_text("1")
    expect(page.locator("#run-progress progress")).to_have_attribute("value", "100")
    if first_status in ("queued", "running"):
        assert any("/api/v1/aggregation/runs/" in url for url in requested)

    quarantine = page.locator("#quarantine-table")
    expect(quarantine).to_contain_text("公民身份号码校验码错误")
    expect(quarantine).to_contain_text("赵六")

    page.goto(source_url)
    versions = page.locator("#versions-table")
    expect(versions).to_contain_text("第1版")
    page.get_by_role("link", name="查看第1版数据").click()
    expect(page.locator("#data-summary")).to_contain_text("第1版，共 2 行")
    expect(page.locator("#data-table")).to_contain_text("李四")

    assert f"{live_server}/static/run-progress.js" in requested
    outside = [url for url in requested if not url.startswith(f"{live_server}/")]
    assert outside == [], f"aggregation pages requested outside resources: {outside}"
