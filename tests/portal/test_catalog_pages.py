"""The catalog pages of the portal: search, the ledger, drafting, review, versions, deadlines.

Each test drives the pages as a person would, through the forms and their CSRF
token; the app has a search index of the test's own (the database is rolled
back after each test, so the index must not outlive it).
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook  # type: ignore[import-untyped]
from sqlalchemy.orm import Session

from govdata.app import create_app
from govdata.catalog.indexing import SearchService
from govdata.db import Database
from govdata.orgs.models import Organisation
from govdata.services import Services
from govdata.settings import Settings
from tests.factories import department, login

HTML = {"Accept": "text/html"}
MARKET = "内蒙古自治区市场监督管理局"


@pytest.fixture
def search_services(services: Services, tmp_path: Path) -> Services:
    return replace(services, search=SearchService(tmp_path / "search"))


@pytest.fixture
def app(settings: Settings, db: Database, search_services: Services) -> FastAPI:
    return create_app(settings, db, search_services)


@pytest.fixture
def market(session: Session) -> Organisation:
    return department(session, MARKET)


def register_system(
    client: TestClient, csrf: str, org_id: str, name: str = "市场主体登记系统", started_on: str = ""
) -> str:
    response = client.post(
        "/catalog/systems",
        data={
            "csrf_token": csrf,
            "organisation_id": org_id,
            "name": name,
            "started_on": started_on,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    systems = client.get("/api/v1/catalog/systems", params={"organisation_id": org_id}).json()
    return str(next(s["id"] for s in systems if s["name"] == name))


def item_rows(names: list[str], *, blank: int = 5) -> dict[str, str]:
    """Item rows as the form posts them: typed rows, then the blank rows it always shows."""
    rows: dict[str, str] = {}
    for index, name in enumerate([*names, *[""] * blank]):
        rows |= {
            f"items-{index}-name": name,
            f"items-{index}-data_type": "C",
            f"items-{index}-length": "50" if name else "",
            f"items-{index}-grade": "general_2",
            f"items-{index}-description": "",
        }
    return rows


def draft_form(
    csrf: str, org_id: str, system_id: str, items: list[str] | None = None, **changes: Any
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "csrf_token": csrf,
        "organisation_id": org_id,
        "name": "企业营业执照登记信息",
        "classification_base": "102",
        "classification_rest": "001",
        "resource_code": "102001/000001",
        "abstract": "市场主体登记注册形成的营业执照信息，用于企业身份核验和监管。",
        "format_category": "database",
        "format_detail": "KingbaseES",
        "share_type": "conditional",
        "share_conditions": "用于市场监管和政务服务的部门可申请",
        "share_methods": ["interface", "table"],
        "open_type": "unconditional",
        "open_conditions": "",
        "update_cycle": "daily",
        "related_codes": "",
        "resources-0-name": "营业执照信息表",
        "resources-0-kind": "table",
        "resources-0-location": "sc_market.license",
        "resources-0-system_id": system_id,
        "resources-1-name": "",
        "resources-1-kind": "table",
        "resources-1-location": "",
        "resources-1-system_id": "",
        **item_rows(items if items is not None else ["统一社会信用代码", "企业名称", "法定代表人"]),
    }
    fields.update(changes)
    return fields


def create_entry(client: TestClient, form: dict[str, Any]) -> str:
    response = client.post("/catalog/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/catalog/entries/([^/]+)", response.headers["location"])
    assert match is not None
    return match.group(1)


def post(client: TestClient, path: str, **fields: str) -> Any:
    return client.post(path, data=fields, follow_redirects=False)


@pytest.fixture
def provider_csrf(client: TestClient) -> str:
    return login(client, "provider")


@pytest.fixture
def system_id(client: TestClient, provider_csrf: str, market: Organisation) -> str:
    return register_system(client, provider_csrf, market.id)


@pytest.fixture
def submitted(client: TestClient, provider_csrf: str, market: Organisation, system_id: str) -> str:
    """An entry the provider drafted and submitted through the portal; the client is
    left signed in as the reviewer."""
    entry_id = create_entry(client, draft_form(provider_csrf, market.id, system_id))
    submit = post(client, f"/catalog/entries/{entry_id}/submit", csrf_token=provider_csrf)
    assert submit.status_code == 303
    client.cookies.clear()
    return entry_id


@pytest.fixture
def published(client: TestClient, submitted: str) -> str:
    csrf = login(client, "reviewer")
    review = post(
        client, f"/catalog/entries/{submitted}/review", csrf_token=csrf, decision="publish"
    )
    assert review.status_code == 303
    client.cookies.clear()
    return submitted


# --- who may open which page ------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allowed", "refused", "refused_status"),
    [
        ("/catalog", None, None, 200),
        ("/catalog/ledger", "consumer", None, 303),
        ("/catalog/mine", "provider", "consumer", 403),
        ("/catalog/review", "reviewer", "provider", 403),
        ("/catalog/deadlines", "reviewer", "consumer", 403),
        ("/catalog/new", "provider", "reviewer", 403),
        ("/catalog/systems", "consumer", None, 303),
    ],
)
def test_each_catalog_page_opens_for_its_role_and_refuses_others(
    client: TestClient, path: str, allowed: str | None, refused: str | None, refused_status: int
) -> None:
    if refused is not None:
        login(client, refused)
    assert client.get(path, headers=HTML, follow_redirects=False).status_code == refused_status
    client.cookies.clear()
    if allowed is not None:
        login(client, allowed)
    page = client.get(path, headers=HTML)
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text


@pytest.mark.parametrize(
    ("username", "shown", "hidden"),
    [
        (None, ["/catalog"], ["/catalog/mine", "/catalog/review", "/catalog/ledger"]),
        (
            "provider",
            ["/catalog/mine", "/catalog/deadlines", "/catalog/ledger"],
            ["/catalog/review"],
        ),
        ("reviewer", ["/catalog/review", "/catalog/deadlines"], ["/catalog/mine"]),
        ("consumer", ["/catalog", "/catalog/ledger"], ["/catalog/deadlines", "/catalog/mine"]),
    ],
)
def test_the_navigation_offers_the_catalog_pages_of_the_role(
    client: TestClient, username: str | None, shown: list[str], hidden: list[str]
) -> None:
    if username is not None:
        login(client, username)
    nav = client.get("/", headers=HTML).text.split('aria-label="主导航"')[1].split("</nav>")[0]
    for href in shown:
        assert f'href="{href}"' in nav
    for href in hidden:
        assert f'href="{href}"' not in nav


def test_an_entry_in_progress_is_not_found_by_outsiders(client: TestClient, submitted: str) -> None:
    assert client.get(f"/catalog/entries/{submitted}", headers=HTML).status_code == 404
    login(client, "consumer")
    assert client.get(f"/catalog/entries/{submitted}", headers=HTML).status_code == 404


# --- drafting ---------------------------------------------------------------------


def test_the_draft_form_creates_an_entry_with_thirty_information_items(
    client: TestClient, provider_csrf: str, market: Organisation, system_id: str
) -> None:
    form_page = client.get("/catalog/new", headers=HTML).text
    assert form_page.count('name="items-4-name"') == 1  # five blank rows without JS
    assert 'name="items-5-name"' not in form_page
    assert "市场主体登记系统" in form_page
    assert '<script src="/static/catalog-form.js" defer></script>' in form_page
    assert client.get("/static/catalog-form.js").status_code == 200

    names = [f"信息项{n:02d}" for n in range(1, 31)]
    entry_id = create_entry(client, draft_form(provider_csrf, market.id, system_id, names))

    entry = client.get(f"/api/v1/catalog/entries/{entry_id}").json()
    assert [item["name"] for item in entry["working"]["items"]] == names
    page = client.get(f"/catalog/entries/{entry_id}", headers=HTML).text
    assert "信息项（30项）" in page
    assert "预检通过" in page
    assert "提交审核" in page


def test_an_invalid_resource_code_is_shown_next_to_its_field_with_the_input_kept(
    client: TestClient, provider_csrf: str, market: Organisation, system_id: str
) -> None:
    form = draft_form(provider_csrf, market.id, system_id, resource_code="102001-000001")
    response = client.post("/catalog/new", data=form)

    assert response.status_code == 422
    field = response.text.split('for="f-resource_code"')[1].split("</div>")[0]
    assert 'value="102001-000001"' in field
    assert 'aria-invalid="true"' in field
    assert re.search(r'class="field-error"[^>]*>[^<]*资源代码应为', field)
    assert 'value="企业营业执照登记信息"' in response.text
    assert 'value="法定代表人"' in response.text
    assert 'href="#f-resource_code"' in response.text  # the summary links to the field
    assert "<h1>出错了</h1>" not in response.text


def test_an_unknown_item_data_type_is_shown_on_its_row(
    client: TestClient, provider_csrf: str, market: Organisation, system_id: str
) -> None:
    form = draft_form(provider_csrf, market.id, system_id)
    form["items-1-data_type"] = "X"
    response = client.post("/catalog/new", data=form)

    assert response.status_code == 422
    row = response.text.split('name="items-1-data_type"')[1].split("</td>")[0]
    assert "不是允许的取值" in row
    assert "信息项第2行·数据类型" in response.text


def test_blank_rows_are_ignored_and_the_edit_form_shows_the_saved_rows(
    client: TestClient, provider_csrf: str, market: Organisation, system_id: str
) -> None:
    form = draft_form(provider_csrf, market.id, system_id, ["统一社会信用代码"])
    entry_id = create_entry(client, form)
    page = client.get(f"/catalog/entries/{entry_id}/edit", headers=HTML).text
    assert 'name="items-0-name" value="统一社会信用代码"' in page
    assert 'name="items-1-name" value=""' in page
    assert 'name="items-5-name"' in page and 'name="items-6-name"' not in page


def test_rows_keep_their_order_when_added_and_removed_rows_leave_gaps(
    client: TestClient, provider_csrf: str, market: Organisation, system_id: str
) -> None:
    form = draft_form(provider_csrf, market.id, system_id, [])
    for index, name in ((12, "登记机关"), (0, "统一社会信用代码"), (3, "企业名称")):
        form |= {
            f"items-{index}-name": name,
            f"items-{index}-data_type": "C",
            f"items-{index}-length": "50",
            f"items-{index}-grade": "general_2",
        }
    entry_id = create_entry(client, form)
    entry = client.get(f"/api/v1/catalog/entries/{entry_id}").json()
    assert [item["name"] for item in entry["working"]["items"]] == [
        "统一社会信用代码",
        "企业名称",
        "登记机关",
    ]


def test_items_are_filled_from_the_header_of_a_gbk_csv(
    client: TestClient, provider_csrf: str, market: Organisation, system_id: str
) -> None:
    content = "统一社会信用代码,企业名称,成立日期\n91150100MA0N0000X1,某某有限公司,2020-01-02\n"
    form = draft_form(provider_csrf, market.id, system_id, [])
    response = client.post(
        "/catalog/items-from-header",
        data=form,
        files={"items_file": ("企业名录.csv", content.encode("gbk"), "text/csv")},
    )

    assert response.status_code == 200
    assert "导入3个信息项" in response.text
    assert 'name="items-0-name" value="统一社会信用代码"' in response.text
    assert 'name="items-1-name" value="企业名称"' in response.text
    date_type = response.text.split('name="items-2-data_type"')[1].split("</select>")[0]
    assert '<option value="D" selected>' in date_type
    assert 'value="企业营业执照登记信息"' in response.text  # the rest of the form is kept


def test_items_are_filled_from_the_header_of_an_xlsx_without_repeating_existing_ones(
    client: TestClient, provider_csrf: str, market: Organisation, system_id: str
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["企业名称", "注册资本", "登记日期"])
    sheet.append(["某某有限公司", 500, date(2021, 3, 4)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    form = draft_form(provider_csrf, market.id, system_id, ["企业名称"])
    response = client.post(
        "/catalog/items-from-header",
        data=form,
        files={"items_file": ("企业.xlsx", buffer.getvalue(), "application/octet-stream")},
    )

    assert response.status_code == 200
    assert "导入2个信息项，1个同名信息项已在表中" in response.text
    assert 'name="items-1-name" value="注册资本"' in response.text
    capital = response.text.split('name="items-1-data_type"')[1].split("</select>")[0]
    assert '<option value="I" selected>' in capital
    assert 'name="items-2-name" value="登记日期"' in response.text


def test_an_unreadable_header_file_is_explained_next_to_the_file_input(
    client: TestClient, provider_csrf: str, market: Organisation, system_id: str
) -> None:
    form = draft_form(provider_csrf, market.id, system_id)
    response = client.post(
        "/catalog/items-from-header",
        data=form,
        files={"items_file": ("旧表.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "")},
    )

    assert response.status_code == 422
    importer = response.text.split('class="import-row"')[1].split('class="table-scroll"')[0]
    assert ".xlsx" in importer
    assert 'value="法定代表人"' in response.text


# --- review and versions ----------------------------------------------------------


def test_a_reviewer_returns_an_entry_with_one_reason_per_line(
    client: TestClient, submitted: str
) -> None:
    csrf = login(client, "reviewer")
    queue = client.get("/catalog/review", headers=HTML).text
    assert f'href="/catalog/entries/{submitted}"' in queue
    page = client.get(f"/catalog/entries/{submitted}", headers=HTML).text
    assert 'name="reasons"' in page
    assert "提交审核</button>" not in page  # reviewers review; they do not draft
    assert "修改</a>" not in page

    response = post(
        client,
        f"/catalog/entries/{submitted}/review",
        csrf_token=csrf,
        decision="return",
        reasons="摘要未说明数据范围\n\n  缺少“注册资本”信息项  \n",
    )
    assert response.status_code == 303

    client.cookies.clear()
    login(client, "provider")
    page = client.get(f"/catalog/entries/{submitted}", headers=HTML).text
    assert "已退回" in page
    assert "<li>摘要未说明数据范围</li>" in page
    assert "<li>缺少“注册资本”信息项</li>" in page
    assert f'href="/catalog/entries/{submitted}/edit"' in page


def test_returning_without_a_reason_is_refused_on_the_entry_page(
    client: TestClient, submitted: str
) -> None:
    csrf = login(client, "reviewer")
    response = post(
        client, f"/catalog/entries/{submitted}/review", csrf_token=csrf, decision="return"
    )
    assert response.status_code == 422
    assert "退回时须写明理由" in response.text
    assert 'name="reasons"' in response.text  # the review form is there to try again


def test_a_reviewer_publishes_from_the_entry_page_and_anyone_finds_it(
    client: TestClient, published: str
) -> None:
    page = client.get(f"/catalog/entries/{published}", headers=HTML).text
    assert "第1版" in page and "已发布" in page
    assert "发起新版本" not in page  # an anonymous visitor has no buttons

    results = client.get("/catalog", params={"q": "执照"}, headers=HTML).text
    assert "分词：执照" in results
    assert f'href="/catalog/entries/{published}"' in results
    assert "102001/000001" in results
    assert "未登录时只显示开放目录" in results


def test_search_facets_add_and_remove_filters_with_their_counts(
    client: TestClient, published: str
) -> None:
    login(client, "consumer")
    page = client.get("/catalog", params={"q": "营业执照"}, headers=HTML).text
    facets = page.split('aria-label="筛选"')[1].split("</aside>")[0]
    assert "共享类型" in facets and "有条件共享" in facets
    link = re.search(r'href="([^"]*share_type=conditional[^"]*)"', facets)
    assert link is not None

    filtered = client.get(link.group(1).replace("&amp;", "&"), headers=HTML).text
    assert f'href="/catalog/entries/{published}"' in filtered
    assert "已选条件" in filtered and "共享类型：有条件共享" in filtered
    none = client.get("/catalog", params={"q": "营业执照", "share_type": "none"}).text
    assert f'href="/catalog/entries/{published}"' not in none


def test_the_ledger_counts_the_published_entry_by_department(
    client: TestClient, published: str
) -> None:
    login(client, "consumer")
    page = client.get("/catalog/ledger", headers=HTML).text
    assert re.search(r"<span class=\"num\">1</span> 条已发布目录", page)
    assert MARKET in page


def test_the_changes_page_shows_an_item_added_in_a_new_version(
    client: TestClient, published: str, market: Organisation
) -> None:
    csrf = login(client, "provider")
    revise = post(client, f"/catalog/entries/{published}/revise", csrf_token=csrf)
    assert revise.status_code == 303
    assert revise.headers["location"] == f"/catalog/entries/{published}/edit"
    edit = client.get(revise.headers["location"], headers=HTML).text
    system_id = re.search(r'<option value="([^"]+)" selected>市场主体登记系统', edit)
    assert system_id is not None

    form = draft_form(
        csrf,
        market.id,
        system_id.group(1),
        ["统一社会信用代码", "企业名称", "法定代表人", "注册资本"],
    )
    saved = client.post(f"/catalog/entries/{published}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303

    page = client.get(f"/catalog/entries/{published}", headers=HTML).text
    assert f'href="/catalog/entries/{published}/versions/2/changes"' in page
    changes = client.get(f"/catalog/entries/{published}/versions/2/changes", headers=HTML).text
    added = changes.split("新增信息项")[1].split("</ul>")[0]
    assert "<li>注册资本</li>" in added
    old = client.get(f"/catalog/entries/{published}/versions/1", headers=HTML).text
    assert "注册资本" not in old


def test_my_entries_are_listed_by_status(
    client: TestClient, provider_csrf: str, market: Organisation, system_id: str
) -> None:
    create_entry(client, draft_form(provider_csrf, market.id, system_id))
    drafts = client.get("/catalog/mine", params={"status": "draft"}, headers=HTML).text
    assert "企业营业执照登记信息" in drafts
    submitted = client.get("/catalog/mine", params={"status": "submitted"}, headers=HTML).text
    assert "企业营业执照登记信息" not in submitted


# --- deadlines --------------------------------------------------------------------


def test_the_deadline_page_highlights_overdue_work_and_records_a_change(
    client: TestClient, market: Organisation, published: str
) -> None:
    csrf = login(client, "provider")
    register_system(client, csrf, market.id, "企业年报系统", "2026-09-01")
    page = client.get("/catalog/deadlines", params={"on": "2026-11-20"}, headers=HTML).text
    overdue = re.findall(r'<tr class="overdue">(.*?)</tr>', page, flags=re.DOTALL)
    assert any("企业年报系统" in row and "已超期" in row for row in overdue)

    recorded = post(
        client,
        "/catalog/obligations",
        csrf_token=csrf,
        kind="update",
        entry_id=published,
        subject="新增“经营范围”字段",
        started_on="2026-11-16",
    )
    assert recorded.status_code == 303
    page = client.get("/catalog/deadlines", params={"on": "2026-11-20"}, headers=HTML).text
    assert f'<a href="/catalog/entries/{published}">新增“经营范围”字段</a>' in page
