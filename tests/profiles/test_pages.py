"""The profile pages of the portal: find a person by identity number or name, open
the profile, see every golden attribute with its source and the other values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from govdata.actions import ActionRegistry, Context
from govdata.app import create_app
from govdata.db import Database
from govdata.services import Services
from govdata.settings import Settings
from tests.aggregation.conftest import Run
from tests.catalog.conftest import region_department
from tests.factories import context_for, login, user_actor
from tests.profiles.journey import HOME, LI_SI, LI_SI_PHONE, NEW_HOME, SOURCES, load_sources

HTML = {"Accept": "text/html"}


@pytest.fixture
def built(
    registry: ActionRegistry,
    agg_operator: Context,
    as_provider: Run,
    run_now: Callable[..., Any],
    inbox: Path,
    entry_id: str,
) -> None:
    loaded = load_sources(as_provider, run_now, inbox, entry_id)
    reviewer = context_for(agg_operator, user_actor(agg_operator.session, "reviewer"))
    authority = region_department(reviewer.session, "政务服务与数据管理局")
    data = {
        "kind": "person",
        "organisation_id": authority.id,
        "source_ids": list(loaded.sources.values()),
    }
    registry.run("profile_build", reviewer, data)
    reviewer.session.commit()


@pytest.fixture
def portal(
    agg_settings: Settings, db: Database, agg_services: Services, built: None
) -> Iterator[TestClient]:
    app = create_app(agg_settings, db, agg_services)
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def profile_link(page: str) -> str:
    start = page.index('href="/profiles/') + len('href="')
    return page[start : page.index('"', start)]


def test_the_reviewer_finds_a_person_and_sees_the_source_of_every_attribute(
    portal: TestClient,
) -> None:
    login(portal, "reviewer")
    assert 'href="/profiles"' in portal.get("/", headers=HTML).text
    found = portal.get("/profiles", params={"id_number": LI_SI}, headers=HTML)
    assert found.status_code == 200
    assert 'id="profile-hits"' in found.text
    assert "姓名或名称已部分遮蔽" in found.text  # names are masked for the authority
    by_name = portal.get("/profiles", params={"name": "李四"}, headers=HTML)
    assert profile_link(by_name.text) == profile_link(found.text)

    page = portal.get(profile_link(found.text), headers=HTML)
    assert page.status_code == 200
    for source in SOURCES:
        assert source in page.text
    assert "概率匹配" in page.text
    # Masked for the authority: the note says so, and the number is not shown in clear.
    assert 'id="masking-note"' in page.text
    assert LI_SI not in page.text
    assert "150102********1237" in page.text


def test_the_holder_sees_clear_values_and_the_other_candidates(portal: TestClient) -> None:
    login(portal, "provider")
    found = portal.get("/profiles", params={"id_number": LI_SI}, headers=HTML)
    page = portal.get(profile_link(found.text), headers=HTML).text
    golden = page[page.index('id="golden-record"') : page.index('id="linked-records"')]
    phone = golden[golden.index('data-attribute="phone"') :]
    assert LI_SI_PHONE in phone[: phone.index("</tr>")]
    assert "社保参保" in phone[: phone.index("</tr>")]
    address = golden[golden.index('data-attribute="address"') :]
    row = address[: address.index("</tr>")]
    assert HOME in row and NEW_HOME in row and "不动产登记" in row
    assert 'id="masking-note"' not in page
    assert LI_SI in page


def test_a_search_without_a_criterion_shows_the_form_and_a_refusal_is_explained(
    portal: TestClient,
) -> None:
    login(portal, "consumer")
    empty = portal.get("/profiles", headers=HTML)
    assert empty.status_code == 200 and 'id="profile-search"' in empty.text
    found = portal.get("/profiles", params={"id_number": LI_SI}, headers=HTML)
    assert "没有找到档案" in found.text  # no grant: no profile of the department is readable


def test_a_profile_needs_a_signed_in_reader(portal: TestClient) -> None:
    login(portal, "reviewer")
    link = profile_link(portal.get("/profiles", params={"name": "李四"}, headers=HTML).text)
    portal.cookies.clear()
    anonymous = portal.get(link, headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303
    login(portal, "consumer")
    refused = portal.get(link, headers=HTML)
    assert refused.status_code == 403
