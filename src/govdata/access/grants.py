"""Explicit access grants, as the grade decision takes them.

A grant lets one organisation (the grantee) read one resource of another (the
holder) up to a grade ceiling until it expires. The sharing area (S1) will
create grants through its approval workflow and store them; until then the node
has none (:class:`NoGrants`) and tests hand grants in (:class:`StaticGrants`).
Both sit behind :class:`GrantSource`, the backend handed to every action.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from govdata.grades import Grade


@dataclass(frozen=True)
class AccessGrant:
    """``grantee_id`` may read ``resource_id`` (a catalog entry id) held by
    ``holder_id``, up to ``ceiling``, until ``expires_at`` (exclusive)."""

    id: str
    holder_id: str
    grantee_id: str
    resource_id: str
    ceiling: Grade
    expires_at: datetime


class GrantSource(Protocol):
    def grants_to(self, session: Session, grantee_ids: Collection[str]) -> Sequence[AccessGrant]:
        """Every grant (expired ones included) given to one of these organisations."""
        ...


class NoGrants:
    """The node's grant source until the sharing workflow stores grants."""

    def grants_to(self, session: Session, grantee_ids: Collection[str]) -> Sequence[AccessGrant]:
        return ()


class StaticGrants:
    """Grants held in memory: for tests and for a node configured by hand."""

    def __init__(self, grants: Iterable[AccessGrant] = ()) -> None:
        self.grants = list(grants)

    def add(self, grant: AccessGrant) -> None:
        self.grants.append(grant)

    def grants_to(self, session: Session, grantee_ids: Collection[str]) -> Sequence[AccessGrant]:
        return [grant for grant in self.grants if grant.grantee_id in grantee_ids]
