"""Tables of the query and verification services: per-grant daily quota counters.

One row per grant and Beijing day. A call adds itself and the rows it delivers in
one conditional ``UPDATE`` (``calls + 1 <= calls_per_day and rows + n <=
rows_per_day``), so two calls racing for the last unit of quota cannot both pass,
on PostgreSQL and SQLite alike (see :mod:`govdata.sharing.quotas`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, UTCDateTime, utcnow


class QuotaCounter(Base):
    __tablename__ = "sharing_quota_counters"

    grant_id: Mapped[str] = mapped_column(
        ForeignKey("sharing_grants.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    # The last application that called under the grant that day (for the portal).
    last_application_id: Mapped[str | None] = mapped_column(String(36))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
