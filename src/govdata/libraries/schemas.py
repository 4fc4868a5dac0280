"""Inputs and outputs of the library actions."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from govdata.aggregation.columns import ColumnSpec
from govdata.aggregation.schemas import WhereValue
from govdata.catalog.schemas import EntityId
from govdata.schemas import StrictInput

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class LibraryCreate(StrictInput):
    """A base library from a national standard schema, or a theme library of its own."""

    organisation_id: EntityId = Field(description="The data authority's organisation")
    kind: Literal["base", "theme"]
    code: str = Field(description="Short identifier, e.g. population or theme_credit")
    name: str = Field(min_length=2, max_length=200)
    description: str = Field(default="", max_length=2000)
    standard: str | None = Field(
        default=None, description="Base libraries: population, legal_entity, ..."
    )
    columns: list[ColumnSpec] = Field(default_factory=list, max_length=500)
    key_columns: list[str] = Field(default_factory=list, max_length=10)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.match(value):
            raise ValueError("代码须以小写字母开头，只含小写字母、数字和下划线（2–41 个字符）")
        return value

    @model_validator(mode="after")
    def _shape(self) -> LibraryCreate:
        if self.kind == "base" and self.standard is None:
            raise ValueError("基础库须采用标准（standard）")
        if self.kind == "theme":
            if not self.columns:
                raise ValueError("主题库须声明列")
            names = {c.name for c in self.columns}
            missing = [k for k in self.key_columns if k not in names]
            if missing or not self.key_columns:
                raise ValueError("主题库须声明主键列，且主键列须在声明的列中")
        return self


class MemberAdd(StrictInput):
    library_id: EntityId
    source_id: EntityId
    mapping: dict[str, str] = Field(
        default_factory=dict,
        description="library column -> source table column; unmapped columns with the same "
        "name map to themselves",
    )
    priority: int = Field(default=100, ge=0, le=10_000, description="Lower wins on a shared key")


class LibraryRef(StrictInput):
    id: EntityId


class LibraryListQuery(StrictInput):
    kind: Literal["base", "theme"] | None = None


class MemberOut(BaseModel):
    id: str
    source_id: str
    source_name: str
    organisation_name: str
    mapping: dict[str, str]
    priority: int


class LibraryOut(BaseModel):
    id: str
    organisation_id: str
    kind: str
    code: str
    name: str
    description: str
    standard: str | None
    columns: list[ColumnSpec]
    key_columns: list[str]
    table_name: str
    members: list[MemberOut]
    current_version: int | None
    created_at: datetime


class LibraryDataQuery(StrictInput):
    library_id: EntityId
    version: int | None = Field(default=None, ge=0)
    where: dict[str, WhereValue] = Field(default_factory=dict, max_length=10)
    offset: int = Field(default=0, ge=0, le=10_000_000)
    limit: int = Field(default=100, ge=1, le=1000)


class LibraryPage(BaseModel):
    library_id: str
    version: int | None
    total: int
    columns: list[str]
    rows: list[dict[str, Any]]
    audience: str | None = None
    masked: dict[str, str] = Field(default_factory=dict)
