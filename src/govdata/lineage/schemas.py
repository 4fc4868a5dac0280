"""Inputs and outputs of the lineage actions."""

from __future__ import annotations

from pydantic import BaseModel, model_validator

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


class LineageNode(BaseModel):
    id: str
    kind: str  # origin | job | table | library
    label: str
    detail: str
    href: str | None


class LineageEdge(BaseModel):
    source: str
    target: str


class ColumnOrigin(BaseModel):
    column: str
    dataset: str
    source_column: str


class LineageGraph(BaseModel):
    focus: str
    nodes: list[LineageNode]
    edges: list[LineageEdge]
    columns: list[ColumnOrigin]
