"""Drafting, pre-check, review, publication and versions of catalog entries (C1, C2, C4, C5)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.actions import ActionRegistry, Context
from govdata.errors import Conflict, Forbidden, InvalidInput, NotFound
from govdata.events import EventRecord
from govdata.orgs.models import Organisation
from tests.catalog.conftest import Run, entry_data, region_department
from tests.factories import anonymous


def test_a_draft_is_version_one_with_the_grade_of_its_highest_item(
    as_provider: Run, market: Organisation, system_id: str
) -> None:
    out = as_provider("entry_create", entry_data(market.id, system_id))
    assert out.working.number == 1
    assert out.working.status == "draft"
    assert out.working.grade == "general_3"
    assert out.working.provider_code == market.credit_code
    assert out.published is None


def test_the_resource_code_must_carry_the_classification_code(
    as_provider: Run, market: Organisation, system_id: str
) -> None:
    data = entry_data(market.id, system_id, classification_code="101001")
    with pytest.raises(InvalidInput) as caught:
        as_provider("entry_create", data)
    assert "不一致" in str(caught.value.fields)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("resource_code", "102001-000001", "资源代码应为"),
        ("classification_code", "902", "分类代码应为"),
        ("share_type", "sometimes", "不是允许的取值"),
        ("update_cycle", "hourly", "不是允许的取值"),
    ],
)
def test_malformed_codes_and_unknown_values_are_refused_per_field(
    as_provider: Run, market: Organisation, field: str, value: str, expected: str
) -> None:
    data = entry_data(market.id, None)
    data[field] = value
    with pytest.raises(InvalidInput) as caught:
        as_provider("entry_create", data)
    assert expected in caught.value.fields[field]


def test_an_unknown_item_data_type_names_the_item(as_provider: Run, market: Organisation) -> None:
    data = entry_data(market.id, None)
    data["items"][1]["data_type"] = "X"
    with pytest.raises(InvalidInput) as caught:
        as_provider("entry_create", data)
    assert "items.1.data_type" in caught.value.fields


def test_a_resource_code_is_registered_once(
    as_provider: Run, market: Organisation, draft: str
) -> None:
    with pytest.raises(Conflict) as caught:
        as_provider("entry_create", entry_data(market.id, None, name="另一目录"))
    assert caught.value.error_code == "resource_code_taken"


def test_only_a_department_can_provide_an_entry(
    operator_ctx: Context, registry: ActionRegistry, session: Session
) -> None:
    region = session.scalar(select(Organisation).where(Organisation.region_code == "150000"))
    assert region is not None
    with pytest.raises(InvalidInput):
        registry.run("entry_create", operator_ctx, entry_data(region.id, None))


def test_a_provider_cannot_draft_for_another_department(as_provider: Run, session: Session) -> None:
    police = region_department(session, "公安厅")
    with pytest.raises(Forbidden):
        as_provider("entry_create", entry_data(police.id, None))


def test_the_precheck_lists_what_blocks_submission(as_provider: Run, market: Organisation) -> None:
    data = entry_data(
        market.id,
        None,
        abstract="短",
        share_conditions="",
        share_methods=[],
        items=[{"name": "企业名称", "data_type": "C"}],
        resources=[{"name": "营业执照信息表", "kind": "table"}],
    )
    created = as_provider("entry_create", data)
    problems = {p.field for p in as_provider("entry_precheck", {"id": created.id})}
    assert problems == {
        "abstract",
        "items.0.length",
        "share_conditions",
        "share_methods",
        "resources.0.system_id",
    }
    with pytest.raises(InvalidInput) as caught:
        as_provider("entry_submit", {"id": created.id})
    assert caught.value.error_code == "precheck_failed"
    assert set(caught.value.fields) == problems


def test_a_system_of_another_department_cannot_be_linked(
    as_provider: Run,
    registry: ActionRegistry,
    operator_ctx: Context,
    market: Organisation,
    session: Session,
) -> None:
    police = region_department(session, "公安厅")
    other = registry.run(
        "system_register", operator_ctx, {"organisation_id": police.id, "name": "人口信息系统"}
    )
    with pytest.raises(InvalidInput) as caught:
        as_provider("entry_create", entry_data(market.id, other.id))
    assert caught.value.fields == {"resources.0.system_id": "信息系统不属于提供部门"}


def test_draft_submit_return_fix_publish(as_provider: Run, as_reviewer: Run, draft: str) -> None:
    submitted = as_provider("entry_submit", {"id": draft})
    assert submitted.working.status == "submitted"
    queue = as_reviewer("review_queue", {})
    assert [e.id for e in queue.entries] == [draft]

    returned = as_reviewer(
        "entry_review", {"id": draft, "decision": "return", "reasons": ["摘要未说明数据范围"]}
    )
    assert returned.working.status == "returned"
    assert returned.working.review_reasons == ["摘要未说明数据范围"]
    assert as_reviewer("review_queue", {}).total == 0

    fixed = entry_data(
        returned.provider.id,
        returned.working.resources[0].system_id,
        abstract="全区市场主体的营业执照登记信息，含企业名称、统一社会信用代码等。",
    )
    del fixed["organisation_id"]
    as_provider("entry_update", {"id": draft, **fixed})
    as_provider("entry_submit", {"id": draft})
    published = as_reviewer("entry_review", {"id": draft, "decision": "publish"})
    assert published.published.status == "published"
    assert published.published.publish_date is not None
    assert published.working is None
    assert [v.number for v in published.versions] == [1]


def test_returning_needs_reasons(as_provider: Run, as_reviewer: Run, draft: str) -> None:
    as_provider("entry_submit", {"id": draft})
    with pytest.raises(InvalidInput):
        as_reviewer("entry_review", {"id": draft, "decision": "return"})


def test_a_provider_cannot_review(as_provider: Run, draft: str) -> None:
    as_provider("entry_submit", {"id": draft})
    with pytest.raises(Forbidden):
        as_provider("entry_review", {"id": draft, "decision": "publish"})


def test_a_submitted_version_cannot_be_edited(
    as_provider: Run, draft: str, market: Organisation
) -> None:
    as_provider("entry_submit", {"id": draft})
    data = entry_data(market.id, None)
    del data["organisation_id"]
    with pytest.raises(Conflict) as caught:
        as_provider("entry_update", {"id": draft, **data})
    assert caught.value.error_code == "entry_not_editable"


def test_a_published_entry_changes_only_through_a_new_reviewed_version(
    as_provider: Run, as_reviewer: Run, published: str, market: Organisation
) -> None:
    data = entry_data(market.id, None)
    del data["organisation_id"]
    with pytest.raises(Conflict):
        as_provider("entry_update", {"id": published, **data})

    revision = as_provider("entry_revise", {"id": published})
    assert revision.working.number == 2
    assert revision.published.number == 1
    changed = revision.working.model_dump(mode="json")
    changed["items"].append({"name": "经营范围", "data_type": "M", "grade": "general_1"})
    changed["items"] = [
        {
            k: v
            for k, v in item.items()
            if k in {"name", "data_type", "length", "grade", "sensitive"}
        }
        for item in changed["items"]
        if item["name"] != "成立日期"
    ]
    changed["resources"] = [
        {
            "name": r["name"],
            "kind": r["kind"],
            "location": r["location"],
            "system_id": r["system_id"],
        }
        for r in changed["resources"]
    ]
    changed["name"] = "企业营业执照登记信息（含经营范围）"
    payload: dict[str, Any] = {
        k: changed[k]
        for k in [
            "name",
            "classification_code",
            "resource_code",
            "abstract",
            "format_category",
            "format_detail",
            "items",
            "share_type",
            "share_conditions",
            "share_methods",
            "open_type",
            "open_conditions",
            "update_cycle",
            "related_codes",
            "resources",
        ]
    }
    as_provider("entry_update", {"id": published, **payload})
    # While the revision is under way, readers still see version 1.
    assert as_reviewer("entry_show", {"id": published}).published.number == 1
    as_provider("entry_submit", {"id": published})
    out = as_reviewer("entry_review", {"id": published, "decision": "publish"})
    assert out.published.number == 2
    assert [(v.number, v.status) for v in out.versions] == [(2, "published"), (1, "superseded")]

    diff = as_reviewer("entry_compare", {"id": published, "number": 2})
    assert {c.field for c in diff.fields} == {"name"}
    assert {(c.name, c.change) for c in diff.items} == {
        ("经营范围", "added"),
        ("成立日期", "removed"),
    }
    first = as_reviewer("entry_version_show", {"id": published, "number": 1})
    assert first.name == "企业营业执照登记信息"


def test_a_second_revision_waits_for_the_first(as_provider: Run, published: str) -> None:
    as_provider("entry_revise", {"id": published})
    with pytest.raises(Conflict) as caught:
        as_provider("entry_revise", {"id": published})
    assert caught.value.error_code == "revision_in_progress"


def test_outsiders_see_published_open_entries_but_never_drafts(
    registry: ActionRegistry, operator_ctx: Context, draft: str, as_provider: Run, as_reviewer: Run
) -> None:
    public = anonymous(operator_ctx)
    with pytest.raises(NotFound):
        registry.run("entry_show", public, {"id": draft})
    as_provider("entry_submit", {"id": draft})
    as_reviewer("entry_review", {"id": draft, "decision": "publish"})
    as_provider("entry_revise", {"id": draft})
    seen = registry.run("entry_show", public, {"id": draft})
    assert seen.published is not None
    assert seen.working is None
    assert [v.number for v in seen.versions] == [1]
    with pytest.raises(NotFound):
        registry.run("entry_version_show", public, {"id": draft, "number": 2})


def test_publication_is_recorded_as_events(session: Session, published: str) -> None:
    names = session.scalars(
        select(EventRecord.name)
        .where(EventRecord.subject_id == published)
        .order_by(EventRecord.occurred_at)
    ).all()
    assert names == ["catalog:entry:drafted", "catalog:entry:submitted", "catalog:entry:published"]


def test_the_ledger_counts_published_entries_items_and_resources(
    as_reviewer: Run, published: str, market: Organisation
) -> None:
    ledger = as_reviewer("catalog_ledger", {})
    assert (ledger.entries, ledger.items, ledger.resources) == (1, 4, 1)
    assert [(r.label, r.entries) for r in ledger.by_department] == [(market.name, 1)]
    # A department of the region itself counts under the region's own code.
    assert [(r.key, r.label, r.entries) for r in ledger.by_region] == [
        ("150000", "内蒙古自治区", 1)
    ]
