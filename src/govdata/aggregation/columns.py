"""Declared columns: the types data are converted to and the checks they pass.

A source declares the columns its table has; each one names the source column
it is read from, its type, and optionally a standard check. Base libraries
declare theirs the same way (:mod:`govdata.libraries.standards`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

import pyarrow as pa
from pydantic import Field, field_validator, model_validator

from govdata.schemas import StrictInput


class ColumnType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    TIMESTAMP = "timestamp"
    BOOLEAN = "boolean"


COLUMN_TYPE_LABELS = {
    ColumnType.STRING: "文本",
    ColumnType.INTEGER: "整数",
    ColumnType.DECIMAL: "小数",
    ColumnType.DATE: "日期",
    ColumnType.TIMESTAMP: "日期时间",
    ColumnType.BOOLEAN: "是/否",
}


class Check(StrEnum):
    """Standard checks a value must pass (else the row is quarantined)."""

    ID_NUMBER = "id_number"  # GB 11643 citizen identity number, check digit
    CREDIT_CODE = "credit_code"  # GB 32100 unified social credit code, check char
    DIVISION_CODE = "division_code"  # GB/T 2260 administrative division code (6 digits)
    PHONE = "phone"  # mainland mobile (1xxxxxxxxxx) or landline (0xx-xxxxxxx)
    SEX = "sex"  # GB/T 2261.1: 0 未知, 1 男, 2 女, 9 未说明


# Personal identifiers stored encrypted unless a column says otherwise (X4).
ENCRYPTED_BY_DEFAULT = frozenset({Check.ID_NUMBER, Check.PHONE})

CHECK_LABELS = {
    Check.ID_NUMBER: "公民身份号码（GB 11643 校验码）",
    Check.CREDIT_CODE: "统一社会信用代码（GB 32100 校验码）",
    Check.DIVISION_CODE: "行政区划代码（GB/T 2260）",
    Check.PHONE: "电话号码",
    Check.SEX: "性别代码（GB/T 2261.1）",
}

COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Columns govdata adds to every stored table; sources may not declare them.
RESERVED_PREFIX = "_gd_"

DEFAULT_MAX_LENGTH = 4000


class ColumnSpec(StrictInput):
    name: Annotated[str, Field(description="Column name in the stored table (a-z, 0-9, _).")]
    label: str = Field(default="", max_length=100, description="Chinese label.")
    type: ColumnType = ColumnType.STRING
    source: str | None = Field(
        default=None,
        max_length=200,
        description="Source column it is read from; defaults to the name.",
    )
    required: bool = Field(default=False, description="An empty value quarantines the row.")
    check: Check | None = None
    max_length: int = Field(default=DEFAULT_MAX_LENGTH, ge=1, le=1_000_000)
    precision: int = Field(default=18, ge=1, le=38, description="Decimal digits in all.")
    scale: int = Field(default=2, ge=0, le=18, description="Decimal digits after the point.")
    encrypted: bool | None = Field(
        default=None,
        description="Store the column encrypted (SM4, deterministic). Default: yes for "
        "citizen ID and phone number checks, no otherwise. Text columns only.",
    )

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not COLUMN_NAME.match(value):
            raise ValueError("列名须以小写字母开头，只含小写字母、数字和下划线，最长 63 个字符")
        if value.startswith(RESERVED_PREFIX):
            raise ValueError(f"列名不能以 {RESERVED_PREFIX} 开头（系统保留）")
        return value

    @model_validator(mode="after")
    def _decimal_shape(self) -> ColumnSpec:
        if self.scale > self.precision:
            raise ValueError("小数位数不能大于总位数")
        if self.encrypted and self.type != ColumnType.STRING:
            raise ValueError("只有文本列可以加密存储")
        return self

    @property
    def source_name(self) -> str:
        return self.source or self.name

    @property
    def is_encrypted(self) -> bool:
        """Whether the column is stored encrypted (explicitly, or by its check)."""
        if self.encrypted is not None:
            return self.encrypted
        return self.type == ColumnType.STRING and self.check in ENCRYPTED_BY_DEFAULT

    def arrow_type(self) -> pa.DataType:
        return arrow_type(self)


def arrow_type(column: ColumnSpec) -> pa.DataType:
    """The Arrow (and so Delta / Parquet) type a declared column is stored as."""
    match column.type:
        case ColumnType.STRING:
            return pa.string()
        case ColumnType.INTEGER:
            return pa.int64()
        case ColumnType.DECIMAL:
            return pa.decimal128(column.precision, column.scale)
        case ColumnType.DATE:
            return pa.date32()
        case ColumnType.TIMESTAMP:
            return pa.timestamp("us")
        case ColumnType.BOOLEAN:
            return pa.bool_()


def encrypted_names(columns: Sequence[ColumnSpec]) -> list[str]:
    """The names of the columns stored encrypted."""
    return [column.name for column in columns if column.is_encrypted]


def arrow_schema(columns: list[ColumnSpec]) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c)) for c in columns])
