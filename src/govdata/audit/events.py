"""Events of the audit area."""

from datetime import datetime
from typing import ClassVar

from govdata.events import DomainEvent


class AlertReviewed(DomainEvent):
    """An auditor released or confirmed an alert; a release lets the actor repeat
    the blocked operation until ``release_until``."""

    name: ClassVar[str] = "audit:alert:reviewed"
    number: str
    rule: str
    decision: str
    note: str
    actor_kind: str
    actor_id: str | None
    actor_name: str
    holder_id: str | None
    release_until: datetime | None
    client_address: str | None
