"""Chinese labels of the catalog pages: choices, field names, compared values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from govdata.catalog.codes import classification_options, parse_classification
from govdata.catalog.schemas import FieldChange, VersionComparison
from govdata.catalog.vocab import (
    DATA_TYPE_LABELS,
    FORMAT_CATEGORY_LABELS,
    GRADE_LABELS,
    OPEN_TYPE_LABELS,
    RESOURCE_KIND_LABELS,
    SHARE_METHOD_LABELS,
    SHARE_TYPE_LABELS,
    UPDATE_CYCLE_LABELS,
    VERSION_STATUS_LABELS,
)
from govdata.orgs.codes import CodeError

E = TypeVar("E", bound=StrEnum)


def _by_value(labels: Mapping[E, str]) -> dict[str, str]:
    return {member.value: label for member, label in labels.items()}


# Metadata fields as the form and the comparison name them.
FIELD_LABELS = {
    "organisation_id": "提供部门",
    "name": "资源名称",
    "classification_code": "分类代码",
    "resource_code": "资源代码",
    "provider_code": "提供方代码",
    "abstract": "摘要",
    "format_category": "资源格式",
    "format_detail": "格式说明",
    "items": "信息项",
    "share_type": "共享类型",
    "share_conditions": "共享条件",
    "share_methods": "共享方式",
    "open_type": "开放类型",
    "open_conditions": "开放条件",
    "update_cycle": "更新周期",
    "related_codes": "关联资源代码",
    "resources": "数据资源",
    "grade": "分级",
    "items_file": "表头文件",
    "body": "目录",
}
ITEM_FIELD_LABELS = {
    "name": "名称",
    "data_type": "数据类型",
    "length": "长度",
    "grade": "分级",
    "sensitive": "敏感",
    "description": "说明",
}
RESOURCE_FIELD_LABELS = {
    "name": "名称",
    "kind": "类型",
    "location": "位置",
    "system_id": "信息系统",
}
OBLIGATION_STATE_LABELS = {
    "overdue": "已超期",
    "due_soon": "即将到期",
    "on_time": "期限内",
    "fulfilled": "已完成",
}
OBLIGATION_KIND_LABELS = {"register": "新增资源登记", "update": "资源变更更新"}
FACET_LABELS = {
    "region": "地区",
    "department": "提供部门",
    "classification": "分类",
    "share_type": "共享类型",
    "open_type": "开放类型",
    "grade": "分级",
    "update_cycle": "更新周期",
}


def classification_label(code: str) -> str:
    """``102001`` -> 基础信息资源/法人单位（目001）."""
    try:
        parsed = parse_classification(code)
    except CodeError:
        return code
    below = [
        f"{name}{part}"
        for name, part in (("目", parsed.entry_code), ("细目", parsed.detail_code))
        if part
    ]
    return parsed.label + (f"（{'、'.join(below)}）" if below else "")


@dataclass(frozen=True)
class Vocabulary:
    """The labels every catalog template looks values up in."""

    data_type: dict[str, str] = field(default_factory=lambda: _by_value(DATA_TYPE_LABELS))
    grade: dict[str, str] = field(default_factory=lambda: _by_value(GRADE_LABELS))
    share_type: dict[str, str] = field(default_factory=lambda: _by_value(SHARE_TYPE_LABELS))
    open_type: dict[str, str] = field(default_factory=lambda: _by_value(OPEN_TYPE_LABELS))
    share_method: dict[str, str] = field(default_factory=lambda: _by_value(SHARE_METHOD_LABELS))
    update_cycle: dict[str, str] = field(default_factory=lambda: _by_value(UPDATE_CYCLE_LABELS))
    format_category: dict[str, str] = field(
        default_factory=lambda: _by_value(FORMAT_CATEGORY_LABELS)
    )
    resource_kind: dict[str, str] = field(default_factory=lambda: _by_value(RESOURCE_KIND_LABELS))
    status: dict[str, str] = field(default_factory=lambda: _by_value(VERSION_STATUS_LABELS))
    classifications: list[tuple[str, str]] = field(default_factory=classification_options)
    fields: dict[str, str] = field(default_factory=lambda: dict(FIELD_LABELS))
    item_fields: dict[str, str] = field(default_factory=lambda: dict(ITEM_FIELD_LABELS))
    obligation_state: dict[str, str] = field(default_factory=lambda: dict(OBLIGATION_STATE_LABELS))
    obligation_kind: dict[str, str] = field(default_factory=lambda: dict(OBLIGATION_KIND_LABELS))
    facets: dict[str, str] = field(default_factory=lambda: dict(FACET_LABELS))

    def classification(self, code: str) -> str:
        return classification_label(code)

    def field_name(self, path: str) -> str:
        return field_label(path)


VOCAB = Vocabulary()

# Compared values that are enum values, by the field that holds them.
_VALUE_LABELS: dict[str, dict[str, str]] = {
    "format_category": VOCAB.format_category,
    "share_type": VOCAB.share_type,
    "share_methods": VOCAB.share_method,
    "open_type": VOCAB.open_type,
    "update_cycle": VOCAB.update_cycle,
    "grade": VOCAB.grade,
    "data_type": VOCAB.data_type,
}


@dataclass(frozen=True)
class ShownChange:
    label: str
    before: str
    after: str


def _shown_value(field_name: str, text: str) -> str:
    if not text:
        return "（空）"
    labels = _VALUE_LABELS.get(field_name)
    if labels is None:
        return text
    return "、".join(labels.get(part, part) for part in text.split("、"))


def shown_changes(changes: list[FieldChange], labels: Mapping[str, str]) -> list[ShownChange]:
    """Field changes of a comparison with Chinese field names and values."""
    return [
        ShownChange(
            label=labels.get(change.field, change.field),
            before=_shown_value(change.field, change.before),
            after=_shown_value(change.field, change.after),
        )
        for change in changes
    ]


def comparison_view(comparison: VersionComparison) -> dict[str, object]:
    """What the changes page shows, labelled."""
    return {
        "fields": shown_changes(comparison.fields, FIELD_LABELS),
        "items_added": [c.name for c in comparison.items if c.change == "added"],
        "items_removed": [c.name for c in comparison.items if c.change == "removed"],
        "items_changed": [
            (c.name, shown_changes(c.fields, ITEM_FIELD_LABELS))
            for c in comparison.items
            if c.change == "changed"
        ],
    }


_ROW_FIELD = re.compile(r"^(items|resources)\.(\d+)(?:\.(\w+))?$")


def field_label(path: str) -> str:
    """A human name for an error's field path: ``items.3.data_type`` -> 信息项第4行·数据类型."""
    match = _ROW_FIELD.match(path)
    if match is not None:
        table, index, name = match.groups()
        row = f"{FIELD_LABELS[table]}第{int(index) + 1}行"
        names = ITEM_FIELD_LABELS if table == "items" else RESOURCE_FIELD_LABELS
        return f"{row}·{names.get(name, name)}" if name else row
    head, _, rest = path.partition(".")
    label = FIELD_LABELS.get(head, path)
    return f"{label}第{int(rest) + 1}项" if rest.isdigit() else label
