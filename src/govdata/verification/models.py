"""Tables of the verification area: authoritative sources, comparison runs and their
results, duplicate scans and the pairs they found.

Keys and values kept as evidence of a conflict are SM4-SIV ciphertexts
(:mod:`govdata.crypto.fields`, data key purpose ``verification:conflicts``); no
row holds a compared value in clear. Scans keep measures and column names only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, UTCDateTime, new_id, utcnow


class VerificationAuthority(Base):
    """The authoritative source (or library) of one field of one subject kind."""

    __tablename__ = "verification_authorities"
    __table_args__ = (
        UniqueConstraint(
            "organisation_id",
            "subject_kind",
            "field",
            name="uq_verification_authorities_scope_field",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    subject_kind: Mapped[str] = mapped_column(String(40))
    field: Mapped[str] = mapped_column(String(63))
    source_id: Mapped[str | None] = mapped_column(
        ForeignKey("aggregation_sources.id", ondelete="RESTRICT"), index=True
    )
    library_id: Mapped[str | None] = mapped_column(
        ForeignKey("libraries.id", ondelete="RESTRICT"), index=True
    )
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class VerificationRun(Base):
    """One comparison of fields across tables, each at a pinned version."""

    __tablename__ = "verification_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    subject_kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(63))
    # [{kind, id, name, organisation_id, version, key_column, fields: {field: column}}]
    inputs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # field → index of the authoritative input (None: none designated among the inputs)
    authorities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sample_limit: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)  # running | succeeded | failed
    keys_total: Mapped[int] = mapped_column(BigInteger, default=0)
    conflicts_total: Mapped[int] = mapped_column(BigInteger, default=0)
    requested_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_message: Mapped[str | None] = mapped_column(Text)


class VerificationFieldStat(Base):
    """Counts of one field of a run (exact, whatever the sample kept)."""

    __tablename__ = "verification_field_stats"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(
        ForeignKey("verification_runs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(63))
    tables: Mapped[list[int]] = mapped_column(JSON, default=list)
    authority: Mapped[int | None] = mapped_column(Integer)
    keys: Mapped[int] = mapped_column(BigInteger)
    compared: Mapped[int] = mapped_column(BigInteger)
    agreeing: Mapped[int] = mapped_column(BigInteger)
    conflicting: Mapped[int] = mapped_column(BigInteger)
    missing: Mapped[int] = mapped_column(BigInteger)
    resolved: Mapped[int] = mapped_column(BigInteger)
    kept: Mapped[int] = mapped_column(Integer)


class VerificationConflict(Base):
    """One key whose field the tables disagree on, with what each table said."""

    __tablename__ = "verification_conflicts"
    __table_args__ = (Index("ix_verification_conflicts_run_field", "run_id", "field", "position"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(
        ForeignKey("verification_runs.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(63))
    position: Mapped[int] = mapped_column(Integer)
    key_value: Mapped[bytes] = mapped_column(LargeBinary)  # SM4-SIV ciphertext
    # input index (as text) → base64 SM4-SIV ciphertext of its value, or None
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resolution: Mapped[str] = mapped_column(String(20))  # authority | unresolved
    authority: Mapped[int | None] = mapped_column(Integer)
    resolved_value: Mapped[bytes | None] = mapped_column(LargeBinary)  # SM4-SIV ciphertext


class DuplicateScan(Base):
    """One search for resources collected twice by different departments."""

    __tablename__ = "verification_duplicate_scans"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # One item per source: its id, name, organisation and pinned version.
    inputs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), index=True)
    pairs_found: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_message: Mapped[str | None] = mapped_column(Text)


class DuplicatePair(Base):
    """Two sources of different departments whose columns and values overlap."""

    __tablename__ = "verification_duplicate_pairs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    scan_id: Mapped[str] = mapped_column(
        # Named explicitly: the conventional name would pass PostgreSQL's 63 characters.
        ForeignKey(
            "verification_duplicate_scans.id",
            ondelete="CASCADE",
            name="fk_verification_duplicate_pairs_scan_id",
        ),
        index=True,
    )
    source_a: Mapped[str] = mapped_column(String(36))
    version_a: Mapped[int] = mapped_column(Integer)
    source_b: Mapped[str] = mapped_column(String(36))
    version_b: Mapped[int] = mapped_column(Integer)
    column_match_ratio: Mapped[float] = mapped_column(Float)
    mean_value_jaccard: Mapped[float] = mapped_column(Float)
    row_overlap: Mapped[float | None] = mapped_column(Float)
    # One item per matched column pair: both names and their similarity measures.
    matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
