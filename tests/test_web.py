"""Specification of the web surface: operations endpoints, the API description,
request ids, static files and the server-rendered portal (in Chinese, air-gapped)."""

from __future__ import annotations

import gc
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import __version__
from govdata.app import create_app
from govdata.db import Database
from govdata.demo import DEMO_PASSWORD
from govdata.orgs.models import Organisation
from govdata.portal.views import LOGIN_CSRF_COOKIE
from govdata.settings import Settings
from govdata.web.auth import SESSION_COOKIE
from tests.factories import fresh_credit_code, login, region

HTML_ACCEPT = {"Accept": "text/html,application/xhtml+xml"}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}
ANONYMOUS_PAGES = ("/", "/login", "/orgs")


class HiddenInputs(HTMLParser):
    """Collects ``<input type="hidden">`` values by name, per form action."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((attributes.get("action", ""), {}))
        elif tag == "input" and attributes.get("type") == "hidden" and self.forms:
            self.forms[-1][1][attributes.get("name", "")] = attributes.get("value", "")


def hidden_inputs(html: str, action: str) -> dict[str, str]:
    parser = HiddenInputs()
    parser.feed(html)
    for form_action, inputs in parser.forms:
        if form_action == action:
            return inputs
    raise AssertionError(f"no form posting to {action}")


def requests_counted(client: TestClient) -> dict[tuple[str, str, str], float]:
    """``govdata_http_requests_total`` samples keyed by (method, route, status)."""
    text = client.get("/metrics").text
    counted: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "govdata_http_requests_total":
                labels = sample.labels
                counted[(labels["method"], labels["route"], labels["status"])] = sample.value
    return counted


def portal_login(client: TestClient, username: str = "admin", next_path: str = "/") -> Any:
    form = client.get("/login")
    token = hidden_inputs(form.text, "/login")["csrf_token"]
    return client.post(
        "/login",
        data={
            "csrf_token": token,
            "next": next_path,
            "username": username,
            "password": DEMO_PASSWORD,
        },
        follow_redirects=False,
    )


# --- operations ---------------------------------------------------------------------


def test_healthz_reports_database_and_node(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "node": "150000",
        "version": __version__,
    }


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    client.get("/healthz")

    counted = requests_counted(client)

    assert counted[("GET", "/healthz", "200")] == 1.0


def test_metrics_label_routes_by_template_not_by_raw_path(client: TestClient) -> None:
    client.get("/api/v1/organisations/not-a-real-id")

    counted = requests_counted(client)

    assert ("GET", "/api/v1/organisations/{id}", "404") in counted
    assert not any("not-a-real-id" in route for _, route, _ in counted)


def test_metrics_are_prometheus_text(client: TestClient) -> None:
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE govdata_http_requests_total counter" in response.text
    assert "govdata_http_request_seconds" in response.text


# --- API description ----------------------------------------------------------------


@pytest.fixture
def openapi(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_openapi_document_is_served_as_json(openapi: dict[str, Any]) -> None:
    assert openapi["openapi"].startswith("3.")
    assert openapi["info"]["title"] == "govdata"
    assert openapi["info"]["version"] == __version__


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/organisations", "get"),
        ("/api/v1/organisations/{id}", "get"),
        ("/api/v1/departments", "post"),
        ("/api/v1/users", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/session", "post"),
        ("/api/v1/session", "delete"),
        ("/api/v1/node", "get"),
    ],
)
def test_openapi_lists_the_api_operations(openapi: dict[str, Any], path: str, method: str) -> None:
    assert method in openapi["paths"][path]


def test_every_openapi_operation_has_a_unique_operation_id(openapi: dict[str, Any]) -> None:
    ids = [
        operation.get("operationId")
        for item in openapi["paths"].values()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]

    assert ids
    assert all(ids), ids
    assert len(ids) == len(set(ids))


def test_openapi_describes_only_the_api(openapi: dict[str, Any]) -> None:
    assert all(path.startswith("/api/v1/") for path in openapi["paths"])


def test_openapi_describes_json_bodies_of_write_operations(openapi: dict[str, Any]) -> None:
    operation = openapi["paths"]["/api/v1/departments"]["post"]

    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert {"name", "credit_code", "parent_id"} <= set(schema["properties"])


# --- request ids --------------------------------------------------------------------


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    for path in ("/healthz", "/api/v1/no-such-thing", "/", "/static/portal.css"):
        response = client.get(path)
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"]), path


def test_request_ids_differ_between_requests(client: TestClient) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]

    assert first != second


def test_a_callers_request_id_is_never_used_as_the_nodes_own(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "req-abc-123"})

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/api/v1/node", "/static/portal.css", "/api/v1/no-such-route"):
        headers = client.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
    assert client.get("/api/v1/node").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/portal.css").headers.get("Cache-Control", "")


def test_health_can_be_probed_with_head(client: TestClient) -> None:
    assert client.head("/healthz").status_code == 200


def test_unknown_methods_share_one_metrics_label(client: TestClient) -> None:
    for method in ("ZZ1", "ZZ2", "ZZ3"):
        client.request(method, "/healthz")
    metrics = client.get("/metrics").text
    assert 'method="ZZ' not in metrics
    assert 'method="OTHER"' in metrics


# --- static files -------------------------------------------------------------------


def test_portal_stylesheet_is_served_as_css(client: TestClient) -> None:
    response = client.get("/static/portal.css")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert response.text.strip()


# --- anonymous portal ---------------------------------------------------------------


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_public_page_renders_in_chinese_for_anonymous_visitors(
    client: TestClient, path: str
) -> None:
    response = client.get(path, headers=HTML_ACCEPT)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in response.text
    assert "组织机构" in response.text
    assert "内蒙古自治区" in response.text


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_public_page_references_no_external_url(client: TestClient, path: str) -> None:
    html = client.get(path, headers=HTML_ACCEPT).text

    assert "http://" not in html
    assert "https://" not in html
    assert not re.search(r"""(?:src|href|action)=["']//""", html)


