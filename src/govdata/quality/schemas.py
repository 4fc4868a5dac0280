"""Input and output models of the quality actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from govdata.schemas import StrictInput

MAX_FAILURE_PAGE = 500


class ResourceRef(StrictInput):
    """A source's table or a library's table: exactly one of the two."""

    source_id: str | None = Field(default=None, min_length=1, max_length=36)
    library_id: str | None = Field(default=None, min_length=1, max_length=36)

    @model_validator(mode="after")
    def _one(self) -> ResourceRef:
        if (self.source_id is None) == (self.library_id is None):
            raise ValueError("请指定 source_id 或 library_id 之一")
        return self


class RulesSet(ResourceRef):
    yaml: str | None = Field(default=None, max_length=200_000, description="Rules as YAML.")
    rules: dict[str, Any] | None = Field(
        default=None, description="Rules as JSON: {key_columns, rules: [...]}."
    )

    @model_validator(mode="after")
    def _one_form(self) -> RulesSet:
        if (self.yaml is None) == (self.rules is None):
            raise ValueError("请给出 yaml 或 rules 之一")
        return self


class RunStart(ResourceRef):
    version: int | None = Field(default=None, ge=0, description="Default: the current version.")


class RunRef(StrictInput):
    id: str = Field(min_length=1, max_length=36)


class RunListQuery(StrictInput):
    source_id: str | None = Field(default=None, max_length=36)
    library_id: str | None = Field(default=None, max_length=36)
    status: str | None = Field(default=None, pattern="^(succeeded|failed)$")
    limit: int = Field(default=50, ge=1, le=500)


class FailureQuery(StrictInput):
    run_id: str = Field(min_length=1, max_length=36)
    rule: str | None = Field(default=None, max_length=63, description="Rule code.")
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1, le=MAX_FAILURE_PAGE)


class ScoreQuery(StrictInput):
    source_id: str | None = Field(default=None, max_length=36)
    library_id: str | None = Field(default=None, max_length=36)
    organisation_id: str | None = Field(
        default=None, max_length=36, description="A department or a region (with its subtree)."
    )
    history: int = Field(default=30, ge=0, le=500, description="Runs of history per resource.")


class RuleSetOut(BaseModel):
    id: str
    source_id: str | None
    library_id: str | None
    organisation_id: str
    number: int
    key_columns: list[str]
    rules: list[dict[str, Any]]
    yaml: str
    updated_at: datetime
    updated_by: str


class RuleResultOut(BaseModel):
    rule_code: str
    rule_name: str
    kind: str
    dimension: str
    dimension_label: str
    sub_indicator: str
    sub_indicator_label: str
    columns: list[str]
    evaluated: int
    passed: int
    failed: int
    score: float | None
    failures_kept: int


class QualityRunOut(BaseModel):
    id: str
    source_id: str | None
    library_id: str | None
    organisation_id: str
    entry_id: str | None
    rule_set_number: int
    status: str
    lake_version: int | None
    rows_evaluated: int
    evaluated: int
    passed: int
    score: float | None
    dimensions: dict[str, float | None]
    error_code: str | None
    error_message: str | None
    requested_by: str
    started_at: datetime
    finished_at: datetime | None
    results: list[RuleResultOut] = Field(default_factory=list)


class FailureOut(BaseModel):
    rule_code: str
    key: dict[str, Any]
    values: dict[str, Any]
    reason: str


class FailurePage(BaseModel):
    run_id: str
    rule: str | None
    total_kept: int
    total_failed: int
    rows: list[FailureOut]
    audience: str
    masked: dict[str, str]


class Score(BaseModel):
    """Conforming ÷ evaluated, overall and per dimension."""

    evaluated: int
    passed: int
    score: float | None
    dimensions: dict[str, float | None]


class ResourceScore(Score):
    kind: str  # source | library
    id: str
    name: str
    organisation_id: str
    entry_id: str | None
    run_id: str
    version: int | None
    finished_at: datetime | None


class GroupScore(Score):
    id: str
    name: str
    resources: int


class HistoryPoint(BaseModel):
    run_id: str
    finished_at: datetime | None
    version: int | None
    score: float | None
    dimensions: dict[str, float | None]


class ScoreReport(BaseModel):
    resources: list[ResourceScore]
    entries: list[GroupScore]
    departments: list[GroupScore]
    regions: list[GroupScore]
    history: dict[str, list[HistoryPoint]]  # resource id → runs, oldest first
