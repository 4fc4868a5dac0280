"""Typed domain events, written in the same transaction as the change.

An event is named ``area:subject:action`` (``orgs:organisation:created``). It
is stored in the ``events`` table by :func:`record_event` inside the caller's
transaction, so an event exists exactly when its change does. Later areas
(federation, notifications) read from this table. Events that the ledger
records (govdata.ledger.recording) also get a ledger entry, appended in the
same transaction when it commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from govdata.actions import Context
from govdata.db import Base, UTCDateTime, new_id, utcnow
from govdata.ledger.recording import ledger_entry_for, queue_entry


class EventRecord(Base):
    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    subject_id: Mapped[str] = mapped_column(String(64))
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    actor_name: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_events_name_occurred_at", "name", "occurred_at"),)


class DomainEvent(BaseModel):
    """Base of every event; subclasses set ``name`` and their typed fields."""

    model_config = ConfigDict(frozen=True)
    name: ClassVar[str]
    subject_id: str


def record_event(ctx: Context, event: DomainEvent, *, record_id: str | None = None) -> EventRecord:
    """Record ``event`` in the caller's session (and queue its ledger entry);
    ``record_id`` when the caller has already named the record."""
    record = EventRecord(
        id=record_id or new_id(),
        name=event.name,
        subject_id=event.subject_id,
        actor_kind=ctx.actor.kind,
        actor_id=ctx.actor.id,
        actor_name=ctx.actor.name,
        request_id=ctx.request_id,
        data=event.model_dump(mode="json", exclude={"subject_id"}),
        occurred_at=utcnow(),
    )
    ctx.session.add(record)
    entry = ledger_entry_for(record)
    if entry is not None:
        queue_entry(ctx.session, record, entry)
    return record
