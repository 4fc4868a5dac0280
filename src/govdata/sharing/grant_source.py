"""The grant source the grade decision takes stored grants from.

Kept apart from the actions (it imports no action machinery), since the node's
services are built from it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.access.grants import AccessGrant
from govdata.access_generation import kept
from govdata.db import utcnow
from govdata.grades import Grade
from govdata.sharing.models import Grant

BEIJING = timedelta(hours=8)


def beijing_today() -> date:
    """Grant periods are days of the statutory calendar, in Beijing time."""
    return (utcnow().astimezone(UTC) + BEIJING).date()


def end_of(day: date) -> datetime:
    """The instant a grant ending on ``day`` (inclusive, Beijing time) expires."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC) - BEIJING


def access_grant(grant: Grant) -> AccessGrant:
    """A stored grant as the grade decision takes it."""
    return AccessGrant(
        id=grant.id,
        holder_id=grant.holder_org_id,
        grantee_id=grant.grantee_org_id,
        resource_id=grant.entry_id,
        ceiling=Grade(grant.ceiling),
        expires_at=end_of(grant.ends_on),
    )


class DatabaseGrants:
    """The node's grant source: grants stored by the sharing workflow.

    Active grants that have started are handed to the decision, expired ones
    included (the decision tells them apart and refuses with ``grant_expired``);
    suspended and revoked grants are left out, so they allow nothing.
    """

    def grants_to(self, session: Session, grantee_ids: Collection[str]) -> Sequence[AccessGrant]:
        """Kept by a running node while the access generation stands
        (govdata.access_generation) and the day is the same."""
        if not grantee_ids:
            return ()
        wanted, day = tuple(sorted(grantee_ids)), beijing_today()

        def load() -> tuple[AccessGrant, ...]:
            rows = session.scalars(
                select(Grant)
                .where(
                    Grant.grantee_org_id.in_(wanted),
                    Grant.status == "active",
                    Grant.starts_on <= day,
                )
                .order_by(Grant.created_at, Grant.id)
            )
            return tuple(access_grant(grant) for grant in rows)

        return kept(session, KEPT_ACCESS_GRANTS, (wanted, day), load)


KEPT_ACCESS_GRANTS = "sharing:access-grants"
