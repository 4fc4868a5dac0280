"""Events of the organisations area."""

from typing import ClassVar

from govdata.events import DomainEvent


class OrganisationCreated(DomainEvent):
    name: ClassVar[str] = "orgs:organisation:created"
    kind: str
    org_name: str
    division_code: str
    credit_code: str | None
    parent_id: str | None


class DivisionEditionApplied(DomainEvent):
    name: ClassVar[str] = "orgs:division:edition_applied"
    added: int
    changed: int
    withdrawn: int
