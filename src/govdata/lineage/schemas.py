"""Inputs and outputs of the lineage actions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from govdata.catalog.schemas import EntityId
from govdata.schemas import StrictInput


class LineageQuery(StrictInput):
    """The table to centre the graph on: a source's or a library's (exactly one)."""

    source_id: EntityId | None = None
    library_id: EntityId | None = None

    @model_validator(mode="after")
    def _one(self) -> LineageQuery:
        if (self.source_id is None) == (self.library_id is None):
            raise ValueError("须给出 source_id 或 library_id 之一")
        return self


class LineageDelivery(BaseModel):
    """The sharing facts of a ``grant`` or ``delivery`` node (absent on other nodes).

    ``method``: ``grant`` (the grant itself), ``bulk`` (one bulk delivery),
    ``bulk_earlier`` (older bulk deliveries summed up), ``service`` (the query and
    verification calls under the grant, summed up) or ``subscription``.
    """

    method: str
    grant_id: str
    grant_number: str
    grantee_org_id: str
    grantee_name: str
    status: str | None = None
    methods: list[str] = Field(default_factory=list)
    delivery_id: str | None = None
    target: str | None = None
    target_table: str | None = None
    version: int | None = None
    versions: list[int] = Field(default_factory=list)
    rows: int | None = None
    deliveries: int | None = None
    calls: int | None = None
    calls_by_service: dict[str, int] = Field(default_factory=dict)
    transport: str | None = None
    delivered_version: int | None = None
    acked_version: int | None = None
    batches: int | None = None
    last_at: datetime | None = None


class LineageNode(BaseModel):
    id: str
    kind: str  # origin | job | table | library | delivery | grant
    label: str
    detail: str
    href: str | None
    delivery: LineageDelivery | None = None


class LineageEdge(BaseModel):
    source: str
    target: str
    # What flowed along the edge, where it says: the table versions a delivery read.
    label: str = ""


class ColumnOrigin(BaseModel):
    column: str
    dataset: str
    source_column: str


class LineageGraph(BaseModel):
    focus: str
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    columns: list[ColumnOrigin]
