"""Inputs and outputs of the sharing actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from govdata.catalog.schemas import EntityId
from govdata.orgs.codes import DivisionLevel
from govdata.orgs.schemas import DivisionCode
from govdata.schemas import StrictInput

# How a consumer receives data (S2): query API, verification API (核验), bulk
# delivery of files or tables, subscription to changes.
Method = Literal["query", "verify", "bulk", "subscription"]
# The masking a grant applies to one field (X3).
Strategy = Literal["clear", "partial", "hash", "suppress"]
RETURN_METHODS: tuple[Method, ...] = ("query", "bulk")
ItemName = Annotated[str, Field(min_length=1, max_length=100)]
ColumnName = Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Note = Annotated[str, Field(max_length=2000)]
Reason = Annotated[str, Field(min_length=2, max_length=2000)]


class Quotas(StrictInput):
    calls_per_day: int = Field(default=10_000, ge=1, le=10_000_000)
    rows_per_call: int = Field(default=1_000, ge=1, le=1_000_000)
    rows_per_day: int = Field(default=100_000, ge=1, le=1_000_000_000)


class ShareApply(StrictInput):
    """A consumer department's application for one catalog entry."""

    entry_id: EntityId
    purpose: str = Field(min_length=4, max_length=1000, description="用途（履职事项）")
    legal_basis: str = Field(min_length=2, max_length=1000, description="依据（法律法规、文件）")
    fields: list[ItemName] = Field(
        min_length=1, max_length=500, description="Information items wanted (catalog item names)"
    )
    division_column: ColumnName | None = Field(
        default=None, description="The data's column holding a division code (row scope)"
    )
    division_codes: list[DivisionCode] = Field(
        default_factory=list,
        max_length=500,
        description="Only rows of these divisions (GB/T 2260; a prefecture covers its counties)",
    )
    starts_on: date | None = Field(default=None, description="Default: today")
    ends_on: date
    methods: list[Method] = Field(min_length=1, max_length=4)
    application_ids: list[EntityId] = Field(
        default_factory=list,
        max_length=50,
        description="Registered applications of the consumer department that will call",
    )


class FieldTerm(StrictInput):
    name: ItemName
    strategy: Strategy | None = Field(
        default=None, description="Default: partial for sensitive items, clear otherwise"
    )


class ShareApprove(StrictInput):
    """Terms of an approval; every part may narrow what was applied for, never widen it."""

    fields: list[FieldTerm] | None = Field(
        default=None, max_length=500, description="Default: every field applied for"
    )
    division_codes: list[DivisionCode] | None = Field(default=None, max_length=500)
    methods: list[Method] | None = Field(default=None, max_length=4)
    ends_on: date | None = None
    quotas: Quotas = Field(default_factory=Quotas)


class ShareReview(ShareApprove):
    id: EntityId
    decision: Literal["approve", "refuse"]
    ground: str | None = Field(default=None, max_length=40, description="Refusal: a listed ground")
    note: Note = ""


class ShareEscalate(StrictInput):
    id: EntityId
    note: Note = ""


class ApplicationRef(StrictInput):
    id: EntityId


class ApplicationListQuery(StrictInput):
    status: Literal["pending", "escalated", "approved", "refused"] | None = None
    role: Literal["consumer", "holder"] | None = Field(
        default=None, description="Only those where the caller's scope is this party"
    )
    overdue: bool | None = Field(default=None, description="Only reviews past their due day")
    entry_id: EntityId | None = None
    offset: int = Field(default=0, ge=0, le=100_000)
    limit: int = Field(default=50, ge=1, le=500)


class GroundIn(StrictInput):
    code: str = Field(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=2, max_length=200)
    basis: str = Field(default="", max_length=1000)


class GroundsSet(StrictInput):
    """The whole list; grounds left out are retired (kept for old refusals)."""

    grounds: list[GroundIn] = Field(min_length=1, max_length=100)


class GroundsQuery(StrictInput):
    include_retired: bool = False


class GrantRef(StrictInput):
    id: EntityId


class GrantListQuery(StrictInput):
    status: Literal["active", "suspended", "revoked"] | None = None
    origin: Literal["application", "return"] | None = None
    entry_id: EntityId | None = None
    grantee_id: EntityId | None = None
    offset: int = Field(default=0, ge=0, le=100_000)
    limit: int = Field(default=50, ge=1, le=500)


class GrantChange(StrictInput):
    id: EntityId
    reason: Reason


class GrantResume(StrictInput):
    id: EntityId
    note: Note = ""


class GrantRenew(StrictInput):
    id: EntityId
    ends_on: date
    note: Note = ""


class ShareReturn(StrictInput):
    """Data return (数据回流): grants of one entry to local departments, each limited to
    the rows of its own division."""

    entry_id: EntityId
    department_ids: list[EntityId] = Field(default_factory=list, max_length=500)
    level: DivisionLevel | None = Field(
        default=None, description="Or: every department at this level under the holder's region"
    )
    department_name: str | None = Field(
        default=None,
        max_length=100,
        description="With level: only departments whose name ends with this (e.g. 市场监督管理局)",
    )
    division_column: ColumnName
    fields: list[FieldTerm] | None = Field(default=None, max_length=500)
    methods: list[Method] = Field(default_factory=lambda: list(RETURN_METHODS), min_length=1)
    starts_on: date | None = None
    ends_on: date
    quotas: Quotas = Field(default_factory=Quotas)
    purpose: str = Field(default="数据回流（属地返还）", max_length=1000)


class FieldTermOut(BaseModel):
    name: str
    strategy: str


class GrantSourceOut(BaseModel):
    """A source of the granted entry that the query and verification services may read
    (a physical one, loaded into the lake); its ``id`` is the services' ``source_id``."""

    id: str
    name: str
    key_columns: list[str] = Field(description="Columns a keyed look-up goes by (first one)")
    loaded: bool = Field(description="Whether a load has committed a version to call")


class GrantOut(BaseModel):
    id: str
    number: str
    origin: str
    application_id: str | None
    entry_id: str
    entry_name: str
    holder_org_id: str
    holder_name: str
    grantee_org_id: str
    grantee_name: str
    ceiling: str
    fields: list[FieldTermOut]
    division_column: str | None
    division_codes: list[str]
    application_ids: list[str]
    methods: list[str]
    starts_on: date
    ends_on: date
    calls_per_day: int
    rows_per_call: int
    rows_per_day: int
    sources: list[GrantSourceOut] = Field(
        description="The entry's callable sources: name one as source_id when there are several"
    )
    status: str
    status_note: str
    live: bool
    created_at: datetime
    created_by: str


class GrantPage(BaseModel):
    grants: list[GrantOut]
    total: int


class ApplicationOut(BaseModel):
    id: str
    number: str
    entry_id: str
    entry_name: str
    entry_version: int
    share_type: str
    holder_org_id: str
    holder_name: str
    consumer_org_id: str
    consumer_name: str
    applicant: str
    purpose: str
    legal_basis: str
    fields: list[str]
    division_column: str | None
    division_codes: list[str]
    starts_on: date
    ends_on: date
    methods: list[str]
    application_ids: list[str]
    status: str
    due_on: date | None
    overdue: bool
    escalated_at: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    decided_as: str | None
    refusal_ground: str | None
    refusal_label: str | None
    decision_note: str
    grant_id: str | None
    created_at: datetime


class ApplicationPage(BaseModel):
    applications: list[ApplicationOut]
    total: int


class GroundOut(BaseModel):
    code: str
    label: str
    basis: str
    active: bool


class ReturnOut(BaseModel):
    entry_id: str
    grants: list[GrantOut]
