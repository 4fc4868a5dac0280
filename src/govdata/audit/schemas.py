"""Inputs and outputs of the audit actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from govdata.schemas import StrictInput

ActorKindFilter = Literal["user", "application", "system"]


class AuditQuery(StrictInput):
    """Who (person or application), what (action or event name), when (time range),
    from where (client address), why (decision, grant, alert), which data version."""

    actor: str | None = Field(default=None, max_length=200, description="账号名称或编号")
    actor_kind: ActorKindFilter | None = None
    action: str | None = Field(
        default=None, max_length=100, description="事件名称或其前缀，如 aggregation:data:read"
    )
    start: datetime | None = None
    end: datetime | None = None
    client_address: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(
        default=None, max_length=100, description="决定依据：关系、授权编号、拒绝代码或告警编号"
    )
    source_id: str | None = Field(default=None, max_length=64)
    version: int | None = Field(default=None, ge=0)
    looked_up: str | None = Field(
        default=None,
        max_length=200,
        description="查询条件中的值（如公民身份号码）：找出查过它的读取；敏感值按其假名比对",
    )
    offset: int = Field(default=0, ge=0, le=100_000)
    limit: int = Field(default=100, ge=1, le=1000)

    @model_validator(mode="after")
    def _ordered(self) -> AuditQuery:
        if self.start and self.end and self.start > self.end:
            raise ValueError("起始时间不能晚于结束时间")
        return self


class AuditExportQuery(AuditQuery):
    limit: int = Field(default=10_000, ge=1, le=50_000)


class AuditRow(BaseModel):
    id: str
    occurred_at: datetime
    name: str
    actor_kind: str
    actor_id: str | None
    actor_name: str
    request_id: str | None
    client_address: str | None
    subject_id: str
    version: int | None
    rows: int | None
    reason: str
    data: dict[str, Any]


class AuditPage(BaseModel):
    rows: list[AuditRow]
    offset: int
    limit: int
    # Whether more matching rows may follow (the search scans a bounded window).
    more: bool


class AuditCsv(BaseModel):
    filename: str
    content: str
    rows: int


AlertStatus = Literal["open", "released", "confirmed"]


class AlertQuery(StrictInput):
    status: AlertStatus | None = None
    offset: int = Field(default=0, ge=0, le=100_000)
    limit: int = Field(default=100, ge=1, le=1000)


class AlertReview(StrictInput):
    id: str = Field(min_length=1, max_length=36)
    decision: Literal["release", "confirm"]
    note: str = Field(min_length=1, max_length=2000)


class AlertOut(BaseModel):
    id: str
    number: str
    rule: str
    rule_label: str
    severity: str
    blocked: bool
    actor_kind: str
    actor_id: str | None
    actor_name: str
    holder_id: str | None
    action: str
    details: dict[str, Any]
    request_id: str | None
    client_address: str | None
    status: str
    reviewer: str | None
    review_note: str | None
    reviewed_at: datetime | None
    release_until: datetime | None
    created_at: datetime
