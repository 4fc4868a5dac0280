"""The catalog journey in a real browser: draft, return, fix, publish, find.

A provider drafts an entry (adding an item row with the form's button),
submits it; a reviewer returns it with a reason; the provider fixes it and
submits again; the reviewer publishes it; then anyone, signed in or not, finds
it by a Chinese word inside its name and sees version 1 published.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from govdata.demo import DEMO_PASSWORD

TIMEOUT_MS = 5_000
ENTRY_URL = re.compile(r"/catalog/entries/[^/]+$")


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text(f"当前用户：{username}")).to_be_visible(timeout=TIMEOUT_MS)


def log_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("link", name="登录")).to_be_visible(timeout=TIMEOUT_MS)


def fill_item(page: Page, row: int, name: str, data_type: str, length: str) -> None:
    cells = page.locator("#items-table tbody tr").nth(row)
    cells.get_by_label("信息项名称").fill(name)
    cells.get_by_label("数据类型").select_option(data_type)
    cells.get_by_label("长度").fill(length)


def draft_the_entry(page: Page, base_url: str) -> str:
    """As the provider: register the producing system, fill the form, save; returns the URL."""
    page.goto(f"{base_url}/catalog/systems")
    page.get_by_label("系统名称").fill("市场主体登记系统")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_role("cell", name="市场主体登记系统")).to_be_visible(timeout=TIMEOUT_MS)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的目录").click()
    page.get_by_role("link", name="新建目录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新建目录", timeout=TIMEOUT_MS)

    page.get_by_label("资源名称", exact=True).fill("企业营业执照登记信息")
    page.locator("#f-classification_code").select_option("102")
    page.get_by_label("目和细目（可选）").fill("001")
    page.locator("#f-resource_code").fill("102001/000001")
    page.locator("#f-abstract").fill("市场主体登记注册形成的营业执照信息。")
    page.locator("#f-format_category").select_option(label="数据库")
    page.locator("#f-update_cycle").select_option(label="每日")
    page.locator("#f-share_type").select_option(label="有条件共享")
    page.locator("#f-share_conditions").fill("用于市场监管和政务服务的部门可申请")
    page.get_by_role("checkbox", name="接口").check()
    page.locator("#f-open_type").select_option(label="无条件开放")

    rows = page.locator("#items-table tbody tr")
    expect(rows).to_have_count(5, timeout=TIMEOUT_MS)  # the blank rows the page always has
    fill_item(page, 0, "统一社会信用代码", "C", "18")
    fill_item(page, 1, "企业名称", "C", "200")
    page.locator("#f-items").get_by_role("button", name="增加一行").click()
    expect(rows).to_have_count(6, timeout=TIMEOUT_MS)
    expect(rows.nth(5).locator(".row-number")).to_have_text("6")
    fill_item(page, 5, "成立日期", "D", "")

    resource = page.locator("#resources-table tbody tr").first
    resource.get_by_label("数据资源名称").fill("营业执照信息表")
    resource.get_by_label("位置（库表、路径或接口地址）").fill("sc_market.license")
    resource.get_by_label("信息系统").select_option(label="市场主体登记系统")

    page.get_by_role("button", name="保存", exact=True).click()
    expect(page).to_have_url(ENTRY_URL, timeout=TIMEOUT_MS)
    return page.url


def test_an_entry_is_drafted_returned_fixed_published_and_found(
    page: Page, live_server: str
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    log_in(page, live_server, "provider")
    entry_url = draft_the_entry(page, live_server)
    working = page.locator("section.working")
    expect(working.get_by_role("heading", level=3, name="信息项（3项）")).to_be_visible()
    expect(working.get_by_role("cell", name="成立日期", exact=True)).to_be_visible()
    expect(page.get_by_text("预检通过，可以提交审核。")).to_be_visible()
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("#working-title")).to_contain_text("待审核", timeout=TIMEOUT_MS)
    log_out(page)

    log_in(page, live_server, "reviewer")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="审核队列").click()
    page.get_by_role("link", name="企业营业执照登记信息").click()
    page.get_by_label("审核意见").fill("摘要未说明数据的范围和用途\n缺少“成立日期”的说明")
    page.get_by_role("button", name="退回修改").click()
    expect(page.locator("#working-title")).to_contain_text("已退回", timeout=TIMEOUT_MS)
    log_out(page)

    log_in(page, live_server, "provider")
    page.goto(entry_url)
    expect(page.get_by_role("note").filter(has_text="退回理由")).to_contain_text(
        "摘要未说明数据的范围和用途"
    )
    page.get_by_role("link", name="修改", exact=True).click()
    page.locator("#f-abstract").fill("市场主体登记注册形成的营业执照信息，用于企业身份核验和监管。")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page).to_have_url(entry_url, timeout=TIMEOUT_MS)
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("#working-title")).to_contain_text("待审核", timeout=TIMEOUT_MS)
    log_out(page)

    log_in(page, live_server, "reviewer")
    page.goto(entry_url)
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator("#published-title")).to_contain_text("已发布", timeout=TIMEOUT_MS)
    log_out(page)

    # Anyone: the entry is open (无条件开放), so a visitor who is not signed in finds it.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="目录").click()
    page.get_by_role("searchbox", name="检索词").fill("执照")
    page.get_by_role("button", name="检索").click()
    expect(page.get_by_text("分词：执照")).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_role("link", name="企业营业执照登记信息").click()
    expect(page).to_have_url(entry_url, timeout=TIMEOUT_MS)
    published = page.locator("#published-title")
    expect(published).to_contain_text("第1版")
    expect(published).to_contain_text("已发布")
    history = page.get_by_role("row").filter(has=page.get_by_role("link", name="第1版"))
    expect(history).to_contain_text("已发布")

    assert f"{live_server}/static/catalog-form.js" in requested
    outside = [url for url in requested if not url.startswith(f"{live_server}/")]
    assert outside == [], f"catalog pages requested outside resources: {outside}"
