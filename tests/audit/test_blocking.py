"""Behaviour rules evaluated before data is returned, and the auditor's review (X6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from govdata.actions import ActionRegistry, Context
from govdata.aggregation.models import Run
from govdata.audit import guard
from govdata.audit.history import (
    DATA_READ,
    events_since,
    learned_daily_limit,
    past_events,
    read_history,
)
from govdata.audit.models import AuditAlert
from govdata.audit.rules import AuditRules, RulesFileInvalid, load_rules
from govdata.db import utcnow
from govdata.errors import Forbidden, OperationBlocked
from govdata.events import EventRecord
from tests.aggregation.conftest import CLEAN_ROWS
from tests.audit.conftest import As


def add_history(ctx: Context, days: int, rows: Callable[[int], int]) -> None:
    """Synthetic reads of the account on ``days`` past days, at 10:00 Beijing."""
    today = utcnow().replace(hour=2, minute=0, second=0, microsecond=0)
    for day in range(1, days + 1):
        ctx.session.add(
            EventRecord(
                name=DATA_READ,
                subject_id="history",
                actor_kind=ctx.actor.kind,
                actor_id=ctx.actor.id,
                actor_name=ctx.actor.name,
                data={"rows": rows(day), "where": {}, "mode": "physical"},
                occurred_at=today - timedelta(days=day),
            )
        )
    ctx.session.flush()


def alerts_of(ctx: Context, rule: str) -> list[AuditAlert]:
    return list(
        ctx.session.scalars(
            select(AuditAlert).where(AuditAlert.rule == rule, AuditAlert.actor_id == ctx.actor.id)
        )
    )


def reads_today(ctx: Context) -> list[EventRecord]:
    since = utcnow() - timedelta(hours=1)
    return list(
        ctx.session.scalars(
            select(EventRecord).where(
                EventRecord.name == DATA_READ,
                EventRecord.actor_id == ctx.actor.id,
                EventRecord.occurred_at >= since,
            )
        )
    )


def with_rules(ctx: Context, tmp_path: Path, rules: dict[str, Any]) -> Context:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules), encoding="utf-8")
    return replace(ctx, settings=ctx.settings.model_copy(update={"audit_rules_file": path}))


def test_a_bulk_read_far_above_the_learned_baseline_is_blocked_until_an_auditor_releases_it(
    registry: ActionRegistry, source_id: str, as_user: As
) -> None:
    provider, auditor = as_user("provider"), as_user("auditor")
    add_history(provider, 10, lambda day: 40 if day % 2 else 60)
    bulk = {"source_id": source_id, "limit": 1000}

    with pytest.raises(OperationBlocked) as caught:
        registry.run("data_read", provider, bulk)

    assert caught.value.http_status == 403
    assert caught.value.error_code == "operation_blocked"
    number = caught.value.fields["alert"]
    assert number in caught.value.message
    assert reads_today(provider) == []  # nothing was returned, nothing recorded as read
    (alert,) = alerts_of(provider, "bulk_volume")
    assert (alert.status, alert.blocked, alert.number) == ("open", True, number)
    assert alert.details["basis"] == "learned"
    assert alert.details["daily_limit"] == 500  # mean 50 + 3·sd 10 = 80, raised to the floor

    listed = registry.run("audit_alert_list", auditor, {"status": "open"})
    assert number in [item.number for item in listed]
    reviewed = registry.run(
        "audit_alert_review",
        auditor,
        {"id": alert.id, "decision": "release", "note": "年度统计需要，已电话核实"},
    )
    assert reviewed.status == "released"
    assert reviewed.release_until is not None

    page = registry.run("data_read", provider, bulk)
    assert page.total == len(CLEAN_ROWS)
    (read,) = reads_today(provider)
    assert read.data["audit_release"] == number
    with pytest.raises(OperationBlocked):  # another operation is not released
        registry.run("data_read", provider, {**bulk, "limit": 999})


def test_without_enough_history_the_default_daily_volume_applies(
    registry: ActionRegistry, source_id: str, as_user: As
) -> None:
    provider = as_user("provider")
    add_history(provider, 3, lambda _day: 10)
    registry.run("data_read", provider, {"source_id": source_id, "limit": 1000})
    assert alerts_of(provider, "bulk_volume") == []


def test_the_learned_daily_limit_is_mean_plus_k_standard_deviations(as_user: As) -> None:
    provider = as_user("provider")
    add_history(provider, 8, lambda day: 1000 * day)  # 1000..8000 rows a day
    history = read_history(provider.session, provider.actor, utcnow(), 30)
    assert history.active_days == 8
    # mean 4500, population sd √5.25·1000 ≈ 2291.3 → 4500 + 2·2291.3
    assert learned_daily_limit(history, 2.0, 500) == 9083
    assert learned_daily_limit(history, 0.0, 10_000) == 10_000


def test_a_read_at_night_raises_an_alert_without_blocking(
    registry: ActionRegistry, source_id: str, as_user: As, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = as_user("provider")
    night = datetime.now(UTC).replace(hour=15, minute=30)  # 23:30 Beijing
    monkeypatch.setattr(guard, "utcnow", lambda: night)
    page = registry.run("data_read", provider, {"source_id": source_id})
    assert page.rows
    (alert,) = alerts_of(provider, "off_hours")
    assert (alert.blocked, alert.status, alert.details["hour"]) == (False, "open", 23)
    registry.run("data_read", provider, {"source_id": source_id})
    assert len(alerts_of(provider, "off_hours")) == 1  # one alert per account and day


def test_many_distinct_id_lookups_in_a_short_window_are_blocked(
    registry: ActionRegistry, source_id: str, as_user: As, tmp_path: Path
) -> None:
    provider = with_rules(as_user("provider"), tmp_path, {"distinct_lookups": {"max_distinct": 3}})
    for n in range(3):
        registry.run("data_read", provider, {"source_id": source_id, "where": {"name": f"人{n}"}})
    with pytest.raises(OperationBlocked):
        registry.run("data_read", provider, {"source_id": source_id, "where": {"name": "人9"}})
    (alert,) = alerts_of(provider, "distinct_lookups")
    assert alert.details["distinct_values"] == 4


def test_repeated_denials_are_recorded_and_raise_an_alert(
    registry: ActionRegistry, source_id: str, as_user: As
) -> None:
    consumer = as_user("consumer")
    for _ in range(5):
        with pytest.raises(Forbidden):
            registry.run("data_read", consumer, {"source_id": source_id})
    refusals = consumer.session.scalars(
        select(EventRecord).where(
            EventRecord.name == "audit:request:refused", EventRecord.actor_id == consumer.actor.id
        )
    ).all()
    assert len(refusals) == 5
    assert refusals[0].data["targets"] == {"source_id": source_id}
    (alert,) = alerts_of(consumer, "repeated_denials")
    assert (alert.blocked, alert.details["denials"]) == (False, 5)


def test_a_rules_file_that_does_not_validate_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad-rules.json"
    path.write_text(json.dumps({"bulk_volume": {"sd_factor": -1}}), encoding="utf-8")
    with pytest.raises(RulesFileInvalid, match=r"bulk_volume\.sd_factor"):
        load_rules(path)
    assert load_rules(None) == AuditRules()


def test_a_bulk_read_of_quarantined_rows_is_blocked_like_any_data_read(
    registry: ActionRegistry, source_id: str, as_user: As
) -> None:
    provider = as_user("provider")
    add_history(provider, 10, lambda day: 40 if day % 2 else 60)
    run_id = provider.session.scalars(select(Run.id).where(Run.source_id == source_id)).one()

    with pytest.raises(OperationBlocked):
        registry.run("quarantine_page", provider, {"run_id": run_id, "limit": 1000})

    (alert,) = alerts_of(provider, "bulk_volume")
    assert alert.details["daily_limit"] == 500
    assert registry.run("quarantine_page", provider, {"run_id": run_id, "limit": 20}).total == 0


def test_the_guard_reads_an_accounts_history_as_the_event_records_hold_it(as_user: As) -> None:
    provider = as_user("provider")
    add_history(provider, 4, lambda day: 100 * day)
    since = utcnow() - timedelta(days=30)

    past = past_events(provider.session, provider.actor, [DATA_READ], since)
    records = events_since(provider.session, provider.actor, [DATA_READ], since)

    assert sorted((p.name, p.occurred_at, p.data["rows"]) for p in past) == sorted(
        (r.name, r.occurred_at, r.data["rows"]) for r in records
    )
    assert len(past) == 4
    by_name = replace(provider.actor, id=None)  # id-less (system) actors: found by name
    assert len(past_events(provider.session, by_name, [DATA_READ], since)) == len(
        events_since(provider.session, by_name, [DATA_READ], since)
    )
    assert past_events(provider.session, provider.actor, ["other:event"], since) == []
