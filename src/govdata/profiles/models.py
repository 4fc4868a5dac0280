"""Tables of profiles: the profiles, their records, aliases and attribute candidates.

Record keys and attribute values are stored as SM4-SIV ciphertexts
(:mod:`govdata.crypto.fields`, data key purpose ``profiles:<kind>``): equal values
give equal bytes under one key version, so look-ups by identity number, credit
code or name are equality matches on ciphertexts, and no row holds a sensitive
value in clear. See docs/decisions/0013-profile-storage.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, UTCDateTime, new_id, utcnow


class Profile(Base):
    __tablename__ = "profiles"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))  # person | enterprise
    organisation_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | merged
    merged_into: Mapped[str | None] = mapped_column(String(36))
    record_count: Mapped[int] = mapped_column(Integer, default=0)
    run_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProfileRecord(Base):
    """One source record in one profile, and how it was linked."""

    __tablename__ = "profile_records"
    __table_args__ = (Index("ix_profile_records_lookup", "kind", "source_id", "record_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    profile_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[str] = mapped_column(String(36))
    source_id: Mapped[str] = mapped_column(String(36))
    source_version: Mapped[int | None] = mapped_column(Integer)
    record_key: Mapped[bytes] = mapped_column(LargeBinary)  # SM4-SIV ciphertext
    method: Mapped[str] = mapped_column(String(20))  # exact | probabilistic | single
    match_probability: Mapped[float | None] = mapped_column(Float)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProfileAlias(Base):
    """A profile ID merged into another: it redirects to the survivor."""

    __tablename__ = "profile_aliases"

    alias_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[str | None] = mapped_column(String(36))
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProfileAttribute(Base):
    """One candidate value of a profile's attribute, with its provenance."""

    __tablename__ = "profile_attributes"
    __table_args__ = (Index("ix_profile_attributes_search", "kind", "attribute", "value"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    profile_id: Mapped[str] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    attribute: Mapped[str] = mapped_column(String(63))
    value: Mapped[bytes] = mapped_column(LargeBinary)  # SM4-SIV ciphertext
    source_id: Mapped[str] = mapped_column(String(36))
    source_version: Mapped[int | None] = mapped_column(Integer)
    record_key: Mapped[bytes] = mapped_column(LargeBinary)  # SM4-SIV ciphertext
    updated_at: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer)
    support: Mapped[int] = mapped_column(Integer)
    chosen: Mapped[bool] = mapped_column(Boolean)


class ProfileRun(Base):
    """One build: which sources, in which priority, and what it changed."""

    __tablename__ = "profile_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    organisation_id: Mapped[str] = mapped_column(String(36), index=True)
    source_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
