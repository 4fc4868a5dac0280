"""The catalog through the JSON API, as a provider and a reviewer use it: draft, submit,
return, fix, publish, then find it by a Chinese word, see its deadline settled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from govdata.app import create_app
from govdata.db import Database
from govdata.orgs.models import Organisation
from govdata.services import Services
from govdata.settings import Settings
from tests.catalog.conftest import entry_data
from tests.factories import login


@pytest.fixture
def api(settings: Settings, db: Database, search_services: Services) -> Iterator[TestClient]:
    """The app with a search index of this test's own."""
    with TestClient(create_app(settings, db, search_services)) as client:
        yield client


class Session:
    """One person's cookie session, with the CSRF header on every write."""

    def __init__(self, settings: Settings, db: Database, services: Services, user: str) -> None:
        self.client = TestClient(create_app(settings, db, services))
        self.client.__enter__()
        self.csrf = login(self.client, user)

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(f"/api/v1{path}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def send(self, method: str, path: str, body: dict[str, Any], status: int = 200) -> Any:
        response = self.client.request(
            method, f"/api/v1{path}", json=body, headers={"X-CSRF-Token": self.csrf}
        )
        assert response.status_code == status, response.text
        return response.json()

    def close(self) -> None:
        self.client.__exit__(None, None, None)


@pytest.fixture
def people(
    settings: Settings, db: Database, search_services: Services
) -> Iterator[tuple[Session, Session]]:
    provider = Session(settings, db, search_services, "provider")
    reviewer = Session(settings, db, search_services, "reviewer")
    yield provider, reviewer
    provider.close()
    reviewer.close()


def test_a_new_user_takes_an_entry_from_draft_to_publication_and_finds_it(
    people: tuple[Session, Session], api: TestClient, market: Organisation
) -> None:
    provider, reviewer = people
    assert provider.get("/catalog/entries")["total"] == 0  # the provider's own list

    org_id = market.id
    system = provider.send(
        "POST",
        "/catalog/systems",
        {"organisation_id": org_id, "name": "市场主体登记系统", "started_on": "2026-11-02"},
        status=201,
    )
    draft = provider.send(
        "POST",
        "/catalog/entries",
        entry_data(org_id, system["id"], abstract="短"),
        status=201,
    )
    entry_id = draft["id"]

    refused = provider.client.post(
        f"/api/v1/catalog/entries/{entry_id}/submission",
        headers={"X-CSRF-Token": provider.csrf},
    )
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "precheck_failed"
    assert "abstract" in refused.json()["error"]["fields"]

    fixed = entry_data(org_id, system["id"])
    del fixed["organisation_id"]
    provider.send("PUT", f"/catalog/entries/{entry_id}", fixed)
    provider.send("POST", f"/catalog/entries/{entry_id}/submission", {})

    queue = reviewer.get("/catalog/review-queue")
    assert [e["id"] for e in queue["entries"]] == [entry_id]
    returned = reviewer.send(
        "POST",
        f"/catalog/entries/{entry_id}/review",
        {"decision": "return", "reasons": ["共享条件须写明可申请的部门范围"]},
    )
    assert returned["working"]["status"] == "returned"

    fixed["share_conditions"] = "市场监管、税务、人社部门依法履职时可申请"
    provider.send("PUT", f"/catalog/entries/{entry_id}", fixed)
    provider.send("POST", f"/catalog/entries/{entry_id}/submission", {})
    published = reviewer.send(
        "POST", f"/catalog/entries/{entry_id}/review", {"decision": "publish"}
    )
    assert published["published"]["number"] == 1

    # The index is synced after the commit: a Chinese word inside the name finds it,
    # for anyone, since the entry is open.
    found = api.get("/api/v1/catalog/search", params={"q": "执照"}).json()
    assert [hit["id"] for hit in found["hits"]] == [entry_id]
    assert found["open_only"] is True

    deadlines = reviewer.get("/catalog/deadlines", include_fulfilled="true", on="2026-11-20")
    [obligation] = deadlines["obligations"]
    assert obligation["state"] == "fulfilled"
    assert reviewer.get("/catalog/deadlines", on="2026-11-20")["total"] == 0

    versions = api.get(f"/api/v1/catalog/entries/{entry_id}").json()["versions"]
    assert [(v["number"], v["status"]) for v in versions] == [(1, "published")]


def test_an_entry_is_refused_with_errors_per_field(
    people: tuple[Session, Session], market: Organisation
) -> None:
    provider, _ = people
    org_id = market.id
    data = entry_data(org_id, None, resource_code="1020/1", share_type="sometimes")
    response = provider.client.post(
        "/api/v1/catalog/entries", json=data, headers={"X-CSRF-Token": provider.csrf}
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"resource_code", "share_type"}
