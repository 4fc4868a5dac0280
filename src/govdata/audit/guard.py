"""The guard every read of data passes before data is returned (X6: 事中).

Data reads (stored, logical, library, Spark manifest) describe the operation they
are about to complete as a :class:`ReadAttempt` and call :func:`guard_read`. The
behaviour rules (:mod:`govdata.audit.rules`) are evaluated against the account's
own history; a blocking rule's hit raises :class:`~govdata.errors.OperationBlocked`
and an alert, a lower-risk hit only an alert. Alerts are ``ctx.survivors``: they
are written in a transaction of their own, so they outlive the refused action.

An auditor's *release* of a blocked alert lets the same actor repeat the same
operation (same fingerprint) until the release expires.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, select

from govdata.actions import Context
from govdata.audit.history import (
    DATA_READ,
    PastEvent,
    Recorded,
    beijing_day,
    default_night,
    history_of,
    learned_daily_limit,
    past_events,
    rows_of,
    start_of_beijing_day,
    usual_hours,
)
from govdata.audit.models import AuditAlert
from govdata.audit.rules import AuditRules, RuleBase, load_rules
from govdata.authz import Actor
from govdata.db import new_id, utcnow
from govdata.errors import OperationBlocked
from govdata.orgs.services import BEIJING


@dataclass(frozen=True)
class ReadAttempt:
    """One read about to complete, as the rules see it."""

    action: str
    subject_id: str
    holder_id: str | None
    grade: str | None
    rows: int
    version: int | None = None
    where: dict[str, str] = field(default_factory=dict)
    offset: int = 0

    def fingerprint(self) -> str:
        described = json.dumps(
            {
                "action": self.action,
                "subject": self.subject_id,
                "version": self.version,
                "where": sorted(self.where.items()),
                "rows": self.rows,
                "offset": self.offset,
            },
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(described.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Hit:
    rule: str
    details: dict[str, Any]


def rules_of(ctx: Context) -> AuditRules:
    return load_rules(ctx.settings.audit_rules_file)


def alert_number(alert_id: str, now: datetime) -> str:
    return f"{beijing_day(now):%Y%m%d}-{alert_id[:8].upper()}"


def new_alert(
    ctx: Context,
    rules: AuditRules,
    hit: Hit,
    *,
    action: str,
    fingerprint: str,
    holder_id: str | None,
    now: datetime,
) -> AuditAlert:
    rule: RuleBase = getattr(rules, hit.rule)
    alert_id = new_id()
    return AuditAlert(
        id=alert_id,
        number=alert_number(alert_id, now),
        rule=hit.rule,
        severity=rule.severity,
        blocked=rule.block,
        actor_kind=ctx.actor.kind,
        actor_id=ctx.actor.id,
        actor_name=ctx.actor.name,
        actor_organisation_id=ctx.actor.organisation_id,
        holder_id=holder_id,
        action=action,
        fingerprint=fingerprint,
        details=hit.details,
        request_id=ctx.request_id,
        client_address=ctx.client_address,
        status="open",
        created_at=now,
    )


def alert_actor_clause(actor: Actor) -> Any:
    if actor.id is not None:
        return and_(AuditAlert.actor_kind == actor.kind, AuditAlert.actor_id == actor.id)
    return and_(AuditAlert.actor_kind == actor.kind, AuditAlert.actor_name == actor.name)


def _released(who: ColumnElement[bool]) -> Select[tuple[str]]:
    columns = _ALERTS.c
    return (
        select(columns.number)
        .where(
            columns.actor_kind == bindparam("kind"),
            who,
            columns.fingerprint == bindparam("fingerprint"),
            columns.status == "released",
            columns.release_until > bindparam("now"),
        )
        .order_by(columns.release_until.desc())
        .limit(1)
    )


_ALERTS: Table = AuditAlert.__table__  # type: ignore[assignment]
# Made once: every guarded read asks whether an auditor released it.
_RELEASED_BY_ID = _released(_ALERTS.c.actor_id == bindparam("who"))
_RELEASED_BY_NAME = _released(_ALERTS.c.actor_name == bindparam("who"))


def released_for(ctx: Context, fingerprint: str, now: datetime) -> str | None:
    """The number of the alert an auditor released for this very operation, if any."""
    actor = ctx.actor
    statement, who = (
        (_RELEASED_BY_ID, actor.id) if actor.id is not None else (_RELEASED_BY_NAME, actor.name)
    )
    number = (
        ctx.session.connection()
        .execute(
            statement,
            {"kind": actor.kind, "who": who, "fingerprint": fingerprint, "now": now},
        )
        .scalar()
    )
    return None if number is None else str(number)


def open_alert_since(ctx: Context, rule: str, since: datetime) -> bool:
    found = ctx.session.scalar(
        select(AuditAlert.id)
        .where(
            alert_actor_clause(ctx.actor),
            AuditAlert.rule == rule,
            AuditAlert.status == "open",
            AuditAlert.created_at >= since,
        )
        .limit(1)
    )
    return found is not None


# --- the rules ------------------------------------------------------------------------


def bulk_volume(
    rules: AuditRules, attempt: ReadAttempt, now: datetime, reads: Sequence[Recorded]
) -> Hit | None:
    rule = rules.bulk_volume
    history = history_of(reads, now, rule.history_days)
    if history.active_days >= rule.min_active_days:
        limit = learned_daily_limit(history, rule.sd_factor, rule.min_daily_rows)
        basis = "learned"
    else:
        limit, basis = rule.default_daily_rows, "default"
    today = start_of_beijing_day(now)
    read_today = sum(rows_of(r) for r in reads if r.occurred_at >= today)
    if read_today + attempt.rows <= limit:
        return None
    return Hit(
        "bulk_volume",
        {
            "rows_requested": attempt.rows,
            "rows_today": read_today,
            "daily_limit": limit,
            "basis": basis,
            "active_days": history.active_days,
        },
    )


def off_hours(
    ctx: Context, rules: AuditRules, now: datetime, reads: Sequence[Recorded]
) -> Hit | None:
    rule = rules.off_hours
    hour = now.astimezone(BEIJING).hour
    history = history_of(reads, now, rule.history_days)
    if history.active_days >= rule.min_active_days:
        usual = usual_hours(history, rule.min_hour_share)
        unusual, basis = hour not in usual, "learned"
        detail: dict[str, Any] = {"usual_hours": sorted(usual)}
    else:
        unusual = default_night(hour, rule.default_start_hour, rule.default_end_hour)
        basis = "default"
        detail = {"night": [rule.default_start_hour, rule.default_end_hour]}
    if not unusual or open_alert_since(ctx, "off_hours", start_of_beijing_day(now)):
        return None
    return Hit("off_hours", {"hour": hour, "basis": basis, **detail})


def distinct_lookups(
    rules: AuditRules, attempt: ReadAttempt, now: datetime, reads: Sequence[Recorded]
) -> Hit | None:
    rule = rules.distinct_lookups
    if not attempt.where:
        return None
    since = now - timedelta(minutes=rule.window_minutes)
    seen: set[tuple[str, str]] = set(attempt.where.items())
    for record in reads:
        if record.occurred_at < since:
            continue
        where = record.data.get("where") or {}
        if isinstance(where, dict):
            seen.update((str(key), str(value)) for key, value in where.items())
    if len(seen) <= rule.max_distinct:
        return None
    return Hit(
        "distinct_lookups",
        {
            "distinct_values": len(seen),
            "max_distinct": rule.max_distinct,
            "window_minutes": rule.window_minutes,
            "keys": sorted({key for key, _value in seen}),
        },
    )


def _reads_for(ctx: Context, rules: AuditRules, now: datetime) -> list[PastEvent]:
    """The account's reads as far back as the enabled rules look, in one query."""
    today = start_of_beijing_day(now)
    starts = []
    if rules.bulk_volume.enabled:
        starts.append(today - timedelta(days=rules.bulk_volume.history_days))
    if rules.off_hours.enabled:
        starts.append(today - timedelta(days=rules.off_hours.history_days))
    if rules.distinct_lookups.enabled:
        starts.append(now - timedelta(minutes=rules.distinct_lookups.window_minutes))
    if not starts:
        return []
    return past_events(ctx.session, ctx.actor, [DATA_READ], min(starts))


