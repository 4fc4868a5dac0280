"""Nodes known to this installation, itself included.

The node's own row has ``is_self`` set. Peer nodes (its parent, its children)
get rows of the same shape when federation registers them, so the model does
not change when the cascade is switched on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, UTCDateTime, utcnow


class Node(Base):
    __tablename__ = "nodes"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    parent_code: Mapped[str | None] = mapped_column(String(32))
    base_url: Mapped[str | None] = mapped_column(String(500))
    is_self: Mapped[bool] = mapped_column(Boolean, default=False)
    key_algorithm: Mapped[str] = mapped_column(String(20))
    public_key_pem: Mapped[str] = mapped_column(Text)
    key_fingerprint: Mapped[str] = mapped_column(String(64))
    # Only for this node: detects a lost or swapped master key at start-up.
    master_key_fingerprint: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
