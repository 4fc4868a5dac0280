"""The portal pages of multi-source verification: runs, a run's conflicts, duplicate pairs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from govdata.actions import Context
from govdata.app import create_app
from govdata.db import Database
from govdata.services import Services
from govdata.settings import Settings
from tests.aggregation.conftest import Run
from tests.factories import login
from tests.verification.conftest import LI, Loader, person
from tests.verification.test_runs import POLICE_ADDRESS, SOCIAL_ADDRESS

HTML = {"Accept": "text/html"}


def test_an_authority_reviewer_opens_a_runs_conflicts_with_each_sources_value(
    loader: Loader,
    as_reviewer: Run,
    region_id: str,
    agg_operator: Context,
    agg_settings: Settings,
    agg_services: Services,
    db: Database,
) -> None:
    police = loader.source("公安厅", "户籍人口信息", [person(LI, "李四", POLICE_ADDRESS)])
    social = loader.source(
        "人力资源和社会保障厅", "社保参保人员信息", [person(LI, "李四", SOCIAL_ADDRESS)]
    )
    run = as_reviewer(
        "verification_run_start",
        {
            "organisation_id": region_id,
            "subject_kind": "person",
            "key": "id_number",
            "tables": [
                {"source_id": police.id, "fields": {"address": "address"}},
                {"source_id": social.id, "fields": {"address": "address"}},
            ],
        },
    )
    agg_operator.session.commit()
    client = TestClient(create_app(agg_settings, db, agg_services))
    login(client, "reviewer")

    index = client.get("/verification", headers=HTML)
    page = client.get(f"/verification/runs/{run.id}", params={"field": "address"}, headers=HTML)

    assert f'href="/verification/runs/{run.id}"' in index.text
    fields = page.text[page.text.index('id="fields-table"') :]
    assert "<code>address</code>" in fields and "查看冲突" in fields
    conflicts = page.text[page.text.index('id="conflicts-table"') :]
    assert "户籍人口信息：" + POLICE_ADDRESS in conflicts
    assert "社保参保人员信息：" + SOCIAL_ADDRESS in conflicts
    assert "未指定权威来源" in conflicts
