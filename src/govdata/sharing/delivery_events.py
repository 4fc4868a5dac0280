"""Events of bulk delivery and subscriptions (S3, S4, S7).

What left the node is ledgered (a delivery made, a change batch handed over): who
received it, under which grant, which version, how many rows and their checksums.
Subscriptions being created, cancelled or flagged are ledgered too; starting a
delivery and acknowledging a batch are kept in the events table.
"""

from typing import ClassVar

from govdata.events import DomainEvent


class DeliveryStarted(DomainEvent):
    name: ClassVar[str] = "sharing:delivery:started"
    grant_id: str
    source_id: str
    grantee_id: str
    target: str
    version: int
    parts: int


class DeliveryMade(DomainEvent):
    """A bulk delivery completed: every part written, the manifest sealed."""

    name: ClassVar[str] = "sharing:delivery:made"
    grant_id: str
    entry_id: str
    source_id: str
    grantee_id: str
    requested_by: str
    target: str
    target_table: str | None
    version: int
    rows: int
    columns: list[str]
    masked: dict[str, str]
    where: dict[str, str]
    checksum: str
    manifest_sha256: str | None
    manifest_sm3: str | None


class DeliveryFailed(DomainEvent):
    name: ClassVar[str] = "sharing:delivery:failed"
    grant_id: str
    error_code: str
    parts_done: int


class SubscriptionEvent(DomainEvent):
    grant_id: str
    source_id: str
    grantee_id: str
    status: str


class SubscriptionCreated(SubscriptionEvent):
    name: ClassVar[str] = "sharing:subscription:created"
    transport: str
    start_version: int


class SubscriptionCancelled(SubscriptionEvent):
    name: ClassVar[str] = "sharing:subscription:cancelled"
    reason: str


class SubscriptionFlagged(SubscriptionEvent):
    """The consumer left a batch unacknowledged past the configured time."""

    name: ClassVar[str] = "sharing:subscription:stalled"
    acked_version: int
    oldest_pending_since: str


class BatchDelivered(DomainEvent):
    """A change batch handed to its subscriber for the first time (pulled or published)."""

    name: ClassVar[str] = "sharing:batch:delivered"
    subscription_id: str
    grant_id: str
    grantee_id: str
    transport: str
    sequence: int
    from_version: int
    to_version: int
    inserted: int
    updated: int
    deleted: int
    sha256: str
    sm3: str


class BatchAcknowledged(DomainEvent):
    name: ClassVar[str] = "sharing:batch:acknowledged"
    subscription_id: str
    sequence: int
    to_version: int
