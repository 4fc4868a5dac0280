"""Tables of the quality area: rule sets per resource, runs, results, failing rows.

A resource is a source's table or a library's table. Its rule set is one row,
revised in place (``number`` counts revisions); every run keeps a snapshot of
the rules it evaluated, so results stay explainable after the rules change.
A run that fails keeps its error and no results (no partial scores).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, UTCDateTime, new_id, utcnow


class QualityRuleSet(Base):
    __tablename__ = "quality_rule_sets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    source_id: Mapped[str | None] = mapped_column(
        ForeignKey("aggregation_sources.id", ondelete="CASCADE"), unique=True
    )
    library_id: Mapped[str | None] = mapped_column(
        ForeignKey("libraries.id", ondelete="CASCADE"), unique=True
    )
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[int] = mapped_column(Integer, default=1)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))


class QualityRun(Base):
    __tablename__ = "quality_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    rule_set_id: Mapped[str] = mapped_column(
        ForeignKey("quality_rule_sets.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[str | None] = mapped_column(
        ForeignKey("aggregation_sources.id", ondelete="CASCADE")
    )
    library_id: Mapped[str | None] = mapped_column(ForeignKey("libraries.id", ondelete="CASCADE"))
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    entry_id: Mapped[str | None] = mapped_column(
        ForeignKey("catalog_entries.id", ondelete="SET NULL"), index=True
    )
    rule_set_number: Mapped[int] = mapped_column(Integer)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20))  # succeeded | failed
    lake_version: Mapped[int | None] = mapped_column(Integer)
    rows_evaluated: Mapped[int] = mapped_column(BigInteger, default=0)
    evaluated: Mapped[int] = mapped_column(BigInteger, default=0)
    passed: Mapped[int] = mapped_column(BigInteger, default=0)
    score: Mapped[float | None] = mapped_column(Float)
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_message: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_quality_runs_source_started", "source_id", "started_at"),
        Index("ix_quality_runs_library_started", "library_id", "started_at"),
    )


class QualityRuleResult(Base):
    __tablename__ = "quality_rule_results"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(
        ForeignKey("quality_runs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    rule_code: Mapped[str] = mapped_column(String(63))
    rule_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    dimension: Mapped[str] = mapped_column(String(20))
    sub_indicator: Mapped[str] = mapped_column(String(40))
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    evaluated: Mapped[int] = mapped_column(BigInteger)
    passed: Mapped[int] = mapped_column(BigInteger)
    failed: Mapped[int] = mapped_column(BigInteger)
    score: Mapped[float | None] = mapped_column(Float)
    failures_kept: Mapped[int] = mapped_column(Integer, default=0)


class QualityFailure(Base):
    """One failing row of one rule: its key and checked values as stored, and why."""

    __tablename__ = "quality_failures"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("quality_runs.id", ondelete="CASCADE"))
    rule_code: Mapped[str] = mapped_column(String(63))
    row_key: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    row_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_quality_failures_run_rule", "run_id", "rule_code", "id"),)
