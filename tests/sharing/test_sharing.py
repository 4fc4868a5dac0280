"""Sharing (S1): apply, review within the deadline, refuse only on a listed legal
ground, escalate overdue reviews; grants that the grade decision takes from the
database, and their suspension, renewal and revocation; every change ledgered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from govdata.actions import ActionRegistry, Context
from govdata.errors import Conflict, Forbidden, InvalidInput
from govdata.ledger import decode_entry, entries_about, get_leaf
from govdata.ledger.entries import EntryKind
from govdata.sharing.grant_source import DatabaseGrants
from govdata.sharing.models import Grant, ShareApplication
from govdata.sharing.terms import today
from tests.aggregation.conftest import Run
from tests.catalog.conftest import region_department

ID_ZHANG = "11010519491231002X"
ID_LI = "150102199003071237"


def application(entry_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "entry_id": entry_id,
        "purpose": "办理社会保险待遇资格认证",
        "legal_basis": "《中华人民共和国社会保险法》",
        "fields": ["公民身份号码", "姓名", "性别", "户籍地行政区划代码", "住址"],
        "ends_on": str(today() + timedelta(days=365)),
        "methods": ["query"],
    } | extra


def ledger_kinds(ctx: Context, subject_id: str) -> list[str]:
    ctx.session.commit()
    return [
        decode_entry(get_leaf(ctx.session, i).entry).kind
        for i in entries_about(ctx.session, subject_id)
    ]


def read_people(registry: ActionRegistry, ctx: Context, source: Any, **extra: Any) -> Any:
    return registry.run("data_read", ctx, {"source_id": source.id} | extra)


@pytest.fixture
def approved(as_consumer: Run, as_provider: Run, source: Any, conditional_entry: str) -> Any:
    """An application approved with two fields masked; returns the application."""
    applied = as_consumer("share_apply", application(conditional_entry))
    return as_provider(
        "share_review",
        {
            "id": applied.id,
            "decision": "approve",
            "fields": [
                {"name": "公民身份号码", "strategy": "hash"},
                {"name": "姓名", "strategy": "partial"},
                {"name": "户籍地行政区划代码"},
            ],
            "quotas": {"calls_per_day": 500, "rows_per_call": 50, "rows_per_day": 5000},
        },
    )


# --- applying ---------------------------------------------------------------------------


def test_an_unconditionally_shared_entry_is_granted_at_once_on_the_terms_applied_for(
    as_consumer: Run, publish_entry: Callable[..., str]
) -> None:
    entry_id = publish_entry("unconditional")

    applied = as_consumer("share_apply", application(entry_id))

    assert (applied.status, applied.decided_as, applied.due_on) == ("approved", "policy", None)
    grant = as_consumer("grant_get", {"id": applied.grant_id})
    assert grant.live and grant.origin == "application"
    assert {f.name: f.strategy for f in grant.fields} == {
        "公民身份号码": "partial",
        "姓名": "partial",
        "性别": "clear",
        "户籍地行政区划代码": "clear",
        "住址": "partial",
    }


def test_a_conditionally_shared_entry_waits_for_review_due_in_ten_working_days(
    as_consumer: Run, consumer: Context, conditional_entry: str
) -> None:
    applied = as_consumer("share_apply", application(conditional_entry))

    assert (applied.status, applied.grant_id) == ("pending", None)
    assert applied.due_on == consumer.services.calendar.add_working_days(today(), 10)
    assert applied.number.startswith("GX")


def test_an_entry_that_is_not_shared_cannot_be_applied_for(
    as_consumer: Run, publish_entry: Callable[..., str]
) -> None:
    entry_id = publish_entry("none", share_conditions="涉及国家秘密")

    with pytest.raises(Conflict) as caught:
        as_consumer("share_apply", application(entry_id))

    assert caught.value.error_code == "share_not_shareable"


def test_fields_outside_the_catalog_entry_are_refused(
    as_consumer: Run, conditional_entry: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        as_consumer("share_apply", application(conditional_entry, fields=["姓名", "银行账号"]))

    assert caught.value.error_code == "share_field_unknown"
    assert caught.value.fields == {"fields": "银行账号"}


def test_only_registered_applications_of_the_consumer_department_may_be_named(
    as_consumer: Run, conditional_entry: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        as_consumer("share_apply", application(conditional_entry, application_ids=["no-such-app"]))

    assert caught.value.error_code == "share_application_invalid"


def test_a_provider_officer_cannot_apply(as_provider: Run, conditional_entry: str) -> None:
    with pytest.raises(Forbidden):
        as_provider("share_apply", application(conditional_entry))


# --- review -----------------------------------------------------------------------------


def test_before_approval_the_consumer_cannot_read_the_data(
    registry: ActionRegistry,
    as_consumer: Run,
    consumer: Context,
    source: Any,
    conditional_entry: str,
) -> None:
    as_consumer("share_apply", application(conditional_entry))

    with pytest.raises(Forbidden):
        read_people(registry, consumer, source)


def test_an_approval_yields_a_grant_with_the_fields_masking_and_quotas_chosen(
    approved: Any, as_consumer: Run
) -> None:
    grant = as_consumer("grant_get", {"id": approved.grant_id})

    assert approved.status == "approved" and approved.decided_as == "provider"
    assert [(f.name, f.strategy) for f in grant.fields] == [
        ("公民身份号码", "hash"),
        ("姓名", "partial"),
        ("户籍地行政区划代码", "clear"),
    ]
    assert (grant.calls_per_day, grant.rows_per_call, grant.rows_per_day) == (500, 50, 5000)
    assert grant.methods == ["query"] and grant.ceiling == "general_3"


def test_the_consumer_reads_only_the_granted_fields_masked_as_granted(
    registry: ActionRegistry, approved: Any, consumer: Context, source: Any
) -> None:
    page = read_people(registry, consumer, source)

    assert page.columns == ["id_number", "name", "division_code"]
    assert page.masked == {"id_number": "hash", "name": "partial"}
    li = next(row for row in page.rows if row["division_code"] == "150102")
    assert li["id_number"] != ID_LI and len(li["id_number"]) >= 32
    assert li["name"] != "李四" and li["name"].startswith("李")
    decision = consumer.decisions[-1]
    assert (decision.relation, decision.grant_id) == ("granted", approved.grant_id)


def test_a_grant_limited_to_divisions_serves_only_their_rows(
    registry: ActionRegistry,
    as_consumer: Run,
    as_provider: Run,
    consumer: Context,
    source: Any,
    conditional_entry: str,
) -> None:
    applied = as_consumer(
        "share_apply",
        application(conditional_entry, division_column="division_code", division_codes=["150100"]),
    )
    as_provider("share_review", {"id": applied.id, "decision": "approve"})

    page = read_people(registry, consumer, source)

    assert {row["division_code"] for row in page.rows} == {"150102", "150104"}


def test_querying_by_a_field_that_was_not_granted_is_refused(
    registry: ActionRegistry, approved: Any, consumer: Context, source: Any
) -> None:
    with pytest.raises(Forbidden) as caught:
        read_people(registry, consumer, source, where={"phone": "13912345678"})

    assert caught.value.error_code == "grant_field_not_granted"


def test_an_approval_cannot_grant_fields_that_were_not_applied_for(
    as_consumer: Run, as_provider: Run, conditional_entry: str
) -> None:
    applied = as_consumer("share_apply", application(conditional_entry))

    with pytest.raises(InvalidInput) as caught:
        as_provider(
            "share_review",
            {"id": applied.id, "decision": "approve", "fields": [{"name": "联系电话"}]},
        )

    assert caught.value.error_code == "share_field_not_applied"


def test_a_refusal_without_a_listed_legal_ground_is_refused(
    as_consumer: Run, as_provider: Run, conditional_entry: str
) -> None:
    applied = as_consumer("share_apply", application(conditional_entry))

    with pytest.raises(InvalidInput) as missing:
        as_provider("share_review", {"id": applied.id, "decision": "refuse", "note": "不给"})
    with pytest.raises(InvalidInput) as unlisted:
        as_provider("share_review", {"id": applied.id, "decision": "refuse", "ground": "too_busy"})

    assert (missing.value.error_code, unlisted.value.error_code) == (
        "share_ground_required",
        "share_ground_unknown",
    )


def test_a_refusal_citing_a_listed_ground_is_recorded_and_ledgered(
    as_consumer: Run, as_provider: Run, provider: Context, conditional_entry: str
) -> None:
    applied = as_consumer("share_apply", application(conditional_entry))

    refused = as_provider(
        "share_review",
        {"id": applied.id, "decision": "refuse", "ground": "purpose_unrelated", "note": "用途不符"},
    )

    assert (refused.status, refused.refusal_label) == ("refused", "申请用途与履职无关")
    assert ledger_kinds(provider, applied.id) == [
        "sharing:application:submitted",
        EntryKind.APPROVAL_DECIDED,
    ]


def test_the_consumer_cannot_review_its_own_application(
    as_consumer: Run, conditional_entry: str
) -> None:
    applied = as_consumer("share_apply", application(conditional_entry))

    with pytest.raises(Forbidden):
        as_consumer("share_review", {"id": applied.id, "decision": "approve"})


def test_the_authority_maintains_the_grounds_and_a_retired_ground_cannot_be_cited(
    as_reviewer: Run, as_provider: Run, as_consumer: Run, conditional_entry: str
) -> None:
    shipped = as_consumer("share_grounds_list", {})
    assert [g.label for g in shipped][:2] == ["涉及国家秘密", "涉及商业秘密或个人隐私且无法脱敏"]
    with pytest.raises(Forbidden):
        as_provider("share_grounds_set", {"grounds": [{"code": "x_y", "label": "随意"}]})

    kept = as_reviewer(
        "share_grounds_set",
        {"grounds": [{"code": "state_secret", "label": "涉及国家秘密", "basis": "保密法"}]},
    )
    applied = as_consumer("share_apply", application(conditional_entry))

    assert [g.code for g in kept] == ["state_secret"]
    with pytest.raises(InvalidInput):
        as_provider(
            "share_review",
            {"id": applied.id, "decision": "refuse", "ground": "purpose_unrelated"},
        )


# --- deadlines and escalation -------------------------------------------------------------


def test_an_overdue_review_is_listed_escalated_and_decided_by_the_authority(
    as_consumer: Run,
    as_provider: Run,
    as_reviewer: Run,
    reviewer: Context,
    conditional_entry: str,
) -> None:
    applied = as_consumer("share_apply", application(conditional_entry))
    with pytest.raises(Conflict) as early:
        as_reviewer("share_escalate", {"id": applied.id})
    stored = reviewer.session.get(ShareApplication, applied.id)
    assert stored is not None
    stored.due_on = today() - timedelta(days=1)

    overdue = as_reviewer("share_application_list", {"overdue": True})
    escalated = as_reviewer("share_escalate", {"id": applied.id, "note": "逾期未审核"})
    with pytest.raises(Conflict):
        as_provider("share_review", {"id": applied.id, "decision": "approve"})
    decided = as_reviewer("share_decide", {"id": applied.id, "decision": "approve"})

    assert early.value.error_code == "share_not_overdue"
    assert [a.id for a in overdue.applications] == [applied.id] and overdue.applications[0].overdue
    assert escalated.status == "escalated"
    assert (decided.status, decided.decided_as) == ("approved", "authority")
    assert ledger_kinds(reviewer, applied.id) == [
        "sharing:application:submitted",
        "sharing:application:escalated",
        EntryKind.GRANT_ISSUED,
        EntryKind.APPROVAL_DECIDED,
    ]


# --- grants and the grade decision ---------------------------------------------------------


def test_no_stored_grants_means_no_grants(consumer: Context) -> None:
    org = region_department(consumer.session, "人力资源和社会保障厅")

    assert DatabaseGrants().grants_to(consumer.session, {org.id}) == ()


def test_a_suspended_grant_allows_nothing_until_resumed(
    registry: ActionRegistry, approved: Any, as_provider: Run, consumer: Context, source: Any
) -> None:
    as_provider("grant_suspend", {"id": approved.grant_id, "reason": "调用异常，暂停核查"})
    with pytest.raises(Forbidden):
        read_people(registry, consumer, source)

    as_provider("grant_resume", {"id": approved.grant_id})

    assert read_people(registry, consumer, source).rows


def test_an_expired_grant_is_refused_as_expired_and_renewal_restores_it(
    registry: ActionRegistry, approved: Any, as_provider: Run, consumer: Context, source: Any
) -> None:
    grant = consumer.session.get(Grant, approved.grant_id)
    assert grant is not None
    grant.starts_on = today() - timedelta(days=30)
    grant.ends_on = today() - timedelta(days=1)
    with pytest.raises(Forbidden) as expired:
        read_people(registry, consumer, source)

    renewed = as_provider(
        "grant_renew", {"id": approved.grant_id, "ends_on": str(today() + timedelta(days=90))}
    )

    assert expired.value.error_code == "grant_expired"
    assert renewed.live and read_people(registry, consumer, source).rows


def test_a_revoked_grant_no_longer_allows_the_read_and_cannot_be_resumed(
    registry: ActionRegistry, approved: Any, as_provider: Run, consumer: Context, source: Any
) -> None:
    assert read_people(registry, consumer, source).rows

    revoked = as_provider("grant_revoke", {"id": approved.grant_id, "reason": "超范围使用"})

    assert (revoked.status, revoked.live) == ("revoked", False)
    with pytest.raises(Forbidden):
        read_people(registry, consumer, source)
    with pytest.raises(Conflict):
        as_provider("grant_resume", {"id": approved.grant_id})


def test_the_consumer_cannot_change_its_grant(approved: Any, as_consumer: Run) -> None:
    with pytest.raises(Forbidden):
        as_consumer("grant_renew", {"id": approved.grant_id, "ends_on": "2099-12-31"})


def test_every_change_to_a_grant_is_ledgered(
    approved: Any, as_provider: Run, provider: Context
) -> None:
    grant_id = approved.grant_id
    as_provider("grant_suspend", {"id": grant_id, "reason": "核查"})
    as_provider("grant_resume", {"id": grant_id})
    as_provider("grant_renew", {"id": grant_id, "ends_on": str(today() + timedelta(days=700))})
    as_provider("grant_revoke", {"id": grant_id, "reason": "停止使用"})

    assert ledger_kinds(provider, grant_id) == [
        EntryKind.GRANT_ISSUED,
        EntryKind.APPROVAL_DECIDED,
        "sharing:grant:suspended",
        "sharing:grant:resumed",
        "sharing:grant:renewed",
        EntryKind.GRANT_REVOKED,
    ]


def test_grants_are_listed_to_the_grantee_and_the_holder_but_not_to_others(
    registry: ActionRegistry,
    approved: Any,
    as_consumer: Run,
    as_provider: Run,
    agg_operator: Context,
) -> None:
    assert [g.id for g in as_consumer("grant_list", {}).grants] == [approved.grant_id]
    assert [g.id for g in as_provider("grant_list", {}).grants] == [approved.grant_id]
    stored = agg_operator.session.scalars(select(Grant)).all()
    assert len(stored) == 1
