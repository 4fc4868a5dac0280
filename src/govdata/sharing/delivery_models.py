"""Tables of bulk delivery and subscriptions (S3, S4).

A bulk delivery hands one version of a granted table (or a filtered extract of
it) to the grantee, as files or into the grantee's own database, in parts that
each commit their own state, so an interrupted delivery resumes at the first
part not done. A subscription receives change batches: the committed-version
outbox is written in the transaction that records a run's success, and the
dispatcher turns each new version into one batch per subscription, kept here
until the consumer acknowledges it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, UTCDateTime, new_id, utcnow

# queued → running → succeeded | failed; running → (interrupted) → running …
DELIVERY_STATUSES = ("queued", "running", "succeeded", "failed")
# active → stalled (never acknowledges) → active; active | stalled → cancelled (final)
SUBSCRIPTION_STATUSES = ("active", "stalled", "cancelled")


class BulkDelivery(Base):
    __tablename__ = "sharing_bulk_deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    grant_id: Mapped[str] = mapped_column(
        ForeignKey("sharing_grants.id", ondelete="RESTRICT"), index=True
    )
    source_id: Mapped[str] = mapped_column(
        ForeignKey("aggregation_sources.id", ondelete="RESTRICT"), index=True
    )
    grantee_org_id: Mapped[str] = mapped_column(String(36), index=True)
    # files | database
    target: Mapped[str] = mapped_column(String(20))
    # Sealed by the node's secret box: it may hold a password.
    target_url: Mapped[str | None] = mapped_column(Text)
    target_table: Mapped[str | None] = mapped_column(String(63))
    where: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    parts_total: Mapped[int] = mapped_column(Integer, default=0)
    parts_done: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    masked: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    checksum: Mapped[str | None] = mapped_column(String(16))
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    manifest_sm3: Mapped[str | None] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(60))
    error_message: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_by_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_sharing_bulk_deliveries_status", "status", "created_at"),)


class DeliveryPart(Base):
    """One part of a delivery: a range of rows of one Parquet file of the version."""

    __tablename__ = "sharing_delivery_parts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("sharing_bulk_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    file_path: Mapped[str] = mapped_column(Text)  # relative to the table directory
    row_start: Mapped[int] = mapped_column(BigInteger)
    row_end: Mapped[int] = mapped_column(BigInteger)  # exclusive
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | done
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    # Row checksum (govdata-row-md5-sum/1) of the delivered rows of this part.
    checksum: Mapped[str | None] = mapped_column(String(16))
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("delivery_id", "number"),)


class CommittedVersion(Base):
    """The outbox: a version committed by a run, written in the run's success transaction."""

    __tablename__ = "sharing_committed_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(String(36), index=True)
    run_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Subscription(Base):
    __tablename__ = "sharing_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    grant_id: Mapped[str] = mapped_column(
        ForeignKey("sharing_grants.id", ondelete="RESTRICT"), index=True
    )
    source_id: Mapped[str] = mapped_column(
        ForeignKey("aggregation_sources.id", ondelete="RESTRICT"), index=True
    )
    grantee_org_id: Mapped[str] = mapped_column(String(36), index=True)
    transport: Mapped[str] = mapped_column(String(20))  # outbox | nats
    status: Mapped[str] = mapped_column(String(20), default="active")
    status_note: Mapped[str] = mapped_column(Text, default="")
    # The version the subscription started at: changes after it are delivered.
    start_version: Mapped[int] = mapped_column(Integer)
    # The newest version a batch was made up to, and the newest acknowledged.
    batched_version: Mapped[int] = mapped_column(Integer)
    acked_version: Mapped[int] = mapped_column(Integer)
    next_sequence: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_ack_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChangeBatch(Base):
    """The changes of one subscription between two versions, masked and scoped per grant."""

    __tablename__ = "sharing_change_batches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    subscription_id: Mapped[str] = mapped_column(
        ForeignKey("sharing_subscriptions.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer)
    from_version: Mapped[int] = mapped_column(Integer)
    to_version: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sha256: Mapped[str] = mapped_column(String(64))
    sm3: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | acked
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The JetStream stream sequence the batch was published at (nats transport).
    stream_sequence: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("subscription_id", "sequence"),
        Index("ix_sharing_change_batches_pending", "subscription_id", "status", "sequence"),
    )
