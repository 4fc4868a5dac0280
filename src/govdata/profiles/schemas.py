"""Input and output models of the profile actions."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from govdata.schemas import StrictInput

KindName = Literal["person", "enterprise"]


class ProfileBuild(StrictInput):
    kind: KindName = Field(description="person（一人一档）或 enterprise（一企一档）")
    organisation_id: str = Field(min_length=1, max_length=36, description="建档机构")
    source_ids: list[str] = Field(
        min_length=1, max_length=20, description="数据源，按权威程度从高到低排列"
    )
    threshold: float = Field(default=0.9, ge=0.5, le=0.999, description="概率匹配阈值")


class ProfileBuildOut(BaseModel):
    run_id: str
    kind: str
    records: int
    keyless: int
    linked_probabilistically: int
    profiles: int
    created: int
    kept: int
    merged: list[tuple[str, str]]


class ProfileRef(StrictInput):
    id: str = Field(min_length=1, max_length=36)


class AttributeValue(BaseModel):
    attribute: str
    value: str | None
    source_id: str
    source_name: str
    source_version: int | None
    record_key: str | None
    updated_at: str | None
    chosen: bool
    support: int


class LinkedRecord(BaseModel):
    source_id: str
    source_name: str
    source_version: int | None
    record_key: str | None
    method: str
    match_probability: float | None


class ProfileOut(BaseModel):
    id: str
    kind: str
    organisation_id: str
    requested_id: str  # differs from id when the request named a merged profile's alias
    golden: dict[str, AttributeValue]
    candidates: list[AttributeValue]
    records: list[LinkedRecord]
    audience: str
    masked: dict[str, str]


class ProfileSearch(StrictInput):
    kind: KindName = "person"
    id_number: str | None = Field(default=None, max_length=18)
    credit_code: str | None = Field(default=None, max_length=18)
    name: str | None = Field(default=None, max_length=200)
    organisation_id: str | None = Field(default=None, max_length=36, description="建档机构")
    limit: int = Field(default=20, ge=1, le=100)

    @model_validator(mode="after")
    def one_criterion(self) -> ProfileSearch:
        if not (self.id_number or self.credit_code or self.name):
            raise ValueError("请提供公民身份号码、统一社会信用代码或名称之一")
        return self


class ProfileHit(BaseModel):
    id: str
    kind: str
    organisation_id: str
    name: str | None
    records: int


class ProfileHits(BaseModel):
    hits: list[ProfileHit]
    audience: str
    masked: dict[str, str]
