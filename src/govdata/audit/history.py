"""What an account usually does, learned from its own events (X6).

Every read of data is an ``aggregation:data:read`` event naming its rows, filter
and time, so the account's history is already in the events table. A rule learns
from it once the account has enough *active days* (days with at least one read);
until then the rule's configured default applies.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, select
from sqlalchemy.orm import Session

from govdata.authz import Actor
from govdata.events import EventRecord
from govdata.orgs.services import BEIJING

DATA_READ = "aggregation:data:read"
REQUEST_REFUSED = "audit:request:refused"


def actor_clause(actor: Actor) -> ColumnElement[bool]:
    """Events of this actor: by id, or by name for the id-less system actors."""
    if actor.id is not None:
        return and_(EventRecord.actor_kind == actor.kind, EventRecord.actor_id == actor.id)
    return and_(EventRecord.actor_kind == actor.kind, EventRecord.actor_name == actor.name)


def events_since(
    session: Session, actor: Actor, names: Iterable[str], since: datetime
) -> list[EventRecord]:
    return list(
        session.scalars(
            select(EventRecord).where(
                actor_clause(actor),
                EventRecord.name.in_(list(names)),
                EventRecord.occurred_at >= since,
            )
        )
    )


def beijing_day(moment: datetime) -> date:
    return moment.astimezone(BEIJING).date()


def start_of_beijing_day(moment: datetime) -> datetime:
    local = moment.astimezone(BEIJING)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


class Recorded(Protocol):
    """An event as the history rules read it (an ``EventRecord`` or a ``PastEvent``)."""

    @property
    def name(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def data(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class PastEvent:
    name: str
    occurred_at: datetime
    data: dict[str, Any]


_EVENTS: Table = EventRecord.__table__  # type: ignore[assignment]


def _past(who: ColumnElement[bool]) -> Select[tuple[str, datetime, dict[str, Any]]]:
    columns = _EVENTS.c
    return select(columns.name, columns.occurred_at, columns.data).where(
        columns.actor_kind == bindparam("kind"),
        who,
        columns.name.in_(bindparam("names", expanding=True)),
        columns.occurred_at >= bindparam("since"),
    )


# Made once: the audit rules read an account's history on every read it makes.
_PAST_BY_ID = _past(_EVENTS.c.actor_id == bindparam("who"))
_PAST_BY_NAME = _past(_EVENTS.c.actor_name == bindparam("who"))


def past_events(
    session: Session, actor: Actor, names: Iterable[str], since: datetime
) -> list[PastEvent]:
    """What :func:`events_since` finds, as plain values (no ORM objects)."""
    statement, who = (
        (_PAST_BY_ID, actor.id) if actor.id is not None else (_PAST_BY_NAME, actor.name)
    )
    rows = session.connection().execute(
        statement, {"kind": actor.kind, "who": who, "names": list(names), "since": since}
    )
    return [PastEvent(name, occurred_at, data) for name, occurred_at, data in rows]


def rows_of(record: Recorded) -> int:
    value: Any = record.data.get("rows", 0)
    return value if isinstance(value, int) else 0


@dataclass(frozen=True)
class ReadHistory:
    """An account's reads over the learning window, before today (Beijing)."""

    daily_rows: dict[date, int]
    hours: Counter[int]

    @property
    def active_days(self) -> int:
        return len(self.daily_rows)


def read_history(session: Session, actor: Actor, now: datetime, days: int) -> ReadHistory:
    since = start_of_beijing_day(now) - timedelta(days=days)
    return history_of(events_since(session, actor, [DATA_READ], since), now, days)


def history_of(records: Iterable[Recorded], now: datetime, days: int) -> ReadHistory:
    """The reads among ``records`` made in the ``days`` before today (Beijing)."""
    today = start_of_beijing_day(now)
    since = today - timedelta(days=days)
    daily: dict[date, int] = defaultdict(int)
    hours: Counter[int] = Counter()
    for record in records:
        if record.name != DATA_READ or not since <= record.occurred_at < today:
            continue
        daily[beijing_day(record.occurred_at)] += rows_of(record)
        hours[record.occurred_at.astimezone(BEIJING).hour] += 1
    return ReadHistory(daily_rows=dict(daily), hours=hours)


def learned_daily_limit(history: ReadHistory, sd_factor: float, floor: int) -> int:
    """mean + k·sd of the rows read per active day, never below ``floor``."""
    values = list(history.daily_rows.values())
    mean = sum(values) / len(values)
    variance = sum((value - mean) ** 2 for value in values) / len(values)
    return max(floor, math.ceil(mean + sd_factor * math.sqrt(variance)))


def usual_hours(history: ReadHistory, min_share: float) -> frozenset[int]:
    total = sum(history.hours.values())
    return frozenset(hour for hour, count in history.hours.items() if count / total >= min_share)


def default_night(hour: int, start: int, end: int) -> bool:
    """Whether ``hour`` falls in [start, end), a span that may wrap midnight."""
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end