def test_org_tree_page_lists_the_demo_region(client: TestClient) -> None:
    html = client.get("/orgs").text

    assert "呼和浩特市" in html
    assert 'aria-label="组织机构树"' in html


def test_home_page_shows_this_node(client: TestClient) -> None:
    html = client.get("/").text

    assert "150000" in html
    assert "ed25519" in html
    assert 'href="/login"' in html


@pytest.mark.parametrize("path", ["/users", "/applications"])
def test_private_pages_redirect_anonymous_visitors_to_login(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"


def test_login_page_keeps_a_safe_next_path(client: TestClient) -> None:
    html = client.get("/login?next=/users").text

    assert hidden_inputs(html, "/login")["next"] == "/users"


@pytest.mark.parametrize("unsafe", ["//evil.example/x", "https://evil.example/", "javascript:x"])
def test_login_page_drops_an_off_site_next_path(client: TestClient, unsafe: str) -> None:
    html = client.get("/login", params={"next": unsafe}).text

    assert hidden_inputs(html, "/login")["next"] == "/"


# --- portal login -------------------------------------------------------------------


def test_login_form_carries_a_csrf_token_matching_its_cookie(client: TestClient) -> None:
    response = client.get("/login")

    token = hidden_inputs(response.text, "/login")["csrf_token"]
    assert len(token) >= 16
    assert response.cookies.get(LOGIN_CSRF_COOKIE) == token


def test_portal_login_with_demo_credentials_redirects_home_with_a_session(
    client: TestClient,
) -> None:
    response = portal_login(client)

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert response.cookies.get(SESSION_COOKIE)
    set_cookie = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in set_cookie if c.startswith(f"{SESSION_COOKIE}="))
    assert "httponly" in session_cookie.lower()
    assert "samesite=lax" in session_cookie.lower()


def test_portal_login_follows_the_next_path(client: TestClient) -> None:
    response = portal_login(client, next_path="/users")

    assert response.status_code == 303
    assert response.headers["location"] == "/users"


