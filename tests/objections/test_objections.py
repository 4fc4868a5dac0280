"""Objections to data (G6): file, answer within the deadline, accept or dispute,
escalate and resolve; every step recorded in the ledger."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from govdata.access.grants import AccessGrant, StaticGrants
from govdata.actions import ActionRegistry, Context
from govdata.audit.history import beijing_day
from govdata.db import utcnow
from govdata.errors import Conflict, Forbidden, InvalidInput
from govdata.grades import Grade
from govdata.ledger import decode_entry, entries_about, get_leaf
from govdata.objections.models import Objection
from govdata.orgs.models import Organisation
from govdata.services import Services
from tests.aggregation.conftest import (
    CLEAN_ROWS,
    POPULATION_HEADER,
    Run,
    population_columns,
    write_csv,
)
from tests.catalog.conftest import region_department
from tests.factories import context_for, user_actor

ID_LI = "150102199003071237"
OLD_ADDRESS = "内蒙古自治区呼和浩特市新城区中山路8号"
NEW_ADDRESS = "内蒙古自治区呼和浩特市赛罕区大学西街1号"


@pytest.fixture
def source(as_provider: Run, entry_id: str, inbox: Path, run_now: Callable[..., Any]) -> Any:
    location = write_csv(inbox, "people.csv", [POPULATION_HEADER, *CLEAN_ROWS])
    registered = as_provider(
        "source_register",
        {
            "entry_id": entry_id,
            "name": "户籍人口",
            "kind": "csv",
            "location": location,
            "columns": population_columns(),
            "key_columns": ["id_number"],
        },
    )
    assert run_now(registered.id).status == "succeeded"
    return registered


@pytest.fixture
def consumer(
    agg_operator: Context, agg_services: Services, market: Organisation, entry_id: str
) -> Context:
    """The consumer officer of another department, granted this entry's data."""
    ctx = context_for(agg_operator, user_actor(agg_operator.session, "consumer"))
    grantee = region_department(ctx.session, "人力资源和社会保障厅")
    grant = AccessGrant(
        id="grant-objections",
        holder_id=market.id,
        grantee_id=grantee.id,
        resource_id=entry_id,
        ceiling=Grade.CORE,
        expires_at=utcnow() + timedelta(days=30),
    )
    return replace(ctx, services=replace(agg_services, grants=StaticGrants([grant])))


def file_about_li(registry: ActionRegistry, consumer: Context, source: Any, **extra: Any) -> Any:
    data = {
        "source_id": source.id,
        "record_key": {"id_number": ID_LI},
        "field": "address",
        "reason": "住址已变更，登记的仍是旧地址",
        "evidence": "2025年3月迁入证明（编号 QR-2025-0311）",
    }
    return registry.run("objection_file", consumer, data | extra)


def correct_li(inbox: Path, run_now: Callable[..., Any], source: Any) -> int:
    rows = [row.replace(OLD_ADDRESS, NEW_ADDRESS) for row in CLEAN_ROWS]
    write_csv(inbox, "people.csv", [POPULATION_HEADER, *rows])
    run = run_now(source.id)
    assert run.status == "succeeded"
    return int(run.version)


def ledger_kinds(ctx: Context, objection_id: str) -> list[str]:
    ctx.session.commit()
    return [
        decode_entry(get_leaf(ctx.session, i).entry).kind
        for i in entries_about(ctx.session, objection_id)
    ]


def test_a_consumer_files_the_holder_corrects_in_a_new_version_and_the_consumer_accepts(
    registry: ActionRegistry,
    consumer: Context,
    provider: Context,
    source: Any,
    inbox: Path,
    run_now: Callable[..., Any],
) -> None:
    filed = file_about_li(registry, consumer, source)

    assert (filed.status, filed.version, filed.record_key) == ("open", 1, {"id_number": ID_LI})
    today = beijing_day(utcnow())
    assert filed.due_on == consumer.services.calendar.add_working_days(today, 5)
    assert filed.number.startswith("YY") and not filed.overdue
    stored = provider.session.scalar(select(Objection).where(Objection.id == filed.id))
    assert stored is not None and ID_LI not in str(stored.record_key)  # kept encrypted
    fixed_version = correct_li(inbox, run_now, source)
    answered = registry.run(
        "objection_answer",
        provider,
        {
            "id": filed.id,
            "outcome": "corrected",
            "reply": "已按迁入证明更正住址",
            "fix_version": fixed_version,
        },
    )
    assert (answered.status, answered.answer_kind, answered.fix_version) == (
        "answered",
        "corrected",
        2,
    )
    accepted = registry.run("objection_accept", consumer, {"id": filed.number, "note": "已核实"})

    assert accepted.status == "accepted"
    assert [s.step for s in accepted.steps] == ["filed", "answered", "accepted"]
    assert ledger_kinds(consumer, filed.id) == [
        "objections:objection:filed",
        "objections:objection:answered",
        "objections:objection:accepted",
    ]


