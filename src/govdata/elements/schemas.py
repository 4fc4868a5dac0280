"""Inputs and outputs of the data element actions."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from govdata.aggregation.columns import COLUMN_NAME, Check
from govdata.catalog.schemas import EntityId
from govdata.catalog.vocab import DataType
from govdata.schemas import StrictInput

ELEMENT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$")


class ElementDefine(StrictInput):
    """A node's own data element (a national element's code cannot be taken)."""

    code: str = Field(description="Element code, e.g. NM-DE-0101")
    name: str = Field(min_length=1, max_length=100, description="中文名称")
    identifier: str = Field(description="The usual column name (a-z, 0-9, _)")
    data_type: DataType
    length: int | None = Field(default=None, ge=1, le=100_000)
    standard: str = Field(default="", max_length=100, description="Defining standard")
    aliases: list[str] = Field(default_factory=list, max_length=20)
    check: Check | None = None
    codes: dict[str, str] = Field(
        default_factory=dict, max_length=2000, description="Code list: code → meaning"
    )
    description: str = Field(default="", max_length=2000)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not ELEMENT_CODE.match(value):
            raise ValueError("数据元编码只能由字母、数字和 ._- 组成，2 到 40 个字符")
        return value

    @field_validator("identifier")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not COLUMN_NAME.match(value):
            raise ValueError("标识符须以小写字母开头，只含小写字母、数字和下划线")
        return value


class ElementListQuery(StrictInput):
    q: str | None = Field(default=None, max_length=100, description="Name, alias or code")


class ElementOut(BaseModel):
    code: str
    name: str
    identifier: str
    data_type: str
    length: int | None
    standard: str
    aliases: list[str]
    check: str | None
    codes: dict[str, str]
    description: str
    origin: Literal["national", "node"]


class EntryConformanceQuery(StrictInput):
    entry_id: EntityId


class SourceConformanceQuery(StrictInput):
    source_id: EntityId
    version: int | None = Field(default=None, ge=0, description="Default: the latest version")


class Finding(BaseModel):
    subject: str = Field(description="The information item or column")
    element: str | None = Field(description="The matched element's code")
    element_name: str | None
    problem: str = Field(description="Stable code of the departure, or 'conforms'")
    severity: Literal["ok", "info", "warning", "error"]
    message: str
    values: dict[str, int] = Field(
        default_factory=dict, description="Values outside the code list and their counts"
    )


class ConformanceReport(BaseModel):
    subject_id: str
    subject_kind: Literal["entry", "source"]
    version: int | None
    matched: int
    conforming: int
    findings: list[Finding]

    @property
    def ratio(self) -> float | None:
        return self.conforming / self.matched if self.matched else None
