"""Input and output shapes of the catalog area."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from govdata.catalog.codes import check_classification_code, check_resource_code
from govdata.catalog.vocab import (
    DataType,
    FormatCategory,
    Grade,
    OpenType,
    ResourceKind,
    ShareMethod,
    ShareType,
    UpdateCycle,
    VersionStatus,
)
from govdata.orgs.codes import CodeError
from govdata.schemas import StrictInput

MAX_ITEMS = 2000
MAX_RESOURCES = 200
# Bounds that keep every number within the database's integer columns.
MAX_VERSION = 1_000_000
MAX_OFFSET = 100_000_000


def _code_checker(check: object) -> AfterValidator:
    def run(value: str) -> str:
        try:
            return check(value)  # type: ignore[operator,no-any-return]
        except CodeError as exc:
            raise ValueError(str(exc)) from None

    return AfterValidator(run)


ClassificationCode = Annotated[str, _code_checker(check_classification_code)]
ResourceCodeStr = Annotated[str, _code_checker(check_resource_code)]
EntityId = Annotated[str, Field(min_length=1, max_length=36)]


class ItemIn(StrictInput):
    """An information item (信息项) as a provider describes it."""

    name: str = Field(min_length=1, max_length=100)
    data_type: DataType
    length: int | None = Field(default=None, ge=1, le=1_000_000)
    grade: Grade = Grade.GENERAL_2
    sensitive: bool = False
    description: str = Field(default="", max_length=500)


class ResourceIn(StrictInput):
    """A data resource of the entry (目录—数据) and the system producing it (数据—系统)."""

    name: str = Field(min_length=1, max_length=200)
    kind: ResourceKind
    location: str = Field(default="", max_length=500, description="Table, path or endpoint")
    system_id: EntityId | None = None


class EntryMetadata(StrictInput):
    """The national catalog metadata of one version of an entry (C1)."""

    name: str = Field(min_length=2, max_length=200)
    classification_code: ClassificationCode
    resource_code: ResourceCodeStr
    abstract: str = Field(default="", max_length=4000)
    format_category: FormatCategory
    format_detail: str = Field(default="", max_length=100)
    items: list[ItemIn] = Field(default_factory=list, max_length=MAX_ITEMS)
    share_type: ShareType
    share_conditions: str = Field(default="", max_length=2000)
    share_methods: list[ShareMethod] = Field(default_factory=list, max_length=4)
    open_type: OpenType
    open_conditions: str = Field(default="", max_length=2000)
    update_cycle: UpdateCycle
    related_codes: list[ResourceCodeStr] = Field(default_factory=list, max_length=50)
    resources: list[ResourceIn] = Field(default_factory=list, max_length=MAX_RESOURCES)

    @model_validator(mode="after")
    def _consistent(self) -> EntryMetadata:
        prefix = self.resource_code.split("/", 1)[0]
        if prefix != self.classification_code:
            raise ValueError(
                f"资源代码的分类码“{prefix}”与分类代码“{self.classification_code}”不一致"
            )
        seen: set[str] = set()
        for item in self.items:
            if item.name in seen:
                raise ValueError(f"信息项“{item.name}”重复")
            seen.add(item.name)
        if self.resource_code in self.related_codes:
            raise ValueError("关联资源代码不能是本资源自身")
        if len(set(self.share_methods)) != len(self.share_methods):
            raise ValueError("共享方式重复")
        return self


class EntryCreate(EntryMetadata):
    organisation_id: EntityId = Field(description="The provider department")


class EntryUpdate(EntryMetadata):
    id: EntityId


class EntryId(StrictInput):
    id: EntityId


class VersionRef(StrictInput):
    id: EntityId
    number: int = Field(ge=1, le=MAX_VERSION)


class CompareQuery(StrictInput):
    id: EntityId
    number: int = Field(ge=2, le=MAX_VERSION, description="Compared with the version before it")


class ReviewInput(StrictInput):
    id: EntityId
    decision: Literal["publish", "return"]
    reasons: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=50
    )

    @model_validator(mode="after")
    def _reasons_for_return(self) -> ReviewInput:
        if self.decision == "return" and not self.reasons:
            raise ValueError("退回时须写明理由")
        return self


class EntryListQuery(StrictInput):
    organisation_id: EntityId | None = None
    status: VersionStatus | None = None
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)
    limit: int = Field(default=50, ge=1, le=500)


class QueueQuery(StrictInput):
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)
    limit: int = Field(default=50, ge=1, le=500)


class ProviderOut(BaseModel):
    id: str
    name: str
    credit_code: str | None
    division_code: str


class ItemOut(BaseModel):
    name: str
    data_type: DataType
    length: int | None
    grade: Grade
    sensitive: bool
    description: str


class ResourceOut(BaseModel):
    name: str
    kind: ResourceKind
    location: str
    system_id: str | None
    system_name: str | None


class Problem(BaseModel):
    """One finding of the pre-check: which field, and what is wrong."""

    field: str
    message: str


class VersionOut(BaseModel):
    number: int
    status: VersionStatus
    name: str
    classification_code: str
    resource_code: str
    provider_code: str
    abstract: str
    format_category: FormatCategory
    format_detail: str
    items: list[ItemOut]
    share_type: ShareType
    share_conditions: str
    share_methods: list[ShareMethod]
    open_type: OpenType
    open_conditions: str
    update_cycle: UpdateCycle
    related_codes: list[str]
    resources: list[ResourceOut]
    grade: Grade | None
    publish_date: date | None
    created_at: datetime
    created_by: str
    submitted_at: datetime | None
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_reasons: list[str]


class VersionSummary(BaseModel):
    number: int
    status: VersionStatus
    name: str
    created_at: datetime
    reviewed_at: datetime | None
    publish_date: date | None


class EntryOut(BaseModel):
    id: str
    resource_code: str
    provider: ProviderOut
    published: VersionOut | None = Field(description="The version in force, if any")
    working: VersionOut | None = Field(
        description="The draft, submitted or returned version, shown to its department and "
        "reviewers only"
    )
    versions: list[VersionSummary]


class EntryBrief(BaseModel):
    """A line of a list or queue."""

    id: str
    resource_code: str
    name: str
    provider: ProviderOut
    number: int
    status: VersionStatus
    grade: Grade | None
    submitted_at: datetime | None
    updated_at: datetime


class EntryPage(BaseModel):
    total: int
    entries: list[EntryBrief]


class FieldChange(BaseModel):
    field: str
    before: str
    after: str


class ItemChange(BaseModel):
    name: str
    change: Literal["added", "removed", "changed"]
    fields: list[FieldChange]


class VersionComparison(BaseModel):
    id: str
    before: int
    after: int
    fields: list[FieldChange]
    items: list[ItemChange]
    resources_added: list[str]
    resources_removed: list[str]


class SystemCreate(StrictInput):
    """An information system (信息系统) that produces data resources."""

    organisation_id: EntityId
    name: str = Field(min_length=2, max_length=200)
    description: str = Field(default="", max_length=2000)
    started_on: date | None = Field(
        default=None,
        description="When the system began producing data; its resources must be "
        "registered within 20 working days of it (C6)",
    )


class SystemQuery(StrictInput):
    organisation_id: EntityId | None = None


class SystemOut(BaseModel):
    id: str
    organisation_id: str
    organisation_name: str
    name: str
    description: str
    started_on: date | None
    created_at: datetime


class ExportQuery(StrictInput):
    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=100, ge=1, le=1000)
    organisation_id: EntityId | None = None
    resource_codes: list[ResourceCodeStr] = Field(default_factory=list, max_length=1000)


class ExportPage(BaseModel):
    total: int
    page: int
    page_size: int
    entries: list[EntryOut]


class ObligationCreate(StrictInput):
    """A new resource to register, or a change to a published entry to update (C6)."""

    kind: Literal["register", "update"]
    organisation_id: EntityId | None = Field(
        default=None, description="The department owing a registration (kind=register)"
    )
    entry_id: EntityId | None = Field(
        default=None, description="The published entry to update (kind=update)"
    )
    subject: str = Field(min_length=2, max_length=300)
    started_on: date | None = Field(
        default=None, description="When the resource appeared or changed; today if empty"
    )

    @model_validator(mode="after")
    def _target(self) -> ObligationCreate:
        if self.kind == "register" and self.organisation_id is None:
            raise ValueError("登记任务须指定部门（organisation_id）")
        if self.kind == "update" and self.entry_id is None:
            raise ValueError("更新任务须指定目录（entry_id）")
        return self


class DeadlineQuery(StrictInput):
    organisation_id: EntityId | None = None
    state: Literal["on_time", "due_soon", "overdue"] | None = None
    on: date | None = Field(default=None, description="Judge as of this day (default today)")
    include_fulfilled: bool = False
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)
    limit: int = Field(default=100, ge=1, le=1000)


class ObligationOut(BaseModel):
    id: str
    kind: Literal["register", "update"]
    organisation_id: str
    organisation_name: str
    subject: str
    entry_id: str | None
    system_id: str | None
    started_on: date
    due_on: date
    working_days_left: int | None = Field(
        description="Negative when overdue; empty when overdue in a year the calendar does "
        "not cover yet"
    )
    state: Literal["on_time", "due_soon", "overdue", "fulfilled"]
    fulfilled_at: datetime | None


class DepartmentDeadlines(BaseModel):
    organisation_id: str
    organisation_name: str
    overdue: int
    due_soon: int
    on_time: int


class DeadlineReport(BaseModel):
    judged_on: date
    overdue: int
    due_soon: int
    on_time: int
    departments: list[DepartmentDeadlines]
    total: int
    obligations: list[ObligationOut]


class LedgerQuery(StrictInput):
    region_code: Annotated[str, Field(pattern=r"^\d{6}$")] | None = Field(
        default=None, description="Only providers in this division and below"
    )


class LedgerRow(BaseModel):
    key: str
    label: str
    entries: int
    items: int
    resources: int


class Ledger(BaseModel):
    """The "one ledger" (一本账): published entries, items and resources."""

    entries: int
    items: int
    resources: int
    by_region: list[LedgerRow]
    by_department: list[LedgerRow]


class SearchInput(StrictInput):
    q: str = Field(default="", max_length=200, description="Words to find, in Chinese")
    region: str = Field(default="", max_length=200, description="Division codes, comma-separated")
    department: str = Field(
        default="", max_length=2000, description="Provider ids, comma-separated"
    )
    classification: str = Field(default="", max_length=200, description="类+项 codes, e.g. 101")
    share_type: str = Field(default="", max_length=100)
    open_type: str = Field(default="", max_length=100)
    grade: str = Field(default="", max_length=200)
    update_cycle: str = Field(default="", max_length=200)
    region_level: Literal["province", "city", "county"] | None = Field(
        default=None, description="Level the region facet counts at (default: below this node)"
    )
    page: int = Field(default=1, ge=1, le=500)
    page_size: int = Field(default=20, ge=1, le=100)


class FacetValue(BaseModel):
    value: str
    label: str
    count: int
    selected: bool


class SearchHitOut(BaseModel):
    id: str
    resource_code: str
    name: str
    provider_name: str
    score: float


class SearchOut(BaseModel):
    total: int
    page: int
    page_size: int
    terms: list[str]
    hits: list[SearchHitOut]
    facets: dict[str, list[FacetValue]]
    open_only: bool = Field(description="True when the caller sees only open entries")


class ReindexInput(StrictInput):
    pass


class ReindexOut(BaseModel):
    documents: int
    seconds: float
    size_bytes: int
