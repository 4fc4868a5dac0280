"""Tables of the organisations area."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govdata.access_generation import watch
from govdata.authz import OrgRef
from govdata.db import Base, UTCDateTime, new_id, utcnow


class Division(Base):
    """One version of an administrative division (GB/T 2260).

    A code keeps one row per period in which its name and parent stayed the
    same; the current row has ``valid_to`` empty. ``valid_from`` is empty when
    the row predates the first edition loaded.
    """

    __tablename__ = "divisions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20))
    parent_code: Mapped[str | None] = mapped_column(String(12))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source_edition: Mapped[str] = mapped_column(String(50))

    __table_args__ = (UniqueConstraint("code", "source_edition"),)


class DivisionEdition(Base):
    """One applied edition of the division table, with what it changed."""

    __tablename__ = "division_editions"

    edition: Mapped[str] = mapped_column(String(50), primary_key=True)
    effective: Mapped[date | None] = mapped_column(Date)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applied_by: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    withdrawn: Mapped[int] = mapped_column(Integer)


class Organisation(Base):
    """A region (one per division code) or a department (one per credit code).

    ``path`` is the chain of ids from the root, ``/id1/id2/.../`` so that a
    subtree is one prefix comparison.
    """

    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    region_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    path: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("parent_id", "name"),
        Index("ix_organisations_path", "path"),
    )

    @property
    def ref(self) -> OrgRef:
        return OrgRef(id=self.id, path=self.path)


# An organisation's path is part of every role's scope.
watch(Organisation)
