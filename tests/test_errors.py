"""Specification of how errors reach callers.

Under ``/api/v1`` every error is JSON of exactly one shape::

    {"error": {"code": "<snake_case>", "message": "<中文>", "fields": {...}}}

where ``fields`` is present only when there are per-field details. Portal pages
render the same error as a Chinese HTML page. Unexpected exceptions become a
generic ``internal_error`` that reveals nothing about their cause.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

import govdata.errors
from govdata.app import create_app
from govdata.db import Database
from govdata.errors import GovdataError
from govdata.orgs.models import Organisation
from govdata.settings import Settings
from tests.factories import fresh_credit_code, login, region

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
JSON_ACCEPT = {"Accept": "application/json"}
HTML_ACCEPT = {"Accept": "text/html,application/xhtml+xml"}


def assert_error_shape(body: Any, code: str, *, with_fields: bool = False) -> dict[str, Any]:
    """The body is exactly ``{"error": {code, message[, fields]}}``; returns the inner object."""
    assert isinstance(body, dict)
    assert set(body) == {"error"}
    error = body["error"]
    expected_keys = {"code", "message", "fields"} if with_fields else {"code", "message"}
    assert set(error) == expected_keys
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"].strip()
    if with_fields:
        assert isinstance(error["fields"], dict)
        assert error["fields"]
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in error["fields"].items())
    return error


def bad_check_character(code: str) -> str:
    """The same credit code with a wrong 18th (check) character."""
    replacement = "0" if code[-1] != "0" else "1"
    return code[:-1] + replacement


def count_departments_named(session: Session, name: str) -> int:
    return len(session.scalars(select(Organisation.id).where(Organisation.name == name)).all())


# --- routing errors ---------------------------------------------------------------


def test_unknown_api_route_is_404_route_not_found(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert_error_shape(response.json(), "route_not_found")


def test_unknown_api_route_is_json_even_when_the_client_prefers_html(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing", headers=HTML_ACCEPT)

    assert response.status_code == 404
    assert_error_shape(response.json(), "route_not_found")


def test_wrong_method_on_api_route_is_405_method_not_allowed(client: TestClient) -> None:
    response = client.delete("/api/v1/organisations")

    assert response.status_code == 405
    assert_error_shape(response.json(), "method_not_allowed")


# --- request body errors ----------------------------------------------------------


def test_malformed_json_body_is_422_malformed_json(client: TestClient) -> None:
    response = client.post(
        "/api/v1/regions",
        content=b'{"division_code": ',
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert_error_shape(response.json(), "malformed_json")


def test_json_array_body_is_422_malformed_json(client: TestClient) -> None:
    response = client.post("/api/v1/regions", json=[{"division_code": "150100"}])

    assert response.status_code == 422
    assert_error_shape(response.json(), "malformed_json")


def test_body_over_the_configured_limit_is_413_payload_too_large(
    client: TestClient, settings: Settings
) -> None:
    body = b"x" * (settings.max_body_bytes + 1)

    response = client.post(
        "/api/v1/regions", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413
    assert_error_shape(response.json(), "payload_too_large")


def test_body_exactly_at_the_limit_is_not_refused_for_size(
    client: TestClient, settings: Settings
) -> None:
    padding = settings.max_body_bytes - len(b'{"division_code": ""}')
    body = b'{"division_code": "' + b" " * padding + b'"}'
    assert len(body) == settings.max_body_bytes

    response = client.post(
        "/api/v1/regions", content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code != 413


# --- invalid input ------------------------------------------------------------------


def test_invalid_credit_code_check_character_is_422_with_field_detail(
    client: TestClient, session: Session
) -> None:
    csrf = login(client, "admin")
    parent = region(session, "150000")
    name = "错误校验位测试局"

    response = client.post(
        "/api/v1/departments",
        json={
            "name": name,
            "credit_code": bad_check_character(fresh_credit_code("150000")),
            "parent_id": parent.id,
        },
        headers={"X-CSRF-Token": csrf},
    )

    assert response.status_code == 422
    error = assert_error_shape(response.json(), "invalid_input", with_fields=True)
    assert "credit_code" in error["fields"]
    assert "校验位" in error["fields"]["credit_code"]
    assert count_departments_named(session, name) == 0


def test_credit_code_of_wrong_length_is_422_naming_18_characters(
    client: TestClient, session: Session
) -> None:
    csrf = login(client, "admin")
    parent = region(session, "150000")
    name = "长度错误测试局"

    response = client.post(
        "/api/v1/departments",
        json={
            "name": name,
            "credit_code": fresh_credit_code("150000")[:17],
            "parent_id": parent.id,
        },
        headers={"X-CSRF-Token": csrf},
    )

    assert response.status_code == 422
    error = assert_error_shape(response.json(), "invalid_input", with_fields=True)
    assert "18位" in error["fields"]["credit_code"]
    assert count_departments_named(session, name) == 0


def test_error_fields_are_omitted_not_empty_when_there_are_none(client: TestClient) -> None:
    body = client.get("/api/v1/no-such-thing").json()

    assert "fields" not in body["error"]


# --- unexpected exceptions ----------------------------------------------------------


@pytest.fixture
def exploding_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    """A node with routes that fail unexpectedly, seen as an outside client sees it."""
    app = create_app(settings, db)

    async def boom() -> None:
        raise RuntimeError("secret detail")

    app.add_api_route("/api/v1/boom", boom, methods=["GET"])
    app.add_api_route("/boom", boom, methods=["GET"])
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_unexpected_exception_is_500_internal_error(exploding_client: TestClient) -> None:
    response = exploding_client.get("/api/v1/boom")

    assert response.status_code == 500
    assert_error_shape(response.json(), "internal_error")


def test_unexpected_exception_reveals_nothing_about_its_cause(
    exploding_client: TestClient,
) -> None:
    response = exploding_client.get("/api/v1/boom")

    assert "secret detail" not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text


def test_unexpected_exception_on_a_portal_page_is_an_html_page_without_details(
    exploding_client: TestClient,
) -> None:
    response = exploding_client.get("/boom", headers=HTML_ACCEPT)

    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "internal_error" in response.text
    assert "secret detail" not in response.text
    assert "Traceback" not in response.text


def test_unexpected_exception_response_still_carries_the_request_id(
    exploding_client: TestClient,
) -> None:
    response = exploding_client.get("/api/v1/boom")

    assert response.status_code == 500
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_unexpected_exception_page_shows_the_request_id_to_quote(
    exploding_client: TestClient,
) -> None:
    response = exploding_client.get("/boom", headers=HTML_ACCEPT)

    assert response.headers["X-Request-ID"] in response.text


# --- portal (HTML) errors -----------------------------------------------------------


def test_missing_organisation_page_is_a_chinese_html_404(client: TestClient) -> None:
    response = client.get("/orgs/does-not-exist", headers=HTML_ACCEPT)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert 'lang="zh-CN"' in response.text
    assert "组织机构不存在" in response.text
    assert "not_found" in response.text


def test_unknown_portal_page_is_an_html_404_with_the_error_code(client: TestClient) -> None:
    response = client.get("/no-such-page", headers=HTML_ACCEPT)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "route_not_found" in response.text
    assert "页面或接口不存在" in response.text


def test_portal_error_page_shows_the_request_id(client: TestClient) -> None:
    response = client.get("/orgs/does-not-exist", headers=HTML_ACCEPT)

    assert response.headers["X-Request-ID"] in response.text


def test_non_api_path_answers_json_to_a_client_that_asks_only_for_json(
    client: TestClient,
) -> None:
    response = client.get("/orgs/does-not-exist", headers=JSON_ACCEPT)

    assert response.status_code == 404
    error = assert_error_shape(response.json(), "not_found", with_fields=True)
    assert error["message"] == "组织机构不存在"


def test_error_json_is_utf8_chinese_not_escaped_garbage(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")

    assert json.loads(response.content.decode("utf-8"))["error"]["message"] == "页面或接口不存在"


# --- the error hierarchy ------------------------------------------------------------


def error_classes() -> list[type[GovdataError]]:
    found: list[type[GovdataError]] = []
    pending: list[type[GovdataError]] = [GovdataError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return [
        cls for cls in found if cls.__module__ == govdata.errors.__name__ and inspect.isclass(cls)
    ]


def test_error_hierarchy_is_discovered() -> None:
    names = {cls.__name__ for cls in error_classes()}

    assert {"GovdataError", "InvalidInput", "NotFound", "InternalError"} <= names


@pytest.mark.parametrize("cls", error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_class_has_a_snake_case_code(cls: type[GovdataError]) -> None:
    assert SNAKE_CASE.match(cls.code), cls.code


@pytest.mark.parametrize("cls", error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_class_has_an_http_error_status(cls: type[GovdataError]) -> None:
    assert 400 <= cls.status <= 599
    assert cls().http_status == cls.status


@pytest.mark.parametrize("cls", error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_class_has_a_default_chinese_message(cls: type[GovdataError]) -> None:
    message = cls().message

    assert message
    assert re.search(r"[\u4e00-\u9fff]", message)


def test_error_codes_are_unique_across_the_hierarchy() -> None:
    codes = [cls.code for cls in error_classes()]

    assert len(codes) == len(set(codes)), codes


def test_error_to_dict_includes_fields_only_when_given() -> None:
    bare = govdata.errors.NotFound().to_dict()
    detailed = govdata.errors.InvalidInput(fields={"name": "必填"}).to_dict()

    assert bare == {"error": {"code": "not_found", "message": "未找到请求的对象"}}
    assert detailed == {
        "error": {"code": "invalid_input", "message": "输入不符合要求", "fields": {"name": "必填"}}
    }


def test_error_code_and_status_can_be_overridden_per_instance() -> None:
    error = govdata.errors.InvalidInput("换个说法", code="malformed_json", status=400)

    assert error.error_code == "malformed_json"
    assert error.http_status == 400
    assert error.message == "换个说法"
    assert govdata.errors.InvalidInput.code == "invalid_input"
