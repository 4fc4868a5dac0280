"""Every setting of a govdata node, declared once.

Values come from ``GOVDATA_*`` environment variables (or a ``.env`` file in the
working directory); each field's description is what ``govdata settings``
prints.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class NodeLevel(StrEnum):
    """The place of a node in the 1+32+N structure."""

    NATIONAL = "national"
    PROVINCIAL = "provincial"
    DEPARTMENT = "department"
    CITY = "city"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GOVDATA_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Field(
        default=Path("var"),
        description="Directory for the embedded database, node keys and stored data.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the metadata database. Empty means SQLite at "
            "<data_dir>/govdata.sqlite3; production uses postgresql+psycopg://..."
        ),
    )
    node_code: str = Field(
        default="150000",
        description="This node's code: the GB/T 2260 code of the region it serves.",
    )
    node_name: str = Field(
        default="内蒙古自治区政务大数据平台", description="This node's display name."
    )
    node_level: NodeLevel = Field(
        default=NodeLevel.PROVINCIAL,
        description="national, provincial, department or city.",
    )
    parent_node_code: str | None = Field(
        default=None, description="Code of the upper node this node cascades to."
    )
    public_url: str | None = Field(
        default=None,
        description="Address other nodes and users reach this node at (https://...).",
    )
    host: str = Field(default="127.0.0.1", description="Address `govdata serve` binds.")
    port: int = Field(default=8000, description="Port `govdata serve` binds.")
    session_hours: int = Field(
        default=8, ge=1, description="Lifetime of a portal login session in hours."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark session cookies Secure (set true behind HTTPS).",
    )
    signature_max_skew_seconds: int = Field(
        default=300,
        ge=1,
        description="How far a signed request's timestamp may be from the server clock.",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted, in bytes."
    )
    max_login_failures: int = Field(
        default=5, ge=1, description="Failed logins in a row before an account is locked."
    )
    login_lock_minutes: int = Field(
        default=15, ge=1, description="How long a locked account stays locked."
    )
    calendar_file: Path | None = Field(
        default=None,
        description=(
            "JSON file of holiday arrangements that adds or replaces years of the shipped "
            "statutory calendar (same layout as govdata/workdays/data/cn-statutory.json)."
        ),
    )
    audit_rules_file: Path | None = Field(
        default=None,
        description=(
            "JSON file overriding the behaviour rules of the audit (thresholds, "
            "learning, blocking; see docs/audit.md). Empty means the documented defaults."
        ),
    )
    openlineage_url: str | None = Field(
        default=None,
        description=(
            "HTTP endpoint that receives OpenLineage run events of loads and library "
            "builds (e.g. http://marquez:5000; events are POSTed to api/v1/lineage)."
        ),
    )
    openlineage_file: Path | None = Field(
        default=None,
        description="File that receives OpenLineage run events, one JSON object per line.",
    )
    openlineage_namespace: str | None = Field(
        default=None,
        description="OpenLineage namespace of this node's jobs. Empty means govdata.<node_code>.",
    )
    objection_answer_working_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="Working days a provider has to answer an objection to its data.",
    )
    share_review_working_days: int = Field(
        default=10,
        ge=1,
        le=60,
        description="Working days a provider has to review an application for conditionally "
        "shared data (有条件共享) before the authority may escalate it.",
    )
    lake_uri: str | None = Field(
        default=None,
        description=(
            "Where aggregated tables live: a directory, or s3://bucket/prefix for "
            "S3-compatible object storage. Empty means <data_dir>/lake."
        ),
    )
    lake_storage_options: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Object storage options as JSON (endpoint, region, access key...), "
            "passed to the Delta Lake writer."
        ),
    )
    job_runner: str = Field(
        default="subprocess",
        description=(
            "How aggregation runs execute: subprocess (one process per run, the "
            "default), inline (in the requesting process; tests) or none (left "
            "queued for `govdata aggregation worker`)."
        ),
    )
    scheduler_enabled: bool = Field(
        default=True,
        description="Start scheduled aggregation runs from `govdata serve`.",
    )
    ledger_checkpoint_seconds: int = Field(
        default=300,
        ge=0,
        description="How often `govdata serve` signs a ledger checkpoint when the ledger "
        "has grown (0: never; sign with `govdata ledger checkpoint`).",
    )
    run_stale_seconds: int = Field(
        default=120,
        ge=10,
        description="A running run without a heartbeat for this long is marked interrupted.",
    )
    subscription_transport: str = Field(
        default="outbox",
        description="How subscription change batches travel: outbox (kept in the metadata "
        "database, pulled and acknowledged through the API) or nats (NATS JetStream at "
        "nats_url).",
    )
    nats_url: str = Field(
        default="nats://127.0.0.1:4222",
        description="NATS server of the nats subscription transport (JetStream enabled).",
    )
    subscription_dispatch_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often `govdata serve` turns newly committed versions into change "
        "batches and runs queued bulk deliveries.",
    )
    subscription_redelivery_seconds: int = Field(
        default=60,
        ge=0,
        description="An unacknowledged change batch is delivered again after this long.",
    )
    subscription_stall_seconds: int = Field(
        default=86_400,
        ge=1,
        description="A subscription whose oldest batch stays unacknowledged this long is "
        "flagged stalled (subscription_stalled) and gets no new batches until it acknowledges.",
    )
    delivery_part_rows: int = Field(
        default=200_000,
        ge=1,
        description="Most rows one part of a bulk delivery holds (parts are row ranges of "
        "the version's Parquet files; each commits its own state, so a delivery resumes "
        "at the first part not done).",
    )
    max_upload_bytes: int = Field(
        default=2_147_483_648,
        ge=1024,
        description="Largest source file accepted by upload, in bytes.",
    )
    log_format: str = Field(
        default="console", description="console (human-readable) or json (one object per line)."
    )
    log_level: str = Field(default="INFO", description="Python logging level name.")

    @field_validator("job_runner")
    @classmethod
    def _known_job_runner(cls, value: str) -> str:
        if value not in {"subprocess", "inline", "none"}:
            raise ValueError("job_runner must be 'subprocess', 'inline' or 'none'")
        return value

    @field_validator("subscription_transport")
    @classmethod
    def _known_transport(cls, value: str) -> str:
        if value not in {"outbox", "nats"}:
            raise ValueError("subscription_transport must be 'outbox' or 'nats'")
        return value

    @field_validator("log_format")
    @classmethod
    def _known_log_format(cls, value: str) -> str:
        if value not in {"console", "json"}:
            raise ValueError("log_format must be 'console' or 'json'")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'govdata.sqlite3').resolve()}"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def search_dir(self) -> Path:
        """Where the catalog search index generations live (rebuildable)."""
        return self.data_dir / "search" / "catalog"

    @property
    def inbox_dir(self) -> Path:
        """Source files (uploaded, or placed here by the operator) live under here."""
        return self.data_dir / "inbox"

    @property
    def quarantine_dir(self) -> Path:
        """Quarantined rows of each run, as Parquet parts per run."""
        return self.data_dir / "quarantine"

    @property
    def deliveries_dir(self) -> Path:
        """Files of bulk deliveries, one directory per delivery, for grantees to download."""
        return self.data_dir / "deliveries"

    @property
    def effective_lake_uri(self) -> str:
        if self.lake_uri:
            return self.lake_uri
        return str((self.data_dir / "lake").resolve())
