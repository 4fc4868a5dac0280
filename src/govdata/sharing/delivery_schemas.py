"""Input and output models of bulk delivery and subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

from govdata.catalog.schemas import EntityId
from govdata.schemas import StrictInput

TABLE_NAME = r"^[a-z_][a-z0-9_]{0,62}$"
FILE_NAME = r"^(manifest\.json|part-[0-9]{5}\.(csv|parquet))$"


class DeliveryStart(StrictInput):
    grant_id: EntityId
    target: Literal["files", "database"] = "files"
    database_url: SecretStr | None = Field(
        default=None, description="接收方数据库的 SQLAlchemy 地址（target=database 时必填）"
    )
    table_name: str | None = Field(default=None, pattern=TABLE_NAME, description="接收表名")
    where: dict[str, str] = Field(default_factory=dict, description="按授权字段等值筛选")
    version: int | None = Field(default=None, ge=0, description="数据版本（默认最新）")

    @field_validator("where")
    @classmethod
    def _few_conditions(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 20:
            raise ValueError("筛选条件不能超过 20 个")
        return value


class DeliveryRef(StrictInput):
    id: EntityId


class DeliveryFileRef(StrictInput):
    id: EntityId
    name: str = Field(pattern=FILE_NAME)


class DeliveryListQuery(StrictInput):
    grant_id: EntityId | None = None
    status: Literal["queued", "running", "succeeded", "failed"] | None = None
    limit: int = Field(default=50, ge=1, le=500)


class DeliveryFileOut(BaseModel):
    name: str
    rows: int
    size: int
    sha256: str
    sm3: str


class DeliveryOut(BaseModel):
    id: str
    grant_id: str
    grant_number: str
    entry_name: str
    source_id: str
    grantee_org_id: str
    target: str
    target_table: str | None
    where: dict[str, str]
    version: int
    status: str
    parts_total: int
    parts_done: int
    rows: int
    columns: list[str]
    masked: dict[str, str]
    checksum: str | None
    manifest_sha256: str | None
    manifest_sm3: str | None
    files: list[DeliveryFileOut]
    error_code: str | None
    error_message: str | None
    requested_by: str
    created_at: datetime
    finished_at: datetime | None


class DeliveryPage(BaseModel):
    deliveries: list[DeliveryOut]


class DeliveryFile(BaseModel):
    """Where a delivered file lies, for the download route (not sent as JSON)."""

    path: str
    name: str
    media_type: str


class SubscriptionCreate(StrictInput):
    grant_id: EntityId


class SubscriptionRef(StrictInput):
    id: EntityId


class SubscriptionAck(StrictInput):
    id: EntityId
    sequence: int = Field(ge=1, description="确认到此序号（含）的全部批次")


class PendingBatchQuery(StrictInput):
    id: EntityId
    limit: int = Field(default=50, ge=1, le=500, description="The oldest this many")


class SubscriptionListQuery(StrictInput):
    grant_id: EntityId | None = None
    status: Literal["active", "stalled", "cancelled"] | None = None
    limit: int = Field(default=50, ge=1, le=500)


class SubscriptionOut(BaseModel):
    id: str
    grant_id: str
    grant_number: str
    entry_name: str
    source_id: str
    grantee_org_id: str
    transport: str
    status: str
    status_note: str
    start_version: int
    batched_version: int
    acked_version: int
    latest_version: int | None
    lag_versions: int
    pending_batches: int
    oldest_pending_at: datetime | None
    last_ack_at: datetime | None
    flagged_at: datetime | None
    created_at: datetime
    created_by: str


class SubscriptionPage(BaseModel):
    subscriptions: list[SubscriptionOut]


class BatchOut(BaseModel):
    batch_id: str
    subscription_id: str
    grant_id: str
    sequence: int
    from_version: int
    to_version: int
    counts: dict[str, int]
    changes: dict[str, Any]
    sha256: str
    sm3: str
    created_at: str
    deliveries: int


class PendingBatchOut(BaseModel):
    """A change batch waiting for acknowledgement: what it covers, never its rows."""

    batch_id: str
    sequence: int
    from_version: int
    to_version: int
    counts: dict[str, int]
    sha256: str
    sm3: str
    created_at: datetime
    deliveries: int = Field(description="How often it was handed over (0: not yet pulled)")
    delivered_at: datetime | None


class PendingBatchPage(BaseModel):
    subscription: SubscriptionOut
    batches: list[PendingBatchOut]


class PullOut(BaseModel):
    """The oldest unacknowledged batch, or none (nothing new, or the last one is
    still within its acknowledgement time: ``in_flight``)."""

    batch: BatchOut | None
    in_flight: bool
    subscription: SubscriptionOut
