"""The behaviour rules as data: thresholds, learning, severity, Chinese labels.

The defaults below are the documented ones (docs/audit.md). A JSON file named by
the ``audit_rules_file`` setting overrides any of them, rule by rule and field by
field; a file that does not validate stops the node with a message naming the field.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Severity = Literal["high", "medium", "low"]
SEVERITY_LABELS = {"high": "高", "medium": "中", "low": "低"}


class RuleBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    label: str
    severity: Severity
    # A blocking rule stops the operation before data is returned.
    block: bool


class BulkVolumeRule(RuleBase):
    """Rows read in one Beijing day, against the account's learned usual volume."""

    label: str = "批量读取远超日常用量"
    severity: Severity = "high"
    block: bool = True
    default_daily_rows: int = Field(default=10_000, ge=1)
    history_days: int = Field(default=30, ge=1, le=366)
    min_active_days: int = Field(default=7, ge=2)
    sd_factor: float = Field(default=3.0, ge=0)
    # A learned threshold never goes below this (an account that read 10 rows a
    # day for a week may still read a page of 200).
    min_daily_rows: int = Field(default=500, ge=1)


class OffHoursRule(RuleBase):
    """Reads at an hour (Beijing time) the account does not usually work."""

    label: str = "非常规时段访问"
    severity: Severity = "medium"
    block: bool = False
    default_start_hour: int = Field(default=22, ge=0, le=23)
    default_end_hour: int = Field(default=6, ge=0, le=23)
    history_days: int = Field(default=30, ge=1, le=366)
    min_active_days: int = Field(default=7, ge=2)
    # An hour is usual once this share of the account's reads fell in it.
    min_hour_share: float = Field(default=0.02, gt=0, le=1)


class DistinctLookupsRule(RuleBase):
    """Many different filter values (ID numbers, keys) queried in a short window."""

    label: str = "短时间内大量查询不同身份标识"
    severity: Severity = "high"
    block: bool = True
    window_minutes: int = Field(default=10, ge=1)
    max_distinct: int = Field(default=20, ge=1)


class RepeatedDenialsRule(RuleBase):
    """Refused requests repeated within a short window."""

    label: str = "短时间内多次被拒绝访问"
    severity: Severity = "medium"
    block: bool = False
    window_minutes: int = Field(default=10, ge=1)
    max_denials: int = Field(default=5, ge=1)


class AuditRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bulk_volume: BulkVolumeRule = BulkVolumeRule()
    off_hours: OffHoursRule = OffHoursRule()
    distinct_lookups: DistinctLookupsRule = DistinctLookupsRule()
    repeated_denials: RepeatedDenialsRule = RepeatedDenialsRule()
    # How long a released alert lets its actor repeat the same operation.
    release_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)

    @model_validator(mode="after")
    def _hours_differ(self) -> AuditRules:
        hours = self.off_hours
        if hours.default_start_hour == hours.default_end_hour:
            raise ValueError("off_hours: default_start_hour 与 default_end_hour 不能相同")
        return self

    def label(self, rule: str) -> str:
        found: RuleBase = getattr(self, rule)
        return found.label


RULE_NAMES = ("bulk_volume", "off_hours", "distinct_lookups", "repeated_denials")


class RulesFileInvalid(ValueError):
    """The rules file cannot be used; the message names the file and the field."""


def load_rules(path: Path | None) -> AuditRules:
    if path is None:
        return AuditRules()
    return _load_file(str(path))


@lru_cache(maxsize=8)
def _load_file(path: str) -> AuditRules:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RulesFileInvalid(f"审计规则文件 {path} 无法读取：{exc}") from None
    try:
        return AuditRules.model_validate(raw)
    except ValidationError as exc:
        problems = "；".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(整个文件)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise RulesFileInvalid(f"审计规则文件 {path} 有误：{problems}") from None
