"""Events of the verification area."""

from __future__ import annotations

from typing import ClassVar

from govdata.events import DomainEvent


class AuthoritiesChanged(DomainEvent):
    """Authoritative sources were designated (subject: the organisation)."""

    name: ClassVar[str] = "verification:authority:changed"
    organisation_id: str
    subject_kind: str
    # field → "source:<id>" or "library:<id>"
    designations: dict[str, str]


class VerificationRunFinished(DomainEvent):
    """A comparison run finished (subject: the run), with its counts or its error."""

    name: ClassVar[str] = "verification:run:finished"
    organisation_id: str
    status: str
    inputs: list[str]
    conflicts: int
    error_code: str | None


class DuplicateScanFinished(DomainEvent):
    """A duplicate collection scan finished (subject: the scan)."""

    name: ClassVar[str] = "verification:duplicates:finished"
    organisation_id: str
    status: str
    sources: int
    pairs: int
    error_code: str | None
