"""Quality rules as declared per resource (in YAML, or as JSON through the API).

A rule set names the columns that identify a row (``key_columns``, defaulting
to the resource's key) and its rules. Each rule has a ``kind`` (a built-in
validator, or ``sql`` for a boolean expression of one's own), the column(s) it
checks, and the GB/T 36344 dimension and sub-indicator it measures (each kind
has a default; ``sql`` rules must say). See docs/quality.md.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from govdata.errors import InvalidInput
from govdata.quality.dimensions import Dimension, check_sub_indicator, dimension_of
from govdata.schemas import StrictInput

RULE_CODE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
COLUMN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
MAX_RULES = 200
MAX_ENUM_VALUES = 1000
MAX_YAML_CHARS = 200_000


class RuleKind(StrEnum):
    NOT_NULL = "not_null"
    ID_NUMBER = "id_number"
    CREDIT_CODE = "credit_code"
    DIVISION_CODE = "division_code"
    PHONE = "phone"
    DATE = "date"
    RANGE = "range"
    ENUM = "enum"
    PATTERN = "pattern"
    LENGTH = "length"
    UNIQUE = "unique"
    REFERENCE = "reference"
    FRESHNESS = "freshness"
    SQL = "sql"
    # Expanded, when the rule set is stored, into the rules its data element implies.
    ELEMENT = "element"


KIND_LABELS = {
    RuleKind.NOT_NULL: "非空",
    RuleKind.ID_NUMBER: "公民身份号码（GB 11643）",
    RuleKind.CREDIT_CODE: "统一社会信用代码（GB 32100）",
    RuleKind.DIVISION_CODE: "行政区划代码（GB/T 2260）",
    RuleKind.PHONE: "电话号码",
    RuleKind.DATE: "日期及范围",
    RuleKind.RANGE: "数值范围",
    RuleKind.ENUM: "代码表取值",
    RuleKind.PATTERN: "格式（正则表达式）",
    RuleKind.LENGTH: "长度",
    RuleKind.UNIQUE: "唯一性",
    RuleKind.REFERENCE: "参照基础库",
    RuleKind.FRESHNESS: "更新及时性",
    RuleKind.SQL: "自定义 SQL 条件",
    RuleKind.ELEMENT: "符合数据元",
}

# What each kind measures unless the rule says otherwise.
DEFAULT_MEASURE: dict[RuleKind, tuple[Dimension, str]] = {
    RuleKind.NOT_NULL: (Dimension.COMPLETENESS, "element_completeness"),
    RuleKind.ID_NUMBER: (Dimension.NORMATIVITY, "data_standard"),
    RuleKind.CREDIT_CODE: (Dimension.NORMATIVITY, "data_standard"),
    RuleKind.DIVISION_CODE: (Dimension.NORMATIVITY, "reference_data"),
    RuleKind.PHONE: (Dimension.ACCURACY, "format_compliance"),
    RuleKind.DATE: (Dimension.ACCURACY, "content_correctness"),
    RuleKind.RANGE: (Dimension.ACCURACY, "content_correctness"),
    RuleKind.ENUM: (Dimension.NORMATIVITY, "reference_data"),
    RuleKind.PATTERN: (Dimension.ACCURACY, "format_compliance"),
    RuleKind.LENGTH: (Dimension.ACCURACY, "format_compliance"),
    RuleKind.UNIQUE: (Dimension.ACCURACY, "uniqueness"),
    RuleKind.REFERENCE: (Dimension.CONSISTENCY, "related_data"),
    RuleKind.FRESHNESS: (Dimension.TIMELINESS, "point_timeliness"),
    RuleKind.ELEMENT: (Dimension.NORMATIVITY, "data_standard"),
}


class DivisionCheck(StrEnum):
    """How a division code (alone, or inside a citizen ID) is checked."""

    STRUCTURE = "structure"  # GB/T 2260 structure only
    CURRENT = "current"  # in the division table now
    EVER = "ever"  # in the division table at any time
    VALID_SINCE = "valid_since"  # valid at some time on or after a date (birth, ``at_column``)


class RuleSpec(StrictInput):
    code: str = Field(description="Identifier of the rule in its set (a-z, 0-9, _).")
    name: str = Field(default="", max_length=100, description="Chinese name shown to users.")
    kind: RuleKind
    column: str | None = Field(default=None, description="The column checked.")
    columns: list[str] = Field(
        default_factory=list, max_length=8, description="Columns of a composite uniqueness rule."
    )
    dimension: str | None = Field(default=None, description="GB/T 36344 dimension.")
    sub_indicator: str | None = None
    # enum
    values: list[str] = Field(default_factory=list, max_length=MAX_ENUM_VALUES)
    # range / date / length
    min: float | str | None = None
    max: float | str | None = None
    # pattern
    pattern: str | None = Field(default=None, max_length=500)
    # division_code / id_number
    division_check: DivisionCheck | None = None
    at_column: str | None = None
    # reference
    library: str | None = Field(default=None, max_length=63, description="Base library code.")
    library_column: str | None = None
    # freshness
    max_age_days: int | None = Field(default=None, ge=1, le=36_600)
    # element: a data element's code (see docs/elements.md)
    element: str | None = Field(default=None, max_length=40)
    # sql
    expression: str | None = Field(default=None, max_length=4000)
    description: str = Field(default="", max_length=500)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not RULE_CODE.match(value):
            raise ValueError("规则编号须以小写字母开头，只含小写字母、数字和下划线")
        return value

    @field_validator("column", "at_column", "library_column")
    @classmethod
    def _column_name(cls, value: str | None) -> str | None:
        if value is not None and not COLUMN.match(value):
            raise ValueError(f"列名“{value}”无效")
        return value

    @field_validator("columns")
    @classmethod
    def _column_names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not COLUMN.match(name):
                raise ValueError(f"列名“{name}”无效")
        return value

    @field_validator("dimension")
    @classmethod
    def _dimension(cls, value: str | None) -> str | None:
        return None if value is None else dimension_of(value).value

    @model_validator(mode="after")
    def _shape(self) -> RuleSpec:  # noqa: PLR0912 (one case per rule kind)
        kind = self.kind
        if kind == RuleKind.SQL:
            if not self.expression:
                raise ValueError("自定义 SQL 规则须给出 expression（返回真/假的条件表达式）")
            if self.dimension is None or self.sub_indicator is None:
                raise ValueError("自定义 SQL 规则须声明 dimension 和 sub_indicator")
        elif kind == RuleKind.UNIQUE:
            if not self.checked_columns:
                raise ValueError("唯一性规则须给出 column 或 columns")
        elif kind == RuleKind.FRESHNESS:
            pass  # column optional: without one the version's commit time is checked
        elif self.column is None:
            raise ValueError(f"{KIND_LABELS[kind]}规则须给出 column")
        if kind == RuleKind.ELEMENT and not self.element:
            raise ValueError("数据元规则须给出 element（数据元编码）")
        if kind == RuleKind.ENUM and not self.values:
            raise ValueError("代码表规则须给出 values（允许的取值）")
        if kind == RuleKind.PATTERN and not self.pattern:
            raise ValueError("格式规则须给出 pattern（正则表达式）")
        if kind == RuleKind.REFERENCE and not (self.library and self.library_column):
            raise ValueError("参照规则须给出 library（基础库代码）和 library_column")
        if kind in (RuleKind.RANGE, RuleKind.LENGTH) and self.min is None and self.max is None:
            raise ValueError("范围规则须给出 min 或 max")
        if kind in (RuleKind.RANGE, RuleKind.LENGTH):
            for bound in (self.min, self.max):
                if isinstance(bound, str):
                    raise ValueError("数值范围的 min、max 须为数字")  # noqa: TRY004 (pydantic)
        if kind == RuleKind.DATE:
            for bound in (self.min, self.max):
                if bound is not None and not _is_date_bound(bound):
                    raise ValueError("日期范围的 min、max 须为 YYYY-MM-DD 日期或 today")
        if self.at_column is not None and self.division_check != DivisionCheck.VALID_SINCE:
            raise ValueError("at_column 只用于 division_check: valid_since")
        dimension, sub = self.measure
        check_sub_indicator(dimension, sub)
        return self

    @property
    def checked_columns(self) -> list[str]:
        if self.columns:
            return list(self.columns)
        return [self.column] if self.column else []

    @property
    def measure(self) -> tuple[Dimension, str]:
        """The dimension and sub-indicator the rule measures (declared or by kind)."""
        default = DEFAULT_MEASURE.get(self.kind)
        dimension = Dimension(self.dimension) if self.dimension else None
        if dimension is None:
            assert default is not None  # noqa: S101 (sql rules must declare)
            dimension = default[0]
        sub = self.sub_indicator
        if sub is None:
            if default is not None and default[0] == dimension:
                sub = default[1]
            else:
                sub = next(iter(_first_sub(dimension)))
        return dimension, sub

    @property
    def label(self) -> str:
        return self.name or f"{KIND_LABELS[self.kind]}：{'、'.join(self.checked_columns)}"


def _first_sub(dimension: Dimension) -> list[str]:
    from govdata.quality.dimensions import SUB_INDICATORS  # noqa: PLC0415

    return list(SUB_INDICATORS[dimension])


def _is_date_bound(value: float | str) -> bool:
    if not isinstance(value, str):
        return False
    return value == "today" or bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


class RuleSetSpec(StrictInput):
    key_columns: list[str] = Field(
        default_factory=list, max_length=8, description="Columns identifying a failing row."
    )
    rules: list[RuleSpec] = Field(min_length=1, max_length=MAX_RULES)

    @field_validator("key_columns")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        for name in value:
            if not COLUMN.match(name):
                raise ValueError(f"列名“{name}”无效")
        return value

    @model_validator(mode="after")
    def _unique_codes(self) -> RuleSetSpec:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.code in seen:
                raise ValueError(f"规则编号“{rule.code}”重复")
            seen.add(rule.code)
        return self


def _fields(error: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in error.errors():
        loc = ".".join(str(part) for part in item["loc"]) or "rules"
        message = str(item["msg"]).removeprefix("Value error, ")
        fields[loc] = message
    return fields


def parse_rule_set(data: Any) -> RuleSetSpec:
    """A rule set from plain data; ``InvalidInput`` with the faulty fields otherwise.

    An unknown dimension has its own code (``quality_unknown_dimension``), any other
    fault ``quality_rules_invalid``.
    """
    if not isinstance(data, dict):
        raise InvalidInput(
            "规则集应为包含 rules 列表的对象",
            code="quality_rules_invalid",
            fields={"rules": "格式"},
        )
    try:
        return RuleSetSpec.model_validate(data)
    except ValidationError as error:
        fields = _fields(error)
        if any(loc.endswith(".dimension") for loc in fields):
            raise InvalidInput(
                "规则声明了未知的质量维度", code="quality_unknown_dimension", fields=fields
            ) from None
        raise InvalidInput(
            "规则集有误：" + "；".join(f"{k}：{v}" for k, v in list(fields.items())[:5]),
            code="quality_rules_invalid",
            fields=fields,
        ) from None


def load_rule_set_yaml(text: str) -> RuleSetSpec:
    """A rule set from YAML text, with Chinese errors naming the line or the field."""
    if len(text) > MAX_YAML_CHARS:
        raise InvalidInput(
            "规则文件过大", code="quality_rules_invalid", fields={"yaml": f"≤ {MAX_YAML_CHARS}"}
        )
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark is not None else ""
        raise InvalidInput(
            f"规则文件不是有效的 YAML{where and '（' + where + '）'}",
            code="quality_rules_invalid",
            fields={"yaml": where or "语法错误"},
        ) from None
    return parse_rule_set(_stringify_dates(data))


def _stringify_dates(data: Any) -> Any:
    """YAML reads 2020-01-01 as a date; rules take dates as text."""
    import datetime as dt  # noqa: PLC0415

    if isinstance(data, dict):
        return {key: _stringify_dates(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_stringify_dates(value) for value in data]
    if isinstance(data, dt.date):
        return data.isoformat()
    return data


def dump_rule_set_yaml(rule_set: RuleSetSpec) -> str:
    """The rule set as YAML (only the fields that are set)."""
    data = rule_set.model_dump(mode="json", exclude_defaults=True)
    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
