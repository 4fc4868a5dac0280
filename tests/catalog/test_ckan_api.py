"""Specification of the CKAN-compatible read API (O6), spoken to by the real ``ckanapi``.

``ckanapi.RemoteCKAN`` talks HTTP through ``requests``, so these tests serve the test's
app with uvicorn in a thread on a free local port. The app is bound to the test's
database connection (one transaction, rolled back after the test); the connection is
only ever used by one thread at a time, because the test waits for each answer before
it goes on. On PostgreSQL (``GOVDATA_TEST_DATABASE_URL``) the same tests run there.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import ckanapi
import pytest
import requests
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from govdata.app import create_app
from govdata.catalog.ckan_mapping import error_body, parse_fq, tag_name
from govdata.db import Database
from govdata.demo import DEMO_PASSWORD
from govdata.errors import Forbidden, InvalidInput
from govdata.orgs.models import Organisation
from govdata.services import Services
from govdata.settings import Settings
from tests.catalog.conftest import Run, entry_data, publish

LICENSE = "102001-000001"  # the ``published`` fixture's entry, open without conditions
CLOSED = "307001-000002"
USER_AGENT = "govdata-tests/ckanapi"


@pytest.fixture
def app(
    settings: Settings, db: Database, search_services: Services, published: str, session: Session
) -> FastAPI:
    session.flush()  # the fixtures' writes, seen by the app's sessions on the same connection
    return create_app(settings, db, search_services)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` over HTTP on a free local port until the block ends; yields its URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_config=None, access_log=False, lifespan="on", log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        listener.close()


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A requests session that ignores proxy settings of the environment."""
    with requests.Session() as session:
        session.trust_env = False
        yield session


@pytest.fixture
def ckan(server: str, http: requests.Session) -> Iterator[ckanapi.RemoteCKAN]:
    with ckanapi.RemoteCKAN(server, user_agent=USER_AGENT, session=http) as remote:
        yield remote


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


def market_name(market: Organisation) -> str:
    assert market.credit_code
    return market.credit_code.lower()


# --- through ckanapi ----------------------------------------------------------------


def test_package_list_names_the_published_entries(ckan: ckanapi.RemoteCKAN) -> None:
    assert ckan.action.package_list() == [LICENSE]


def test_package_search_finds_an_entry_by_a_chinese_word_inside_its_name(
    ckan: ckanapi.RemoteCKAN, published: str
) -> None:
    found = ckan.action.package_search(q="营业执照")
    assert found["count"] == 1
    assert [package["id"] for package in found["results"]] == [published]
    assert found["results"][0]["title"] == "企业营业执照登记信息"


def test_package_show_maps_an_entry_to_a_ckan_package(
    ckan: ckanapi.RemoteCKAN, published: str, market: Organisation
) -> None:
    package = ckan.action.package_show(id=published)
    assert package["name"] == LICENSE
    assert package["notes"].startswith("市场主体登记注册形成的营业执照信息")
    assert package["organization"]["name"] == market_name(market)
    assert package["organization"]["title"] == "内蒙古自治区市场监督管理局"
    assert (package["license_id"], package["isopen"]) == ("other-open", True)
    assert (package["state"], package["private"], package["type"]) == ("active", False, "dataset")
    assert {t["name"] for t in package["tags"]} == {"统一社会信用代码", "企业名称", "成立日期"}
    assert package["num_tags"] == 3
    extras = {extra["key"]: extra["value"] for extra in package["extras"]}
    assert extras["resource_code"] == "102001/000001"
    assert extras["share_type"] == "conditional"
    assert extras["provider_code"] == market.credit_code


def test_a_package_has_one_resource_per_data_resource_without_its_location(
    ckan: ckanapi.RemoteCKAN, published: str
) -> None:
    package = ckan.action.package_show(id=published)
    assert package["num_resources"] == 1
    resource = package["resources"][0]
    assert resource["name"] == "营业执照信息表"
    assert resource["format"] == "KingbaseES"
    assert resource["description"] == "库表资源，格式：数据库（KingbaseES）"
    assert "sc_market.license" not in str(package)


@pytest.mark.parametrize("key", [LICENSE, "102001/000001"])
def test_package_show_takes_the_name_or_the_resource_code(
    ckan: ckanapi.RemoteCKAN, published: str, key: str
) -> None:
    assert ckan.action.package_show(id=key)["id"] == published


@pytest.mark.parametrize("key", ["no-such-package", "999001-000001", "x" * 100])
def test_an_unknown_package_is_not_found(ckan: ckanapi.RemoteCKAN, key: str) -> None:
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id=key)


