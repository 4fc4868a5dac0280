"""Input and output shapes of the organisations area."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from govdata.orgs.codes import CodeError, DivisionLevel, check_credit_code, check_division_code
from govdata.schemas import StrictInput


def _division_code(value: str) -> str:
    try:
        return check_division_code(value)
    except CodeError as exc:
        raise ValueError(str(exc)) from None


def _credit_code(value: str) -> str:
    try:
        return check_credit_code(value)
    except CodeError as exc:
        raise ValueError(str(exc)) from None


DivisionCode = Annotated[str, AfterValidator(_division_code)]
CreditCode = Annotated[str, AfterValidator(_credit_code)]


class DivisionRow(StrictInput):
    code: DivisionCode
    name: str = Field(min_length=1, max_length=100)
    level: DivisionLevel
    parent_code: DivisionCode | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class DivisionImport(StrictInput):
    edition: str = Field(min_length=1, max_length=50, description="Source edition label")
    effective: date | None = Field(
        default=None, description="Date the edition takes effect; empty for the first edition"
    )
    rows: list[DivisionRow] = Field(min_length=1)


class DivisionQuery(StrictInput):
    parent_code: DivisionCode | None = None
    level: DivisionLevel | None = None
    on: date | None = Field(default=None, description="Versions in force on this date")


class DivisionOut(BaseModel):
    code: str
    name: str
    level: DivisionLevel
    parent_code: str | None
    valid_from: date | None
    valid_to: date | None
    source_edition: str


class DivisionImportResult(BaseModel):
    edition: str
    added: int
    changed: int
    withdrawn: int
    unchanged: int


class RegionCreate(StrictInput):
    division_code: DivisionCode


class DepartmentCreate(StrictInput):
    name: str = Field(min_length=2, max_length=200)
    credit_code: CreditCode
    parent_id: str = Field(min_length=1, max_length=36)


class OrganisationId(StrictInput):
    id: str = Field(min_length=1, max_length=36)


class OrganisationKey(StrictInput):
    key: str = Field(
        min_length=1, max_length=36, description="Id, unified social credit code or division code"
    )


class TreeQuery(StrictInput):
    root_id: str | None = None
    kind: str | None = Field(default=None, pattern="^(region|department)$")


class OptionsQuery(StrictInput):
    permission: str = Field(min_length=3, max_length=100, description="A declared permission")


class OrganisationOption(BaseModel):
    id: str
    name: str
    kind: str
    division_code: str


class OrganisationStats(BaseModel):
    regions: int
    departments: int
    by_level: dict[str, int]


class StatsQuery(StrictInput):
    pass


class OrganisationOut(BaseModel):
    id: str
    kind: str
    name: str
    level: str
    division_code: str
    credit_code: str | None
    parent_id: str | None
    path: str


class OrganisationNode(OrganisationOut):
    children: list[OrganisationNode] = Field(default_factory=list)
