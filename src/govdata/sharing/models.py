"""Tables of the sharing area: applications, the grants they yield, refusal grounds.

An application asks for one catalog entry's data on stated terms; its review
ends in a grant or a refusal citing a listed legal ground. A grant holds the
exact terms the provider agreed to, and is also what data return (S5) creates,
one per local department, without an application.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govdata.access_generation import watch
from govdata.db import Base, UTCDateTime, new_id, utcnow

# pending → approved | refused; pending → escalated (overdue) → approved | refused.
APPLICATION_STATUSES = ("pending", "escalated", "approved", "refused")
# active ⇄ suspended; active | suspended → revoked (final).
GRANT_STATUSES = ("active", "suspended", "revoked")


class ShareApplication(Base):
    __tablename__ = "sharing_applications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # What people quote (申请编号).
    number: Mapped[str] = mapped_column(String(32), unique=True)
    entry_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="RESTRICT"), index=True
    )
    # The published version applied for, and its share type then.
    entry_version: Mapped[int] = mapped_column(Integer)
    share_type: Mapped[str] = mapped_column(String(20))
    holder_org_id: Mapped[str] = mapped_column(String(36), index=True)
    consumer_org_id: Mapped[str] = mapped_column(String(36), index=True)
    applicant: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    division_column: Mapped[str | None] = mapped_column(String(63))
    division_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    methods: Mapped[list[str]] = mapped_column(JSON, default=list)
    application_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    due_on: Mapped[date | None] = mapped_column(Date)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    # provider | authority | policy (无条件共享, granted at once)
    decided_as: Mapped[str | None] = mapped_column(String(20))
    refusal_ground: Mapped[str | None] = mapped_column(String(40))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    grant_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_sharing_applications_status_due_on", "status", "due_on"),)


class Grant(Base):
    """What a consumer department may receive of one entry, and how.

    ``fields`` is a list of ``{"name": item name, "strategy": clear|partial|hash|suppress}``.
    """

    __tablename__ = "sharing_grants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    # application | return (数据回流)
    origin: Mapped[str] = mapped_column(String(20))
    application_id: Mapped[str | None] = mapped_column(
        ForeignKey("sharing_applications.id", ondelete="RESTRICT"), index=True
    )
    entry_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="RESTRICT"), index=True
    )
    holder_org_id: Mapped[str] = mapped_column(String(36), index=True)
    grantee_org_id: Mapped[str] = mapped_column(String(36), index=True)
    ceiling: Mapped[str] = mapped_column(String(20))
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    division_column: Mapped[str | None] = mapped_column(String(63))
    division_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    application_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    methods: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    calls_per_day: Mapped[int] = mapped_column(Integer)
    rows_per_call: Mapped[int] = mapped_column(Integer)
    rows_per_day: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="active")
    status_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_sharing_grants_grantee_status", "grantee_org_id", "status"),)


class RefusalGround(Base):
    """A legal ground a refusal may cite (非因法定事由不得拒绝), maintained by the authority.

    Grounds are never deleted, only retired (``active`` false), so old refusals keep
    pointing at what they cited."""

    __tablename__ = "sharing_refusal_grounds"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Grants decide what a department may read and call (kept grants, govdata.access_generation).
watch(Grant)
