"""Events of the sharing area. Every one is ledgered: who asked for what, who decided,
on which legal ground, and every change to what a grant allows (S1, S5, X5)."""

from typing import ClassVar

from govdata.events import DomainEvent


class ApplicationEvent(DomainEvent):
    """Base of application events: the entry and the two parties."""

    entry_id: str
    holder_id: str
    consumer_id: str
    status: str


class ApplicationSubmitted(ApplicationEvent):
    name: ClassVar[str] = "sharing:application:submitted"
    share_type: str
    fields: list[str]
    purpose: str
    legal_basis: str
    due_on: str | None


class ApplicationDecided(ApplicationEvent):
    """Approved or refused, by the provider, the authority or (无条件共享) by policy."""

    name: ClassVar[str] = "sharing:application:decided"
    decision: str
    decided_as: str
    refusal_ground: str | None
    note: str
    on_time: bool
    grant_id: str | None


class ApplicationEscalated(ApplicationEvent):
    name: ClassVar[str] = "sharing:application:escalated"
    due_on: str
    note: str


class GrantEvent(DomainEvent):
    """Base of grant events: whose data, to whom, and the grant's state after the change."""

    entry_id: str
    holder_id: str
    grantee_id: str
    status: str


class GrantIssued(GrantEvent):
    name: ClassVar[str] = "sharing:grant:issued"
    origin: str
    application_id: str | None
    ceiling: str
    fields: list[dict[str, str]]
    division_column: str | None
    division_codes: list[str]
    application_ids: list[str]
    methods: list[str]
    starts_on: str
    ends_on: str
    calls_per_day: int
    rows_per_call: int
    rows_per_day: int


class GrantSuspended(GrantEvent):
    name: ClassVar[str] = "sharing:grant:suspended"
    reason: str


class GrantResumed(GrantEvent):
    name: ClassVar[str] = "sharing:grant:resumed"
    note: str


class GrantRenewed(GrantEvent):
    name: ClassVar[str] = "sharing:grant:renewed"
    previous_ends_on: str
    ends_on: str
    note: str


class GrantRevoked(GrantEvent):
    name: ClassVar[str] = "sharing:grant:revoked"
    reason: str


class DataReturned(DomainEvent):
    """One data return (数据回流): the entry and the grants it created, one per department."""

    name: ClassVar[str] = "sharing:return:issued"
    entry_id: str
    holder_id: str
    grant_ids: list[str]
    grantee_ids: list[str]


class GroundsChanged(DomainEvent):
    name: ClassVar[str] = "sharing:grounds:changed"
    active: list[str]
    retired: list[str]