def test_logged_in_visitor_sees_private_pages(client: TestClient) -> None:
    portal_login(client)

    for path in ("/users", "/applications"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 200, path
        assert "当前用户：admin" in response.text


def test_portal_login_without_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/login")

    response = client.post(
        "/login",
        data={"username": "admin", "password": DEMO_PASSWORD},
        headers={"Accept": "application/json"},
        follow_redirects=False,
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert SESSION_COOKIE not in response.cookies


def test_portal_login_without_csrf_token_shows_an_html_error_page(client: TestClient) -> None:
    client.get("/login")

    response = client.post(
        "/login",
        data={"username": "admin", "password": DEMO_PASSWORD},
        headers=HTML_ACCEPT,
        follow_redirects=False,
    )

    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "csrf_failed" in response.text


def test_portal_login_with_a_wrong_password_shows_the_form_again(client: TestClient) -> None:
    form = client.get("/login")
    token = hidden_inputs(form.text, "/login")["csrf_token"]

    response = client.post(
        "/login",
        data={"csrf_token": token, "username": "admin", "password": "not-the-password"},
        follow_redirects=False,
    )

    assert response.status_code == 401
    assert 'role="alert"' in response.text
    assert SESSION_COOKIE not in response.cookies
    assert hidden_inputs(response.text, "/login")["csrf_token"] != token


# --- portal writes ------------------------------------------------------------------


def test_admin_creates_a_department_through_the_portal_form(
    client: TestClient, session: Session
) -> None:
    portal_login(client)
    parent = region(session, "150000")
    page = client.get(f"/orgs/{parent.id}")
    assert page.status_code == 200
    inputs = hidden_inputs(page.text, f"/orgs/{parent.id}/departments")
    credit_code = fresh_credit_code("150000")

    response = client.post(
        f"/orgs/{parent.id}/departments",
        data={
            "csrf_token": inputs["csrf_token"],
            "name": "门户新建测试局",
            "credit_code": credit_code,
        },
        follow_redirects=False,
    )

    assert response.status_code == 303
    created = session.scalar(select(Organisation).where(Organisation.credit_code == credit_code))
    assert created is not None
    assert created.parent_id == parent.id
    assert created.kind == "department"
    assert response.headers["location"] == f"/orgs/{created.id}"
    detail = client.get(response.headers["location"])
    assert detail.status_code == 200
    assert "门户新建测试局" in detail.text
    assert credit_code in detail.text


def test_portal_department_form_uses_the_api_session_csrf_token(
    client: TestClient, session: Session
) -> None:
    csrf = login(client, "admin")
    parent = region(session, "150000")

    response = client.post(
        f"/orgs/{parent.id}/departments",
        data={
            "csrf_token": csrf,
            "name": "接口登录测试局",
            "credit_code": fresh_credit_code("150000"),
        },
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"].startswith("/orgs/")


def test_portal_department_form_without_csrf_token_is_refused(
    client: TestClient, session: Session
) -> None:
    login(client, "admin")
    parent = region(session, "150000")
    credit_code = fresh_credit_code("150000")

    response = client.post(
        f"/orgs/{parent.id}/departments",
        data={"name": "缺少令牌测试局", "credit_code": credit_code},
        headers=HTML_ACCEPT,
        follow_redirects=False,
    )

    assert response.status_code == 403
    assert "csrf_failed" in response.text
    assert (
        session.scalar(select(Organisation).where(Organisation.credit_code == credit_code)) is None
    )


def test_anonymous_portal_department_form_is_refused(client: TestClient, session: Session) -> None:
    parent = region(session, "150000")

    response = client.post(
        f"/orgs/{parent.id}/departments",
        data={"name": "匿名测试局", "credit_code": fresh_credit_code("150000")},
        headers=HTML_ACCEPT,
        follow_redirects=False,
    )

    assert response.status_code == 401
    assert "unauthenticated" in response.text


def test_portal_logout_ends_the_session(client: TestClient) -> None:
    portal_login(client)
    home = client.get("/")
    token = hidden_inputs(home.text, "/logout")["csrf_token"]

    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    after = client.get("/users", follow_redirects=False)
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login")


def test_portal_logout_invalidates_the_session_on_the_server(client: TestClient) -> None:
    portal_login(client)
    session_token = client.cookies[SESSION_COOKIE]
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, session_token)
    assert client.get("/users", follow_redirects=False).status_code == 200
    token = hidden_inputs(client.get("/").text, "/logout")["csrf_token"]
    client.post("/logout", data={"csrf_token": token}, follow_redirects=False)

    client.cookies.set(SESSION_COOKIE, session_token)
    replayed = client.get("/users", follow_redirects=False)

    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/login")


def test_every_openapi_reference_resolves_and_every_operation_documents_its_answers(
    client: TestClient,
) -> None:
    document = client.get("/api/v1/openapi.json").json()
    components = document["components"]["schemas"]
    text = json.dumps(document)
    for reference in set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text)):
        assert reference in components, reference
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert any(code.startswith("2") for code in codes), (method, path)
            assert "4XX" in codes, (method, path)


def test_a_serving_app_freezes_what_start_up_left_alive(settings: Settings, db: Database) -> None:
    gc.unfreeze()
    try:
        with TestClient(create_app(settings, db, settle_heap=True)) as serving:
            assert serving.get("/healthz").status_code == 200
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # a test process makes many apps: nothing of them stays frozen
    with TestClient(create_app(settings, db)):
        assert gc.get_freeze_count() == 0
