"""Tables of the aggregation area: sources, load runs, schema changes, libraries.

A source (数据源) belongs to a catalog entry of its provider department and
is either aggregated physically (copied into a lake table, full or
incremental) or accessed logically (queried at the source on demand). Every
load is a run; a run that commits produces exactly one new table version.
Base and theme libraries (基础库/主题库) are lake tables assembled from the
tables of member sources, built by runs of their own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, UTCDateTime, new_id, utcnow


class Source(Base):
    __tablename__ = "aggregation_sources"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    entry_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20))  # physical | logical
    # File path (relative to the inbox), URL, or the SQLAlchemy URL sealed by
    # the node's secret box when it may hold a password.
    location: Mapped[str] = mapped_column(Text)
    location_sealed: Mapped[bool] = mapped_column(default=False)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    strategy: Mapped[str] = mapped_column(String(20))  # full | incremental | change_detection
    key_columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_column: Mapped[str | None] = mapped_column(String(63))
    drift_policy: Mapped[str] = mapped_column(String(10), default="fail")  # fail | evolve
    max_bad_ratio: Mapped[float] = mapped_column(Float, default=0.05)
    schedule: Mapped[str | None] = mapped_column(String(100))
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    table_name: Mapped[str] = mapped_column(String(63), unique=True)
    # JSON text of the highest ``updated_column`` value committed so far.
    watermark: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class Run(Base):
    """One load of a source, or one build of a library."""

    __tablename__ = "aggregation_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    source_id: Mapped[str | None] = mapped_column(
        ForeignKey("aggregation_sources.id", ondelete="CASCADE"), index=True
    )
    library_id: Mapped[str | None] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    trigger: Mapped[str] = mapped_column(String(20))  # manual | schedule | retry
    retry_of: Mapped[str | None] = mapped_column(String(36))
    strategy: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    host: Mapped[str | None] = mapped_column(String(200))
    pid: Mapped[int | None] = mapped_column(Integer)
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_written: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_quarantined: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_inserted: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_updated: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_deleted: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_total: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[int | None] = mapped_column(Integer)
    checksum: Mapped[str | None] = mapped_column(String(16))
    reason_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_message: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_aggregation_runs_status_created", "status", "created_at"),)


class SchemaChange(Base):
    """A column that appeared at, or went missing from, a source (schema drift)."""

    __tablename__ = "aggregation_schema_changes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    source_id: Mapped[str] = mapped_column(
        ForeignKey("aggregation_sources.id", ondelete="CASCADE"), index=True
    )
    run_id: Mapped[str] = mapped_column(ForeignKey("aggregation_runs.id", ondelete="CASCADE"))
    change: Mapped[str] = mapped_column(String(20))  # added | missing
    column: Mapped[str] = mapped_column(String(200))
    applied: Mapped[bool] = mapped_column(default=False)
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Library(Base):
    """A base library (基础库) or theme library (主题库)."""

    __tablename__ = "libraries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # base | theme
    code: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    standard: Mapped[str | None] = mapped_column(String(40))
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    key_columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    table_name: Mapped[str] = mapped_column(String(63), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class LibraryMember(Base):
    """A source feeding a library, with its column mapping and precedence."""

    __tablename__ = "library_members"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    library_id: Mapped[str] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[str] = mapped_column(
        ForeignKey("aggregation_sources.id", ondelete="RESTRICT"), index=True
    )
    # library column -> source table column
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Lower wins when two members hold the same key.
    priority: Mapped[int] = mapped_column(Integer, default=100)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
