"""Inputs and outputs of the ledger actions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from govdata.schemas import StrictInput

KindText = Field(default=None, min_length=3, max_length=60, pattern=r"^[a-z0-9_:]+$")


class LedgerEntriesQuery(StrictInput):
    subject_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Entries naming this object (a run, source, catalog entry, grant, event id…)",
    )
    kind: str | None = KindText
    since: AwareDatetime | None = Field(default=None, description="Recorded at or after")
    until: AwareDatetime | None = Field(default=None, description="Recorded before")
    offset: int = Field(default=0, ge=0, le=10_000_000)
    limit: int = Field(default=50, ge=1, le=500)

    @field_validator("since", "until")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("超出可表示的时间范围") from None


class LedgerIndex(StrictInput):
    index: int = Field(ge=0, le=2**62, description="The entry's index in the ledger")


class ConsistencyQuery(StrictInput):
    from_size: int = Field(ge=1, le=2**62, description="The older tree size")
    to_size: int | None = Field(
        default=None, ge=1, le=2**62, description="The newer size (default: the latest checkpoint)"
    )


class NoInput(StrictInput):
    pass


class LedgerEntryOut(BaseModel):
    index: int
    kind: str
    subject_ids: list[str]
    actor: str
    recorded_at: str
    body: dict[str, Any]
    leaf_hash: str


class LedgerEntriesPage(BaseModel):
    tree_size: int
    checkpoint_size: int | None
    total: int
    entries: list[LedgerEntryOut]


class LedgerEntryProof(BaseModel):
    entry: LedgerEntryOut
    covered: bool = Field(description="Whether a signed checkpoint covers the entry yet")
    proof: dict[str, Any] | None = Field(
        description="The proof file (docs/ledger.md §7) against the latest checkpoint; "
        "`govdata ledger verify --proof FILE` checks it offline"
    )


class CheckpointOut(BaseModel):
    tree_size: int
    checkpoint: dict[str, Any] = Field(description="The signed checkpoint (docs/ledger.md §3)")


class ConsistencyOut(BaseModel):
    from_size: int
    to_size: int
    from_root: str
    to_root: str
    path: list[str]
