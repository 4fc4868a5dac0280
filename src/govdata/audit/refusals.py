"""Refused requests are part of the trail too (X6: 事后可追溯).

The action's transaction rolls back when it refuses, so the refusal is written as
an ``audit:request:refused`` event among ``ctx.survivors`` (a transaction of its
own). It records the action, the error code and fields, and the ids the input
named; never other input values (passwords, tokens, filter values stay out).
Enough refusals in a short window raise a ``repeated_denials`` alert.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from govdata.actions import Context
from govdata.audit.guard import Hit, new_alert, open_alert_since, rules_of
from govdata.audit.history import REQUEST_REFUSED, events_since
from govdata.db import utcnow
from govdata.errors import Forbidden
from govdata.events import EventRecord

# Input fields whose values name what was asked for (never secrets).
NAMING_FIELDS = ("id", "source_id", "library_id", "run_id", "entry_id", "organisation_id")


def named_targets(payload: BaseModel) -> dict[str, Any]:
    values = payload.model_dump(mode="json")
    named = {key: values[key] for key in NAMING_FIELDS if isinstance(values.get(key), str)}
    if isinstance(values.get("version"), int):
        named["version"] = values["version"]
    return named


def record_refusal(ctx: Context, action: str, payload: BaseModel, refused: Forbidden) -> list[Any]:
    now = utcnow()
    targets = named_targets(payload)
    decision = ctx.decisions[-1] if ctx.decisions else None
    data: dict[str, Any] = {
        "action": action,
        "code": refused.error_code,
        "message": refused.message,
        "fields": refused.fields,
        "targets": targets,
        "client_address": ctx.client_address,
        "actor_organisation_id": ctx.actor.organisation_id,
    }
    if decision is not None and not decision.allowed:
        data["decision"] = {
            "reason": decision.reason,
            "resource_id": decision.resource_id,
            "grade": decision.grade.value if decision.grade else None,
            "relation": decision.relation.value if decision.relation else None,
        }
    event = EventRecord(
        name=REQUEST_REFUSED,
        subject_id=str(targets.get("source_id") or targets.get("library_id") or action)[:64],
        actor_kind=ctx.actor.kind,
        actor_id=ctx.actor.id,
        actor_name=ctx.actor.name,
        request_id=ctx.request_id,
        data=data,
        occurred_at=now,
    )
    survivors: list[Any] = [event]
    rules = rules_of(ctx)
    rule = rules.repeated_denials
    if rule.enabled:
        since = now - timedelta(minutes=rule.window_minutes)
        earlier = len(events_since(ctx.session, ctx.actor, [REQUEST_REFUSED], since))
        if earlier + 1 >= rule.max_denials and not open_alert_since(ctx, "repeated_denials", since):
            hit = Hit(
                "repeated_denials",
                {
                    "denials": earlier + 1,
                    "window_minutes": rule.window_minutes,
                    "last_action": action,
                    "last_code": refused.error_code,
                },
            )
            survivors.append(
                new_alert(
                    ctx,
                    rules,
                    hit,
                    action=action,
                    fingerprint=f"denials:{ctx.actor.kind}:{ctx.actor.id or ctx.actor.name}"[:64],
                    holder_id=None,
                    now=now,
                )
            )
    return survivors