def test_organization_list_with_all_fields_counts_the_packages(
    ckan: ckanapi.RemoteCKAN, market: Organisation
) -> None:
    names = ckan.action.organization_list()
    assert market_name(market) in names
    organizations = ckan.action.organization_list(all_fields=True, organizations=names)
    assert len(organizations) == min(len(names), 25)
    listed = ckan.action.organization_list(all_fields=True, organizations=[market_name(market)])
    assert [(o["title"], o["package_count"]) for o in listed] == [("内蒙古自治区市场监督管理局", 1)]


def test_organization_show_by_name_includes_its_datasets_when_asked(
    ckan: ckanapi.RemoteCKAN, market: Organisation
) -> None:
    shown = ckan.action.organization_show(id=market_name(market), include_datasets=True)
    assert (shown["id"], shown["package_count"]) == (market.id, 1)
    assert [package["name"] for package in shown["packages"]] == [LICENSE]
    assert "packages" not in ckan.action.organization_show(id=market.id)


def test_an_unknown_organization_is_not_found(ckan: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.NotFound):
        ckan.action.organization_show(id="no-such-organization")


def test_fq_filters_by_organization_and_facet_fields(
    ckan: ckanapi.RemoteCKAN, market: Organisation
) -> None:
    name = market_name(market)
    assert (
        ckan.action.package_search(fq=f"organization:{name} +share_type:conditional")["count"] == 1
    )
    assert ckan.action.package_search(fq="share_type:unconditional")["count"] == 0
    assert ckan.action.package_search(fq="organization:nobody")["count"] == 0
    assert ckan.action.package_search(fq="+dataset_type:dataset")["count"] == 1


def test_facets_come_in_ckans_two_shapes(ckan: ckanapi.RemoteCKAN, market: Organisation) -> None:
    found = ckan.action.package_search(**{"facet.field": ["organization", "license_id"]})
    assert found["facets"]["organization"] == {market_name(market): 1}
    assert found["search_facets"]["license_id"] == {
        "title": "license_id",
        "items": [{"name": "other-open", "display_name": "其他（开放）", "count": 1}],
    }


def test_an_unsupported_fq_field_is_a_validation_error(ckan: ckanapi.RemoteCKAN) -> None:
    with pytest.raises(ckanapi.ValidationError) as caught:
        ckan.action.package_search(fq="res_format:CSV")
    assert "res_format" in caught.value.error_dict["fq"][0]


def test_anonymous_callers_see_only_open_entries(ckan: ckanapi.RemoteCKAN, closed: str) -> None:
    assert ckan.action.package_list() == [LICENSE]
    assert ckan.action.package_search()["count"] == 1
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id=CLOSED)


def test_a_signed_in_reviewer_sees_entries_that_are_not_open(
    closed: str, server: str, http: requests.Session
) -> None:
    login = http.post(
        f"{server}/api/v1/session", json={"username": "reviewer", "password": DEMO_PASSWORD}
    )
    assert login.status_code == 201, login.text
    with ckanapi.RemoteCKAN(server, user_agent=USER_AGENT, session=http) as ckan:
        assert ckan.action.package_list() == [LICENSE, CLOSED]
        assert ckan.action.package_show(id=CLOSED)["license_id"] == "notspecified"


CORE = "102001-000009"


@pytest.fixture
def core(
    as_provider: Run, as_reviewer: Run, market: Organisation, system_id: str, session: Session
) -> str:
    """A published entry graded core data, not open."""
    item = {"name": "核心字段", "data_type": "C", "length": 18, "grade": "core"}
    data = entry_data(market.id, system_id, code="102001/000009", name="核心数据目录", items=[item])
    entry_id = publish(as_provider, as_reviewer, data | {"open_type": "none"})
    session.flush()
    return entry_id


def test_a_member_of_another_department_is_not_shown_core_entries(
    core: str, server: str, http: requests.Session
) -> None:
    login = http.post(
        f"{server}/api/v1/session", json={"username": "consumer", "password": DEMO_PASSWORD}
    )
    assert login.status_code == 201, login.text
    with ckanapi.RemoteCKAN(server, user_agent=USER_AGENT, session=http) as ckan:
        assert CORE not in ckan.action.package_list()
        with pytest.raises(ckanapi.NotFound):
            ckan.action.package_show(id=CORE)
        with pytest.raises(ckanapi.NotAuthorized) as refused:
            ckan.action.package_show(id=core)
    assert "核心数据" in str(refused.value)


