"""The sharing forms a new user fills in the portal: applying names the department's
registered applications by choice (not by id) and a period; the service test console
lets the caller choose among an entry's several sources; data return picks the entry
from the holder's published ones; a running bulk delivery's page refreshes itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from govdata.actions import ActionRegistry, Context
from govdata.app import create_app
from govdata.db import Database
from govdata.services import Services
from govdata.settings import Settings
from govdata.sharing.bulk import run_delivery
from govdata.sharing.terms import today
from tests.aggregation.conftest import (
    CLEAN_ROWS,
    POPULATION_HEADER,
    Run,
    population_columns,
    write_csv,
)
from tests.factories import login
from tests.sharing.delivery_fixtures import approve
from tests.sharing.test_services import register_application
from tests.sharing.test_sharing import ID_LI

HTML = {"accept": "text/html"}


@pytest.fixture
def app_id(registry: ActionRegistry, agg_operator: Context, consumer: Context) -> str:
    registered, _key, _secret = register_application(
        registry, agg_operator, consumer, "社保待遇认证系统"
    )
    return registered


def portal_for(
    settings: Settings, db: Database, services: Services, consumer: Context
) -> TestClient:
    consumer.session.commit()
    return TestClient(create_app(settings, db, services), base_url="http://testserver")


def test_the_apply_form_offers_the_department_s_applications_and_a_period(
    agg_settings: Settings,
    db: Database,
    agg_services: Services,
    consumer: Context,
    as_consumer: Run,
    source: Any,
    conditional_entry: str,
    app_id: str,
) -> None:
    portal = portal_for(agg_settings, db, agg_services, consumer)
    csrf = login(portal, "consumer")
    form = portal.get("/sharing/apply", params={"entry_id": conditional_entry}, headers=HTML)
    assert form.status_code == 200
    assert f'name="app-{app_id}"' in form.text and "社保待遇认证系统" in form.text
    assert 'name="starts_on"' in form.text

    starts_on = today() + timedelta(days=1)
    filed = portal.post(
        "/sharing/apply",
        data={
            "csrf_token": csrf,
            "entry_id": conditional_entry,
            "purpose": "办理社会保险待遇资格认证",
            "legal_basis": "《中华人民共和国社会保险法》",
            "field-公民身份号码": "on",
            "field-姓名": "on",
            "method-query": "on",
            "method-verify": "on",
            "starts_on": str(starts_on),
            "ends_on": str(today() + timedelta(days=90)),
            f"app-{app_id}": "on",
        },
        headers=HTML,
        follow_redirects=False,
    )

    assert filed.status_code == 303, filed.text
    (applied,) = as_consumer("share_application_list", {"role": "consumer"}).applications
    assert applied.application_ids == [app_id]
    assert applied.starts_on == starts_on
    assert applied.methods == ["query", "verify"]


@pytest.fixture
def second_source(
    as_provider: Run, conditional_entry: str, inbox: Path, run_now: Callable[..., Any]
) -> Any:
    """A second loaded source of the same entry (no key column)."""
    location = write_csv(inbox, "people-reported.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    registered = as_provider(
        "source_register",
        {
            "entry_id": conditional_entry,
            "name": "户籍人口（派出所上报）",
            "kind": "csv",
            "location": location,
            "columns": population_columns(),
        },
    )
    assert run_now(registered.id).status == "succeeded"
    return registered


def test_the_console_lets_the_caller_choose_among_an_entry_s_sources(
    agg_settings: Settings,
    db: Database,
    agg_services: Services,
    consumer: Context,
    as_consumer: Run,
    as_provider: Run,
    source: Any,
    second_source: Any,
    conditional_entry: str,
    app_id: str,
) -> None:
    grant_id = approve(
        as_consumer, as_provider, conditional_entry, ["query"], application_ids=[app_id]
    )
    portal = portal_for(agg_settings, db, agg_services, consumer)
    csrf = login(portal, "consumer")
    page = portal.get("/sharing/console", headers=HTML).text
    assert 'name="source_id"' in page
    assert f'value="{source.id}"' in page and "（主键 id_number）" in page
    assert f'value="{second_source.id}"' in page and "（无主键）" in page
    call = {
        "csrf_token": csrf,
        "grant_id": grant_id,
        "application_id": app_id,
        "method": "query",
        "key": ID_LI,
    }

    unnamed = portal.post("/sharing/console", data=call, headers=HTML).text
    named = portal.post("/sharing/console", data=call | {"source_id": source.id}, headers=HTML)

    assert "service_source_ambiguous" in unnamed
    assert 'id="console-result"' in named.text and "共 1 行" in named.text


def test_data_return_picks_the_entry_from_the_holder_s_published_ones(
    agg_settings: Settings,
    db: Database,
    agg_services: Services,
    consumer: Context,
    conditional_entry: str,
) -> None:
    portal = portal_for(agg_settings, db, agg_services, consumer)
    login(portal, "provider")

    page = portal.get("/sharing/return", params={"entry_id": conditional_entry}, headers=HTML)

    assert page.status_code == 200
    assert f'<option value="{conditional_entry}" selected>户籍人口信息' in page.text


def test_a_delivery_s_page_refreshes_itself_until_it_is_done(
    agg_settings: Settings,
    db: Database,
    agg_services: Services,
    consumer: Context,
    as_consumer: Run,
    as_provider: Run,
    source: Any,
    conditional_entry: str,
) -> None:
    grant_id = approve(as_consumer, as_provider, conditional_entry, ["bulk"])
    started = as_consumer("delivery_start", {"grant_id": grant_id})
    portal = portal_for(agg_settings, db, agg_services, consumer)
    login(portal, "consumer")

    queued = portal.get(f"/sharing/deliveries/{started.id}", headers=HTML).text
    assert run_delivery(db, agg_settings, agg_services, started.id) == "succeeded"
    done = portal.get(f"/sharing/deliveries/{started.id}", headers=HTML).text

    assert '<meta http-equiv="refresh" content="2">' in queued and "自动刷新" in queued
    assert 'http-equiv="refresh"' not in done
