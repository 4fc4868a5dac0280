"""Events of the aggregation area."""

from typing import ClassVar

from pydantic import Field

from govdata.events import DomainEvent


class SourceRegistered(DomainEvent):
    name: ClassVar[str] = "aggregation:source:registered"
    organisation_id: str
    entry_id: str
    kind: str
    mode: str


class SourceChanged(DomainEvent):
    name: ClassVar[str] = "aggregation:source:changed"
    changes: dict[str, str]


class RunRequested(DomainEvent):
    name: ClassVar[str] = "aggregation:run:requested"
    source_id: str | None
    library_id: str | None
    trigger: str
    strategy: str


class RunFinished(DomainEvent):
    name: ClassVar[str] = "aggregation:run:finished"
    status: str
    version: int | None
    rows_written: int
    rows_quarantined: int
    error_code: str | None
    # What the version is of and its content checksum, for the ledger entry (X5).
    source_id: str | None = None
    library_id: str | None = None
    checksum: str | None = None


class DataRead(DomainEvent):
    """Who read which rows of which version (or of the source, for logical access)."""

    name: ClassVar[str] = "aggregation:data:read"
    source_id: str | None
    library_id: str | None
    mode: str
    version: int | None
    where: dict[str, str]
    rows: int
    purpose: str
    # The grade decision that allowed the read (X2): the data's grade (None when
    # ungraded), the caller's relation to its holder and the access grant used.
    grade: str | None = None
    relation: str | None = None
    grant_id: str | None = None
    # Where the request came from, and the reviewed audit alert that let a
    # blocked operation through (X6).
    client_address: str | None = None
    audit_release: str | None = None
    # The run whose quarantined rows were read (a quarantine read, mode "quarantine").
    run_id: str | None = None
    # Masking (X3): the reader's audience and the sensitive columns masked for it.
    audience: str | None = None
    masked: dict[str, str] = Field(default_factory=dict)
