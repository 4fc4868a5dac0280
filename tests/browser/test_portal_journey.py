"""Portal journeys in a real browser (Debian's chromium driven by Playwright).

Each test is one behaviour a person at a government office relies on; the
node behind them is the demo region loaded into a fresh database.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from govdata.demo import DEMO_PASSWORD

TIMEOUT_MS = 5_000


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()


def test_admin_logs_in_and_opens_the_organisation_tree(page: Page, live_server: str) -> None:
    log_in(page, live_server, "admin", DEMO_PASSWORD)

    expect(page).to_have_url(f"{live_server}/", timeout=TIMEOUT_MS)
    expect(page.get_by_text("当前用户：admin")).to_be_visible(timeout=TIMEOUT_MS)

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="组织机构").click()
    expect(page).to_have_url(f"{live_server}/orgs", timeout=TIMEOUT_MS)
    tree = page.get_by_role("list", name="组织机构树")
    for name in ("内蒙古自治区", "呼和浩特市", "阿拉善盟"):
        expect(tree.get_by_role("link", name=name, exact=True)).to_be_visible(timeout=TIMEOUT_MS)

    # Open 呼和浩特市's branch (unless it is already open) and see its counties.
    hohhot = tree.locator("details").filter(
        has=page.locator(":scope > summary > a", has_text=re.compile(r"^呼和浩特市$"))
    )
    if hohhot.get_attribute("open") is None:
        hohhot.locator(":scope > summary > .tag").click()
    expect(hohhot).to_have_attribute("open", "", timeout=TIMEOUT_MS)
    expect(hohhot.get_by_role("link", name="新城区", exact=True)).to_be_visible(timeout=TIMEOUT_MS)

    tree.get_by_role("link", name="呼和浩特市", exact=True).click()
    expect(page).to_have_url(
        re.compile(rf"^{re.escape(live_server)}/orgs/[^/]+$"), timeout=TIMEOUT_MS
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("呼和浩特市", timeout=TIMEOUT_MS)
    expect(page.locator("dl.facts dt:text-is('行政区划代码') + dd")).to_have_text(
        "150100", timeout=TIMEOUT_MS
    )


def test_wrong_password_shows_a_chinese_error_and_stays_logged_out(
    page: Page, live_server: str
) -> None:
    log_in(page, live_server, "admin", "not-the-password")

    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误", timeout=TIMEOUT_MS)
    expect(page.get_by_text("当前用户")).to_have_count(0)
    expect(page.get_by_role("button", name="登录")).to_be_visible()


def test_pages_load_no_resource_from_outside_the_node(page: Page, live_server: str) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    for path in ("/", "/login", "/orgs"):
        page.goto(f"{live_server}{path}", wait_until="networkidle")

    assert f"{live_server}/static/portal.css" in requested  # the recorder did record
    outside = [url for url in requested if not url.startswith(f"{live_server}/")]
    assert outside == [], f"pages of an air-gapped node requested outside resources: {outside}"