def test_a_correction_must_change_the_field_of_that_record_in_a_later_version(
    registry: ActionRegistry,
    consumer: Context,
    provider: Context,
    source: Any,
    run_now: Callable[..., Any],
) -> None:
    filed = file_about_li(registry, consumer, source)
    unchanged = run_now(source.id)  # the same file again: version 2, same address

    for fix_version, code in (
        (1, "objection_fix_not_later"),
        (unchanged.version, "objection_fix_unchanged"),
    ):
        with pytest.raises(InvalidInput) as caught:
            registry.run(
                "objection_answer",
                provider,
                {
                    "id": filed.id,
                    "outcome": "corrected",
                    "reply": "已更正",
                    "fix_version": fix_version,
                },
            )
        assert caught.value.error_code == code


def test_bad_objections_are_refused_with_the_reason(
    registry: ActionRegistry, consumer: Context, source: Any
) -> None:
    cases = [
        ({"record_key": {"id_number": "150102199003071231"}}, "objection_record_not_found"),
        ({"record_key": {"name": "李四"}}, "objection_key_columns"),
        ({"field": "shoe_size"}, "invalid_input"),
    ]
    for change, code in cases:
        with pytest.raises(InvalidInput) as caught:
            file_about_li(registry, consumer, source, **change)
        assert caught.value.error_code == code


def test_a_disputed_answer_is_escalated_and_resolved_by_the_authority_with_the_responsible_party(
    registry: ActionRegistry, consumer: Context, provider: Context, reviewer: Context, source: Any
) -> None:
    filed = file_about_li(registry, consumer, source)
    with pytest.raises(Conflict) as early:
        registry.run("objection_escalate", reviewer, {"id": filed.id, "note": "督办"})
    assert early.value.error_code == "objection_not_escalatable"
    registry.run(
        "objection_answer", provider, {"id": filed.id, "outcome": "rejected", "reply": "登记无误"}
    )
    registry.run("objection_dispute", consumer, {"id": filed.id, "note": "有迁入证明为据"})

    registry.run("objection_escalate", reviewer, {"id": filed.id, "note": "请双方提供材料"})
    resolved = registry.run(
        "objection_resolve",
        reviewer,
        {"id": filed.id, "responsible": "provider", "decision": "责成限期更正"},
    )

    assert (resolved.status, resolved.responsible) == ("resolved", "provider")
    assert ledger_kinds(reviewer, filed.id)[-2:] == [
        "objections:objection:escalated",
        "objections:objection:resolved",
    ]


def test_an_unanswered_objection_past_its_due_day_is_overdue_and_may_be_escalated(
    registry: ActionRegistry, consumer: Context, reviewer: Context, source: Any
) -> None:
    filed = file_about_li(registry, consumer, source)
    stored = reviewer.session.get(Objection, filed.id)
    assert stored is not None
    stored.due_on = beijing_day(utcnow()) - timedelta(days=1)
    reviewer.session.flush()

    late = registry.run("objection_list", reviewer, {"overdue": True})
    escalated = registry.run("objection_escalate", reviewer, {"id": filed.id, "note": "逾期未答复"})

    assert [o.id for o in late.objections] == [filed.id]
    assert late.objections[0].overdue
    assert escalated.status == "escalated"
    assert registry.run("objection_list", reviewer, {"overdue": True}).total == 0


def test_only_the_parties_see_an_objection_and_only_the_holder_answers_it(
    registry: ActionRegistry, consumer: Context, agg_operator: Context, source: Any
) -> None:
    filed = file_about_li(registry, consumer, source)
    with pytest.raises(Forbidden):
        registry.run(
            "objection_answer", consumer, {"id": filed.id, "outcome": "rejected", "reply": "无误"}
        )
    auditor = context_for(agg_operator, user_actor(agg_operator.session, "auditor"))
    assert registry.run("objection_get", auditor, {"id": filed.id}).id == filed.id


def test_a_consumer_without_a_grant_cannot_object_to_data_it_may_not_read(
    registry: ActionRegistry, agg_operator: Context, source: Any
) -> None:
    stranger = context_for(agg_operator, user_actor(agg_operator.session, "consumer"))
    with pytest.raises(Forbidden):
        file_about_li(registry, stranger, source)
