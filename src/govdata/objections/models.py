"""An objection to one record of a stored version, and every step taken on it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, UTCDateTime, new_id, utcnow

# open → answered → accepted | disputed → escalated → resolved; open → escalated when overdue.
STATUSES = ("open", "answered", "accepted", "disputed", "escalated", "resolved")


class Objection(Base):
    __tablename__ = "objections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # What people quote (异议编号): the Beijing day and the start of the id.
    number: Mapped[str] = mapped_column(String(32), unique=True)
    source_id: Mapped[str] = mapped_column(
        ForeignKey("aggregation_sources.id", ondelete="RESTRICT"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    # Key column → the value, encrypted (hex of a deterministic SM4-SIV ciphertext).
    record_key: Mapped[dict[str, Any]]
    field: Mapped[str] = mapped_column(String(63))
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    reporter_org_id: Mapped[str] = mapped_column(String(36), index=True)
    reporter: Mapped[str] = mapped_column(String(200))
    holder_org_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    due_on: Mapped[date] = mapped_column(Date)
    answer_kind: Mapped[str | None] = mapped_column(String(20))  # corrected | rejected
    answer: Mapped[str | None] = mapped_column(Text)
    answered_on: Mapped[date | None] = mapped_column(Date)
    fix_version: Mapped[int | None] = mapped_column(Integer)
    # Who the authority found responsible when it resolved an escalation (定责).
    responsible: Mapped[str | None] = mapped_column(String(20))  # provider | reporter | none
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_objections_status_due_on", "status", "due_on"),)


class ObjectionStep(Base):
    __tablename__ = "objection_steps"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    objection_id: Mapped[str] = mapped_column(
        ForeignKey("objections.id", ondelete="CASCADE"), index=True
    )
    step: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    actor_org_id: Mapped[str | None] = mapped_column(String(36))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
