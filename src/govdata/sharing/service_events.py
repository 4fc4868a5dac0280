"""Events of the query and verification services: every delivery (S2, S3, X5)."""

from typing import ClassVar

from govdata.events import DomainEvent


class ServiceDelivered(DomainEvent):
    """One call of a service that delivered an answer: who (the application, and the
    person when called from the portal's test console), which service, resource,
    grant and data version, what it looked up (sensitive values pseudonymised) and
    how many rows it returned. The subject is the grant."""

    name: ClassVar[str] = "sharing:delivery:served"
    service: str
    grant_id: str
    entry_id: str
    holder_id: str
    grantee_id: str
    application_id: str
    on_behalf: bool
    source_id: str
    version: int
    where: dict[str, str]
    fields: list[str]
    masked: dict[str, str]
    rows: int
    client_address: str | None
    audit_release: str | None
