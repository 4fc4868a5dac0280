"""Audit alerts: a rule's hit on one operation, and the auditor's review of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, UTCDateTime, new_id, utcnow

ALERT_STATUSES = ("open", "released", "confirmed")


class AuditAlert(Base):
    __tablename__ = "audit_alerts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # What people quote: the day and the start of the id (告警编号).
    number: Mapped[str] = mapped_column(String(32), unique=True)
    rule: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    actor_name: Mapped[str] = mapped_column(String(200))
    # The organisations the alert concerns (scope of the auditors who see it).
    actor_organisation_id: Mapped[str | None] = mapped_column(String(36))
    holder_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(100))
    # The operation's fingerprint: a release lets this actor repeat exactly it.
    fingerprint: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]]
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="open")
    reviewer: Mapped[str | None] = mapped_column(String(200))
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_audit_alerts_status_created_at", "status", "created_at"),
        Index("ix_audit_alerts_actor", "actor_kind", "actor_id", "actor_name"),
    )
