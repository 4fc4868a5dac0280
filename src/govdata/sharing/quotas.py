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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, Table, bindparam, select
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


_COUNTERS: Table = QuotaCounter.__table__  # type: ignore[assignment]
_USED = select(_COUNTERS.c.calls, _COUNTERS.c.rows).where(
    _COUNTERS.c.grant_id == bindparam("grant_id"), _COUNTERS.c.day == bindparam("day")
)


def used(session: Session, grant_id: str, day: date) -> tuple[int, int]:
    row = session.connection().execute(_USED, {"grant_id": grant_id, "day": day}).first()
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
    if not _count(session, grant, day, 1, rows, application_id):
        calls, _ = used(session, grant.id, day)
        raise calls_exhausted(grant) if calls + 1 > grant.calls_per_day else rows_exhausted(grant)


def consume_together(session: Session, uses: Sequence[QuotaUse]) -> None:
    """Count several calls at once, one statement per grant and day; refused
    (``QuotaBatchRefused``, nothing counted once the caller rolls back) unless
    every call fits: then each is counted on its own by :func:`consume`, which
    refuses exactly the calls that no longer fit."""
    groups: dict[tuple[str, date], list[QuotaUse]] = {}
    for use in uses:
        groups.setdefault((use.grant.id, use.day), []).append(use)
    for group in groups.values():
        first = group[0]
        rows = sum(use.rows for use in group)
        if not _count(session, first.grant, first.day, len(group), rows, group[-1].application_id):
            raise QuotaBatchRefused(first.grant.id)


@dataclass(frozen=True)
class QuotaUse:
    """What one call takes of its grant's quota."""

    grant: Grant
    day: date
    rows: int
    application_id: str | None


class QuotaBatchRefused(Exception):
    """Calls counted together would pass a quota; some of them may still fit."""


def _count(  # noqa: PLR0917 (the counter's key, what is added, and who added it)
    session: Session, grant: Grant, day: date, calls: int, rows: int, application_id: str | None
) -> bool:
    """Add ``calls`` and ``rows`` to the day's counters if they fit; whether they did."""
    if calls > grant.calls_per_day or rows > grant.rows_per_day:
        return False
    connection = session.connection()
    counted = connection.execute(
        _upsert(connection.dialect.name),
        {
            "grant_id": grant.id,
            "day": day,
            "calls": calls,
            "rows": rows,
            "app": application_id,
            "now": utcnow(),
            "max_calls": grant.calls_per_day,
            "max_rows": grant.rows_per_day,
        },
    ).first()
    return counted is not None


def _make_upsert(dialect: Any) -> Any:
    counters = _COUNTERS.c
    calls, rows = bindparam("calls", type_=Integer), bindparam("rows", type_=Integer)
    return (
        dialect.insert(_COUNTERS)
        .values(
            grant_id=bindparam("grant_id"),
            day=bindparam("day"),
            calls=calls,
            rows=rows,
            last_application_id=bindparam("app"),
            updated_at=bindparam("now"),
        )
        .on_conflict_do_update(
            index_elements=["grant_id", "day"],
            set_={
                "calls": counters.calls + calls,
                "rows": counters.rows + rows,
                "last_application_id": bindparam("app"),
                "updated_at": bindparam("now"),
            },
            where=(counters.calls + calls <= bindparam("max_calls", type_=Integer))
            & (counters.rows + rows <= bindparam("max_rows", type_=Integer)),
        )
        .returning(counters.calls)
    )


# Made once: every service call counts itself with it.
_UPSERTS = {"postgresql": _make_upsert(postgresql), "sqlite": _make_upsert(sqlite)}


def _upsert(dialect_name: str) -> Any:
    return _UPSERTS["postgresql" if dialect_name == "postgresql" else "sqlite"]
