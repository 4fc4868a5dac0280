"""Input and output models of the verification actions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from govdata.schemas import StrictInput

NAME = r"^[a-z][a-z0-9_]{0,62}$"
KIND = r"^[a-z][a-z0-9_]{0,39}$"
MAX_SAMPLE = 10_000
MAX_CONFLICT_PAGE = 500


class TableRef(StrictInput):
    """A source's table or a library's table: exactly one of the two."""

    source_id: str | None = Field(default=None, min_length=1, max_length=36)
    library_id: str | None = Field(default=None, min_length=1, max_length=36)

    @model_validator(mode="after")
    def _one(self) -> TableRef:
        if (self.source_id is None) == (self.library_id is None):
            raise ValueError("请指定 source_id 或 library_id 之一")
        return self

    @property
    def ref(self) -> tuple[str, str]:
        if self.source_id is not None:
            return ("source", self.source_id)
        assert self.library_id is not None  # noqa: S101 (validated)
        return ("library", self.library_id)


class Designation(TableRef):
    field: str = Field(pattern=NAME, description="字段（主题的属性），如 address")
    note: str = Field(default="", max_length=500)


class AuthoritySet(StrictInput):
    organisation_id: str = Field(min_length=1, max_length=36)
    subject_kind: str = Field(pattern=KIND, description="主体类别，如 person、enterprise")
    designations: list[Designation] = Field(min_length=1, max_length=100)
    replace: bool = Field(default=False, description="替换字段已有的权威来源（否则视为矛盾的设定）")


class AuthorityListQuery(StrictInput):
    organisation_id: str | None = Field(default=None, max_length=36)
    subject_kind: str | None = Field(default=None, pattern=KIND)


class AuthorityOut(BaseModel):
    id: str
    organisation_id: str
    subject_kind: str
    field: str
    source_id: str | None
    library_id: str | None
    table_name: str
    note: str
    created_at: datetime
    created_by: str


class TableInput(TableRef):
    version: int | None = Field(default=None, ge=0, description="默认：当前版本")
    key_column: str | None = Field(
        default=None, min_length=1, max_length=63, description="默认：与比对键同名的列"
    )
    fields: dict[str, str] = Field(min_length=1, max_length=50, description="字段 → 本表的列名")

    @model_validator(mode="after")
    def _field_names(self) -> TableInput:
        import re  # noqa: PLC0415

        for name, column in self.fields.items():
            if not re.fullmatch(NAME, name):
                raise ValueError(f"字段名“{name[:63]}”不合规（小写字母开头，字母数字下划线）")
            if not 1 <= len(column) <= 63:
                raise ValueError(f"字段“{name}”的列名长度应为 1 至 63")
        return self


class RunStart(StrictInput):
    organisation_id: str = Field(min_length=1, max_length=36)
    subject_kind: str = Field(pattern=KIND)
    key: str = Field(pattern=NAME, description="比对键，如 id_number")
    tables: list[TableInput] = Field(min_length=2, max_length=10)
    sample_limit: int = Field(default=MAX_SAMPLE, ge=1, le=MAX_SAMPLE)

    @model_validator(mode="after")
    def _comparable(self) -> RunStart:
        refs = [table.ref for table in self.tables]
        if len(set(refs)) != len(refs):
            raise ValueError("同一张表不能重复参与比对")
        counts: dict[str, int] = {}
        for table in self.tables:
            for name in table.fields:
                counts[name] = counts.get(name, 0) + 1
        single = sorted(name for name, count in counts.items() if count < 2)
        if single:
            raise ValueError(f"字段只出现在一张表中，无法比对：{'、'.join(single)}")
        return self


class RunRef(StrictInput):
    id: str = Field(min_length=1, max_length=36)


class RunListQuery(StrictInput):
    organisation_id: str | None = Field(default=None, max_length=36)
    status: str | None = Field(default=None, pattern="^(succeeded|failed)$")
    limit: int = Field(default=50, ge=1, le=500)


class InputOut(BaseModel):
    index: int
    kind: str
    id: str
    name: str
    organisation_id: str
    version: int | None
    key_column: str
    fields: dict[str, str]


class FieldStatOut(BaseModel):
    field: str
    tables: list[int]
    authority: int | None
    keys: int
    compared: int
    agreeing: int
    conflicting: int
    missing: int
    resolved: int
    kept: int


class VerificationRunOut(BaseModel):
    id: str
    organisation_id: str
    subject_kind: str
    key: str
    status: str
    inputs: list[InputOut]
    fields: list[FieldStatOut]
    keys_total: int
    conflicts_total: int
    sample_limit: int
    requested_by: str
    started_at: datetime
    finished_at: datetime | None
    error_code: str | None
    error_message: str | None


class ConflictQuery(StrictInput):
    run_id: str = Field(min_length=1, max_length=36)
    field: str | None = Field(default=None, pattern=NAME)
    offset: int = Field(default=0, ge=0)
    limit: int = Field(default=50, ge=1, le=MAX_CONFLICT_PAGE)


class Evidence(BaseModel):
    table: int
    name: str
    version: int | None
    value: str | None


class ConflictOut(BaseModel):
    field: str
    key: str | None
    values: list[Evidence]
    resolution: str  # authority | unresolved
    authority: int | None
    resolved_value: str | None


class ConflictPage(BaseModel):
    run_id: str
    field: str | None
    total: int
    rows: list[ConflictOut]
    audience: str
    masked: dict[str, str]


class DuplicateScanStart(StrictInput):
    organisation_id: str = Field(min_length=1, max_length=36)
    source_ids: list[str] | None = Field(
        default=None,
        min_length=2,
        max_length=50,
        description="默认：本机构范围内全部已入库的数据源",
    )
    threshold: float = Field(default=0.5, gt=0, le=1, description="报告的最低列匹配率")
    match_score: float = Field(
        default=0.5, gt=0, le=1, description="两列视为对应的最低得分（名称 0.4 + 取值 0.6）"
    )
    sketch_size: int = Field(default=1024, ge=64, le=16_384, description="每列取值样本（哈希）数")

    @model_validator(mode="after")
    def _distinct(self) -> DuplicateScanStart:
        if self.source_ids is not None and len(set(self.source_ids)) != len(self.source_ids):
            raise ValueError("数据源重复")
        return self


class ColumnMatch(BaseModel):
    column_a: str
    column_b: str
    name_similarity: float
    value_jaccard: float
    key: bool


class DuplicatePairOut(BaseModel):
    source_a: str
    name_a: str
    organisation_a: str
    version_a: int
    source_b: str
    name_b: str
    organisation_b: str
    version_b: int
    column_match_ratio: float
    mean_value_jaccard: float
    row_overlap: float | None
    matches: list[ColumnMatch]


class DuplicateScanOut(BaseModel):
    id: str
    organisation_id: str
    status: str
    params: dict[str, float | int]
    sources: int
    pairs: list[DuplicatePairOut]
    requested_by: str
    started_at: datetime
    finished_at: datetime | None
    error_code: str | None
    error_message: str | None


class DuplicateListQuery(StrictInput):
    organisation_id: str | None = Field(default=None, max_length=36)
    limit: int = Field(default=20, ge=1, le=200)