def guard_read(ctx: Context, attempt: ReadAttempt) -> str | None:
    """Evaluate the rules on a read about to complete; raise ``OperationBlocked``
    when a blocking rule hits. Returns the number of the released alert that let a
    repeated operation through, else None."""
    rules = rules_of(ctx)
    now = utcnow()
    fingerprint = attempt.fingerprint()
    released = released_for(ctx, fingerprint, now)
    if released is not None:
        return released
    reads = _reads_for(ctx, rules, now)
    hits = [
        hit
        for hit in (
            bulk_volume(rules, attempt, now, reads) if rules.bulk_volume.enabled else None,
            off_hours(ctx, rules, now, reads) if rules.off_hours.enabled else None,
            distinct_lookups(rules, attempt, now, reads)
            if rules.distinct_lookups.enabled
            else None,
        )
        if hit is not None
    ]
    alerts = [
        new_alert(
            ctx,
            rules,
            Hit(
                hit.rule, {**hit.details, "subject_id": attempt.subject_id, "grade": attempt.grade}
            ),
            action=attempt.action,
            fingerprint=fingerprint,
            holder_id=attempt.holder_id,
            now=now,
        )
        for hit in hits
    ]
    ctx.survivors.extend(alerts)
    blocking = [alert for alert in alerts if alert.blocked]
    if blocking:
        first = blocking[0]
        raise OperationBlocked(
            f"该操作触发异常行为规则“{rules.label(first.rule)}”，已被拦截，"
            f"待审计人员复核（告警编号：{first.number}）",
            fields={"alert": first.number, "rule": first.rule},
        )
    return None
