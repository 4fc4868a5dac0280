"""Events of the catalog area."""

from typing import ClassVar

from govdata.events import DomainEvent


class EntryDrafted(DomainEvent):
    name: ClassVar[str] = "catalog:entry:drafted"
    resource_code: str
    number: int


class EntrySubmitted(DomainEvent):
    name: ClassVar[str] = "catalog:entry:submitted"
    resource_code: str
    number: int


class EntryPublished(DomainEvent):
    name: ClassVar[str] = "catalog:entry:published"
    resource_code: str
    number: int
    organisation_id: str


class EntryReturned(DomainEvent):
    name: ClassVar[str] = "catalog:entry:returned"
    resource_code: str
    number: int
    reasons: list[str]


class SystemRegistered(DomainEvent):
    name: ClassVar[str] = "catalog:system:registered"
    organisation_id: str
    system_name: str


class ObligationOpened(DomainEvent):
    name: ClassVar[str] = "catalog:obligation:opened"
    kind: str
    organisation_id: str
    started_on: str


class ObligationFulfilled(DomainEvent):
    name: ClassVar[str] = "catalog:obligation:fulfilled"
    kind: str
    entry_id: str