def test_the_provider_sees_its_core_entry(core: str, server: str, http: requests.Session) -> None:
    login = http.post(
        f"{server}/api/v1/session", json={"username": "provider", "password": DEMO_PASSWORD}
    )
    assert login.status_code == 201, login.text
    with ckanapi.RemoteCKAN(server, user_agent=USER_AGENT, session=http) as ckan:
        assert CORE in ckan.action.package_list()
        assert ckan.action.package_show(id=core)["name"] == CORE


# --- the HTTP surface ---------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/api/3/action", "/api/action"])
def test_both_paths_answer_get_and_post(client: TestClient, prefix: str) -> None:
    by_get = client.get(f"{prefix}/package_search", params={"q": "执照", "rows": "5"})
    by_post = client.post(f"{prefix}/package_search", json={"q": "执照", "rows": 5})
    assert by_get.status_code == by_post.status_code == 200
    assert by_get.json()["result"]["count"] == by_post.json()["result"]["count"] == 1


def test_list_parameters_may_be_json_text_in_the_query_string(client: TestClient) -> None:
    response = client.get(
        "/api/3/action/package_search", params={"facet.field": '["share_type"]', "rows": 0}
    )
    result = response.json()["result"]
    assert result["facets"] == {"share_type": {"conditional": 1}}
    assert result["results"] == []


def test_the_envelope_of_an_answer(client: TestClient) -> None:
    body = client.get("/api/3/action/package_list").json()
    assert body == {
        "help": "http://testserver/api/3/action/help_show?name=package_list",
        "success": True,
        "result": [LICENSE],
    }


def test_the_envelope_of_an_error(client: TestClient) -> None:
    response = client.get("/api/3/action/package_show", params={"id": "no-such-package"})
    assert response.status_code == 404
    assert response.json() == {
        "help": "http://testserver/api/3/action/help_show?name=package_show",
        "success": False,
        "error": {
            "__type": "Not Found Error",
            "message": "Not found: 目录不存在",
            "code": "not_found",
        },
    }


def test_a_missing_parameter_is_a_validation_error_with_ckans_field_lists(
    client: TestClient,
) -> None:
    response = client.post("/api/action/package_show", json={})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["__type"] == "Validation Error"
    assert error["id"] == ["必填（Field required）"]


def test_an_unknown_action_is_a_bad_request(client: TestClient) -> None:
    response = client.post("/api/3/action/package_create", json={"name": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "ckan_action_unknown"


def test_help_show_describes_an_action(client: TestClient) -> None:
    response = client.get("/api/3/action/help_show", params={"name": "package_search"})
    assert "fq" in response.json()["result"]


def test_the_ckan_api_is_not_part_of_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert not [path for path in paths if "/action/" in path]


# --- the mapping, directly ----------------------------------------------------------


def test_a_refusal_is_an_authorization_error_with_status_403() -> None:
    assert error_body(Forbidden()) == (
        403,
        {
            "__type": "Authorization Error",
            "message": "Access denied: 无权执行此操作",
            "code": "forbidden",
        },
    )


@pytest.mark.parametrize(
    ("fq", "values", "nothing"),
    [
        ("", {}, False),
        ("organization:abc", {"organization": {"abc"}}, False),
        (
            '+share_type:"conditional" AND grade:important',
            {"share_type": {"conditional"}, "grade": {"important"}},
            False,
        ),
        (
            "open_type:(unconditional OR conditional)",
            {"open_type": {"unconditional", "conditional"}},
            False,
        ),
        ("grade:core grade:important", {"grade": set()}, True),
        ("dataset_type:harvest", {}, True),
    ],
)
def test_fq_is_read_as_clauses_joined_by_and(
    fq: str, values: dict[str, set[str]], nothing: bool
) -> None:
    query = parse_fq(fq)
    assert {name: set(v) for name, v in query.values.items()} == values
    assert query.matches_nothing is nothing


@pytest.mark.parametrize("fq", ["-grade:core", "grade", "tags:x", "grade:core )"])
def test_fq_that_cannot_be_honoured_is_refused(fq: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_fq(fq)
    assert set(caught.value.fields) == {"fq"}


@pytest.mark.parametrize(
    ("item", "tag"),
    [("统一社会信用代码", "统一社会信用代码"), ("企业名称（中文）", "企业名称 中文"), ("码", None)],
)
def test_item_names_become_ckan_tags(item: str, tag: str | None) -> None:
    assert tag_name(item) == tag
