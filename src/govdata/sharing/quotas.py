"""Per-grant daily quotas of the services: calls per day, rows per call, rows per day.

Counters live in ``sharing_quota_counters`` (one row per grant and Beijing day).
A call first looks at what is left (:func:`remaining`, to refuse early and to bound
its read), then, after reading, takes its share with one conditional ``UPDATE``
(:func:`consume`). Only that update decides: of two calls racing for the last
call or rows of the day, the second updates nothing and is refused, so the
counters can never exceed the quota. Creating the day's row and counting are
one upsert (``INSERT … ON CONFLICT DO UPDATE … WHERE``, on PostgreSQL and SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from govdata.db import utcnow
from govdata.errors import RateLimited
from govdata.sharing.models import Grant
from govdata.sharing.service_models import QuotaCounter


@dataclass(frozen=True)
class Remaining:
    calls: int
    rows: int

    def rows_for_call(self, grant: Grant) -> int:
        """The most rows one call may still deliver."""
        return max(0, min(grant.rows_per_call, self.rows))


def used(session: Session, grant_id: str, day: date) -> tuple[int, int]:
    row = session.execute(
        select(QuotaCounter.calls, QuotaCounter.rows).where(
            QuotaCounter.grant_id == grant_id, QuotaCounter.day == day
        )
    ).first()
    return (0, 0) if row is None else (int(row[0]), int(row[1]))


def remaining(session: Session, grant: Grant, day: date) -> Remaining:
    """What the grant still allows today; refused when no call is left."""
    calls, rows = used(session, grant.id, day)
    left = Remaining(calls=grant.calls_per_day - calls, rows=grant.rows_per_day - rows)
    if left.calls <= 0:
        raise calls_exhausted(grant)
    if left.rows <= 0:
        raise rows_exhausted(grant)
    return left


def calls_exhausted(grant: Grant) -> RateLimited:
    return RateLimited(
        f"共享授权今日调用次数已用完（每日{grant.calls_per_day}次）",
        code="service_quota_calls",
        fields={"calls_per_day": str(grant.calls_per_day)},
    )


def rows_exhausted(grant: Grant) -> RateLimited:
    return RateLimited(
        f"共享授权今日可获取的行数已用完（每日{grant.rows_per_day}行）",
        code="service_quota_rows",
        fields={"rows_per_day": str(grant.rows_per_day)},
    )


def consume(
    session: Session, grant: Grant, day: date, rows: int, application_id: str | None
) -> None:
    """Count one call delivering ``rows`` rows; refused (and nothing counted) when
    it would pass the day's calls or rows. One statement: the day's row is
    inserted, or updated only if the call still fits (a row returned: counted)."""
    if grant.calls_per_day < 1:
        raise calls_exhausted(grant)
    if rows > grant.rows_per_day:
        raise rows_exhausted(grant)
    now = utcnow()
    values = {
        "grant_id": grant.id,
        "day": day,
        "calls": 1,
        "rows": rows,
        "last_application_id": application_id,
        "updated_at": now,
    }
    update = {
        "calls": QuotaCounter.calls + 1,
        "rows": QuotaCounter.rows + rows,
        "last_application_id": application_id,
        "updated_at": now,
    }
    fits = (QuotaCounter.calls + 1 <= grant.calls_per_day) & (
        QuotaCounter.rows + rows <= grant.rows_per_day
    )
    keys = ["grant_id", "day"]
    if session.get_bind().dialect.name == "postgresql":
        statement: Any = (
            postgresql.insert(QuotaCounter)
            .values(values)
            .on_conflict_do_update(index_elements=keys, set_=update, where=fits)
        )
    else:
        statement = (
            sqlite.insert(QuotaCounter)
            .values(values)
            .on_conflict_do_update(index_elements=keys, set_=update, where=fits)
        )
    counted = session.execute(statement.returning(QuotaCounter.calls)).first()
    if counted is None:
        calls, _ = used(session, grant.id, day)
        raise calls_exhausted(grant) if calls + 1 > grant.calls_per_day else rows_exhausted(grant)
