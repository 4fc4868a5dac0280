"""Inputs and outputs of the objection actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from govdata.catalog.schemas import EntityId
from govdata.schemas import StrictInput

KeyValue = Annotated[str, Field(min_length=1, max_length=500)]
Note = Annotated[str, Field(max_length=2000)]


class ObjectionFile(StrictInput):
    """A consumer's report of problem data: which record, which field, why, and evidence."""

    source_id: EntityId
    version: int | None = Field(default=None, ge=0, description="Default: the latest version")
    record_key: dict[str, KeyValue] = Field(
        min_length=1,
        max_length=5,
        description="The record's key columns and values (the source's key columns when "
        "it declares them)",
    )
    field: str = Field(min_length=1, max_length=63, description="The column found wrong")
    reason: str = Field(min_length=2, max_length=1000, description="What is wrong (Chinese)")
    evidence: str = Field(default="", max_length=4000, description="Documents, links, values")


class ObjectionRef(StrictInput):
    id: EntityId


class ObjectionAnswer(StrictInput):
    id: EntityId
    outcome: Literal["corrected", "rejected"]
    reply: str = Field(min_length=2, max_length=2000)
    fix_version: int | None = Field(
        default=None, ge=1, description="The corrected version (required when corrected)"
    )


class ObjectionNote(StrictInput):
    id: EntityId
    note: Note = ""


class ObjectionResolve(StrictInput):
    id: EntityId
    responsible: Literal["provider", "reporter", "none"]
    decision: str = Field(min_length=2, max_length=2000)


class ObjectionListQuery(StrictInput):
    status: Literal["open", "answered", "accepted", "disputed", "escalated", "resolved"] | None = (
        None
    )
    overdue: bool | None = Field(default=None, description="Only those past their due day")
    source_id: EntityId | None = None
    offset: int = Field(default=0, ge=0, le=100_000)
    limit: int = Field(default=50, ge=1, le=500)


class StepOut(BaseModel):
    step: str
    actor: str
    note: str
    at: datetime


class ObjectionOut(BaseModel):
    id: str
    number: str
    source_id: str
    source_name: str
    version: int
    record_key: dict[str, str]
    field: str
    reason: str
    evidence: str
    reporter: str
    reporter_org_id: str
    holder_org_id: str
    status: str
    due_on: date
    overdue: bool
    answer_kind: str | None
    answer: str | None
    answered_on: date | None
    fix_version: int | None
    responsible: str | None
    resolution: str | None
    created_at: datetime
    steps: list[StepOut] = Field(default_factory=list)


class ObjectionPage(BaseModel):
    objections: list[ObjectionOut]
    total: int
