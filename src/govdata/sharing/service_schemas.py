"""Input and output of the query and verification services."""

from __future__ import annotations

from pydantic import BaseModel, Field

from govdata.schemas import StrictInput

MAX_VERIFY_FIELDS = 10


class ServiceCall(StrictInput):
    """What every service call names: the grant it calls under, and (for a person
    testing from the portal) the application it acts for."""

    grant_id: str = Field(min_length=1, max_length=36, description="共享授权ID或编号")
    application_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=36,
        description="代哪个应用调用（仅门户测试台以本人身份调用时填写；应用签名调用时为该应用本身）",
    )
    source_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=36,
        description="目录下有多个数据源时指定其一",
    )


class ServiceQuery(ServiceCall):
    key: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="按主键查询（如公民身份号码）；与 where 至少给出一个",
    )
    where: dict[str, str] = Field(
        default_factory=dict, max_length=5, description="按授权字段等值过滤（列名 → 值）"
    )
    limit: int | None = Field(
        default=None, ge=1, le=1000, description="每页行数（默认且最多为授权的每次行数）"
    )
    offset: int = Field(default=0, ge=0, le=1_000_000)


class ServiceVerify(ServiceCall):
    values: dict[str, str] = Field(
        min_length=2,
        max_length=MAX_VERIFY_FIELDS,
        description="待核验的值（列名 → 值），须含主键列，如公民身份号码和姓名",
    )


class ServicePage(BaseModel):
    grant_id: str
    grant_number: str
    source_id: str
    version: int
    total: int = Field(description="授权范围内符合条件的行数")
    offset: int
    limit: int
    columns: list[str]
    rows: list[dict[str, object]]
    masked: dict[str, str] = Field(description="列名 → 脱敏方式")
    delivery_id: str = Field(description="本次交付的审计记录编号")


class FieldVerdict(BaseModel):
    name: str
    match: bool
    score: float | None = Field(
        default=None, description="姓名、地址等文本的相似度（0–1），仅在不完全一致时给出"
    )


class VerifyResult(BaseModel):
    grant_id: str
    grant_number: str
    source_id: str
    version: int
    found: bool = Field(description="是否存在该主键的记录（授权范围内）")
    fields: list[FieldVerdict]
    delivery_id: str
