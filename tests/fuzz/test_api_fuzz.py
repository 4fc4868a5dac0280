"""Property-based fuzzing of the whole /api/v1 from its OpenAPI document.

Schemathesis generates requests from every operation's schema (valid and
invalid), they are sent in-process as the demo platform administrator, and
the node must never answer with a server error: every refusal is a 4xx with
the stable error body.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from tests.factories import login

EXAMPLES_PER_OPERATION = 10


def test_no_generated_request_makes_the_node_fail(app: FastAPI, client: TestClient) -> None:
    csrf = login(client, "admin")
    cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    headers = {"Cookie": cookie, "X-CSRF-Token": csrf}
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: Any) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.path, response.text)
            if response.status_code >= 400:
                body = response.json()
                assert set(body) == {"error"}, body
                assert body["error"]["code"]

        no_server_error()
