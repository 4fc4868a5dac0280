"""The wrapped data keys.

One row per data key version of a purpose (a lake table, or another use
such as ``secrets``). The key itself is stored only wrapped, by the master
key version named in ``master_key_version``; re-wrapping under a new master
key rewrites ``wrapped_key`` and ``master_key_version`` and nothing else.
Exactly one version of a purpose is ``active`` (used for new writes); the
others are ``decrypt_only`` and stay for reading what they encrypted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, UTCDateTime, new_id, utcnow


class DataKey(Base):
    __tablename__ = "crypto_data_keys"
    __table_args__ = (UniqueConstraint("purpose", "version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer)
    algorithm: Mapped[str] = mapped_column(String(20), default="sm4-gcm")
    state: Mapped[str] = mapped_column(String(20), default="active")  # active | decrypt_only
    master_key_version: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    # Values encrypted so far (as reserved by writers): random GCM nonces must
    # not be drawn too often under one key, so the key is rotated at a limit.
    values_encrypted: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    wrapped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
