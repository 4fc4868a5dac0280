"""Inputs and outputs of the aggregation actions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from govdata.aggregation.columns import ColumnSpec
from govdata.aggregation.sources.base import SourceKind
from govdata.catalog.schemas import EntityId
from govdata.schemas import StrictInput

MAX_COLUMNS = 500
Mode = Literal["physical", "logical"]
Strategy = Literal["full", "incremental", "change_detection"]
RunStatus = Literal["queued", "running", "succeeded", "failed", "interrupted"]
FILE_KINDS = frozenset({"csv", "xlsx", "json", "jsonl", "parquet"})


class SourceCreate(StrictInput):
    """A data source of a provider department's catalogued resource."""

    entry_id: EntityId = Field(description="The catalog entry (目录) the data belong to")
    name: str = Field(min_length=2, max_length=200)
    kind: SourceKind
    mode: Mode = "physical"
    location: SecretStr = Field(
        description="File name in the node's inbox (file kinds), SQLAlchemy URL (sql, kept "
        "sealed) or first page URL (http)"
    )
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Kind-specific reader options: encoding, delimiter, sheet, table, query, "
        "records_path, paging, ...",
    )
    columns: list[ColumnSpec] = Field(min_length=1, max_length=MAX_COLUMNS)
    strategy: Strategy = "full"
    key_columns: list[str] = Field(default_factory=list, max_length=10)
    updated_column: str | None = None
    drift_policy: Literal["fail", "evolve"] = "fail"
    max_bad_ratio: float = Field(default=0.05, ge=0, le=1)
    schedule: str | None = Field(
        default=None,
        max_length=100,
        description="Cron expression (Beijing time) for scheduled loads, e.g. '0 2 * * *'",
    )

    @field_validator("options")
    @classmethod
    def _small_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(str(value)) > 10_000:
            raise ValueError("选项过长")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SourceCreate:
        names = [column.name for column in self.columns]
        if len(set(names)) != len(names):
            raise ValueError("列名重复")
        for key in self.key_columns:
            if key not in names:
                raise ValueError(f"主键列“{key}”不在声明的列中")
        if self.updated_column is not None and self.updated_column not in names:
            raise ValueError(f"更新时间列“{self.updated_column}”不在声明的列中")
        if self.strategy != "full" and not self.key_columns:
            raise ValueError("增量归集和变化比对须声明主键列")
        if self.strategy == "incremental" and self.updated_column is None:
            raise ValueError("按时间戳增量归集须声明更新时间列")
        if self.mode == "logical" and self.schedule:
            raise ValueError("逻辑接入的数据留在源端，不设定时归集")
        return self


class SourceUpdate(StrictInput):
    id: EntityId
    schedule: str | None = Field(default=None, max_length=100)
    max_bad_ratio: float | None = Field(default=None, ge=0, le=1)
    drift_policy: Literal["fail", "evolve"] | None = None
    state: Literal["active", "disabled"] | None = None
    options: dict[str, Any] | None = None


class SourceRef(StrictInput):
    id: EntityId


class SourceListQuery(StrictInput):
    organisation_id: EntityId | None = None
    entry_id: EntityId | None = None
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=50, ge=1, le=500)


class SourceOut(BaseModel):
    id: str
    organisation_id: str
    organisation_name: str
    entry_id: str
    resource_code: str
    name: str
    kind: str
    mode: str
    location: str = Field(description="Shown without passwords")
    options: dict[str, Any]
    columns: list[ColumnSpec]
    strategy: str
    key_columns: list[str]
    updated_column: str | None
    drift_policy: str
    max_bad_ratio: float
    schedule: str | None
    next_run_at: datetime | None
    table_name: str
    state: str
    current_version: int | None
    last_run: RunOut | None
    created_at: datetime


class RunStart(StrictInput):
    source_id: EntityId
    strategy: Strategy | None = Field(
        default=None, description="Override the source's strategy for this run (e.g. full)"
    )


class RunRef(StrictInput):
    id: EntityId


class RunListQuery(StrictInput):
    source_id: EntityId | None = None
    library_id: EntityId | None = None
    status: RunStatus | None = None
    offset: int = Field(default=0, ge=0, le=1_000_000)
    limit: int = Field(default=50, ge=1, le=500)


class RunOut(BaseModel):
    id: str
    source_id: str | None
    library_id: str | None
    trigger: str
    retry_of: str | None
    strategy: str
    status: str
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rows_read: int
    rows_written: int
    rows_quarantined: int
    rows_inserted: int
    rows_updated: int
    rows_deleted: int
    bytes_read: int
    bytes_total: int | None
    rows_per_second: float | None
    seconds_left: float | None = Field(description="Estimated from bytes read, when known")
    version: int | None
    checksum: str | None
    reason_counts: dict[str, int]
    error_code: str | None
    error_message: str | None


class SchemaChangeOut(BaseModel):
    id: str
    run_id: str
    change: str
    column: str
    applied: bool
    detail: str
    created_at: datetime


class QuarantineQuery(StrictInput):
    run_id: EntityId
    offset: int = Field(default=0, ge=0, le=100_000_000)
    limit: int = Field(default=100, ge=1, le=1000)


class QuarantinePage(BaseModel):
    run_id: str
    total: int
    columns: list[str]
    rows: list[dict[str, Any]]


WhereValue = Annotated[str, Field(max_length=500)]


class DataQuery(StrictInput):
    """Rows of a stored table version (physical) or straight from the source (logical)."""

    source_id: EntityId
    version: int | None = Field(default=None, ge=0, description="Physical only; default latest")
    columns: list[str] | None = Field(default=None, max_length=MAX_COLUMNS)
    where: dict[str, WhereValue] = Field(default_factory=dict, max_length=10)
    offset: int = Field(default=0, ge=0, le=10_000_000)
    limit: int = Field(default=100, ge=1, le=1000)


class DataPage(BaseModel):
    source_id: str
    mode: str
    version: int | None
    total: int | None = Field(description="Matching rows in the version (physical only)")
    columns: list[str]
    rows: list[dict[str, Any]]
    audience: str | None = Field(
        default=None, description="Masking audience: owner, authority, consumer or public"
    )
    masked: dict[str, str] = Field(
        default_factory=dict, description="Sensitive columns masked for this reader, and how"
    )


class VersionOut(BaseModel):
    version: int
    timestamp: datetime
    operation: str
    metadata: dict[str, str]


class VersionList(BaseModel):
    source_id: str
    table_name: str
    versions: list[VersionOut]


class ManifestQuery(StrictInput):
    source_id: EntityId
    version: int | None = Field(default=None, ge=0)


SourceOut.model_rebuild()


class InboxStore(StrictInput):
    """A file already streamed to the inbox's staging area, to be kept for sources."""

    file_name: str = Field(min_length=1, max_length=200)
    staged: str = Field(min_length=1, max_length=1000, description="Path under <inbox>/.partial")


class InboxFile(BaseModel):
    location: str = Field(description="What to give as a file source's location")
    bytes: int
