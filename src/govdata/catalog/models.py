"""Tables of the catalog area.

An entry (目录) is identified by its resource code and owned by its provider
department. Its content lives in numbered versions: at most one published
version is in force, at most one working version (draft, submitted or
returned) is in progress, and every earlier version is kept (C4).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata.db import Base, UTCDateTime, new_id, utcnow


class InformationSystem(Base):
    """An information system of a department that produces data (数据—系统)."""

    __tablename__ = "catalog_systems"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    started_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("organisation_id", "name"),)


class CatalogEntry(Base):
    __tablename__ = "catalog_entries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    resource_code: Mapped[str] = mapped_column(String(20), unique=True)
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    latest_number: Mapped[int] = mapped_column(Integer, default=1)
    published_number: Mapped[int | None] = mapped_column(Integer)
    # The status of the latest version, so that lists and queues need no join.
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class EntryVersion(Base):
    __tablename__ = "catalog_versions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    entry_id: Mapped[str] = mapped_column(ForeignKey("catalog_entries.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    classification_code: Mapped[str] = mapped_column(String(12), index=True)
    resource_code: Mapped[str] = mapped_column(String(20))
    provider_code: Mapped[str] = mapped_column(String(18))
    abstract: Mapped[str] = mapped_column(Text, default="")
    format_category: Mapped[str] = mapped_column(String(20))
    format_detail: Mapped[str] = mapped_column(String(100), default="")
    share_type: Mapped[str] = mapped_column(String(20))
    share_conditions: Mapped[str] = mapped_column(Text, default="")
    share_methods: Mapped[list[str]] = mapped_column(JSON, default=list)
    open_type: Mapped[str] = mapped_column(String(20))
    open_conditions: Mapped[str] = mapped_column(Text, default="")
    update_cycle: Mapped[str] = mapped_column(String(20))
    related_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    grade: Mapped[str | None] = mapped_column(String(20))
    publish_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    review_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)

    items: Mapped[list[InformationItem]] = relationship(
        order_by="InformationItem.position", cascade="all, delete-orphan"
    )
    resources: Mapped[list[DataResource]] = relationship(
        order_by="DataResource.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("entry_id", "number"),
        Index("ix_catalog_versions_status_submitted_at", "status", "submitted_at"),
    )


class InformationItem(Base):
    __tablename__ = "catalog_items"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    data_type: Mapped[str] = mapped_column(String(1))
    length: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(20))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")


class DataResource(Base):
    """A data resource of an entry version (目录—数据), linked to its system (数据—系统)."""

    __tablename__ = "catalog_resources"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_versions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    location: Mapped[str] = mapped_column(String(500), default="")
    system_id: Mapped[str | None] = mapped_column(
        ForeignKey("catalog_systems.id", ondelete="RESTRICT"), index=True
    )


class Obligation(Base):
    """A registration or update the provider owes within 20 working days (C6).

    ``register``: a new resource (from a newly registered system, or noted by the
    authority) must get a published entry. ``update``: a change to a published
    entry's resource must reach a newly published version.
    """

    __tablename__ = "catalog_obligations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    subject: Mapped[str] = mapped_column(String(300))
    entry_id: Mapped[str | None] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="CASCADE"), index=True
    )
    system_id: Mapped[str | None] = mapped_column(
        ForeignKey("catalog_systems.id", ondelete="CASCADE"), index=True
    )
    started_on: Mapped[date] = mapped_column(Date)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilled_by_entry_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))

    __table_args__ = (Index("ix_catalog_obligations_open", "fulfilled_at", "started_on"),)


class IndexQueueItem(Base):
    """An entry whose search document must be refreshed, written in the same
    transaction as the change; the search index drains it after commit."""

    __tablename__ = "catalog_index_queue"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(36))
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
