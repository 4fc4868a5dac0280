"""The controlled vocabularies of a catalog entry, with their Chinese labels.

Values follow the national catalog compilation guide (政务信息资源目录编制指南):
share and open types, share methods, update cycles, resource formats and the
eleven information-item data types; grades follow GB/T 43697-2024 (core,
important and general data, general data in four sensitivity levels).
"""

from __future__ import annotations

from enum import StrEnum

# Grades live in a neutral module (govdata.grades); they are re-exported here (see
# __all__) because the catalog always offered them.
from govdata.grades import GRADE_LABELS, Grade, highest_grade


class ShareType(StrEnum):
    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    NONE = "none"


SHARE_TYPE_LABELS = {
    ShareType.UNCONDITIONAL: "无条件共享",
    ShareType.CONDITIONAL: "有条件共享",
    ShareType.NONE: "不予共享",
}


class OpenType(StrEnum):
    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    NONE = "none"


OPEN_TYPE_LABELS = {
    OpenType.UNCONDITIONAL: "无条件开放",
    OpenType.CONDITIONAL: "有条件开放",
    OpenType.NONE: "不予开放",
}


class ShareMethod(StrEnum):
    INTERFACE = "interface"
    TABLE = "table"
    FILE = "file"
    OTHER = "other"


SHARE_METHOD_LABELS = {
    ShareMethod.INTERFACE: "接口",
    ShareMethod.TABLE: "库表",
    ShareMethod.FILE: "文件",
    ShareMethod.OTHER: "其他",
}


class UpdateCycle(StrEnum):
    REALTIME = "realtime"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"
    IRREGULAR = "irregular"


UPDATE_CYCLE_LABELS = {
    UpdateCycle.REALTIME: "实时",
    UpdateCycle.DAILY: "每日",
    UpdateCycle.WEEKLY: "每周",
    UpdateCycle.MONTHLY: "每月",
    UpdateCycle.QUARTERLY: "每季度",
    UpdateCycle.SEMIANNUAL: "每半年",
    UpdateCycle.ANNUAL: "每年",
    UpdateCycle.IRREGULAR: "不定期",
}


class FormatCategory(StrEnum):
    DATABASE = "database"
    SPREADSHEET = "spreadsheet"
    DOCUMENT = "document"
    IMAGE = "image"
    MEDIA = "media"
    INTERFACE = "interface"
    OTHER = "other"


FORMAT_CATEGORY_LABELS = {
    FormatCategory.DATABASE: "数据库",
    FormatCategory.SPREADSHEET: "电子表格",
    FormatCategory.DOCUMENT: "电子文件",
    FormatCategory.IMAGE: "图形图像",
    FormatCategory.MEDIA: "流媒体",
    FormatCategory.INTERFACE: "接口",
    FormatCategory.OTHER: "其他",
}


class DataType(StrEnum):
    """The standard data types of an information item, by their one-letter codes."""

    CHARACTER = "C"
    NUMERIC = "N"
    CURRENCY = "Y"
    DATE = "D"
    DATETIME = "T"
    LOGICAL = "L"
    MEMO = "M"
    GENERAL = "G"
    DOUBLE = "B"
    INTEGER = "I"
    FLOAT = "F"


DATA_TYPE_LABELS = {
    DataType.CHARACTER: "字符型",
    DataType.NUMERIC: "数值型",
    DataType.CURRENCY: "货币型",
    DataType.DATE: "日期型",
    DataType.DATETIME: "日期时间型",
    DataType.LOGICAL: "逻辑型",
    DataType.MEMO: "备注型",
    DataType.GENERAL: "通用型",
    DataType.DOUBLE: "双精度型",
    DataType.INTEGER: "整型",
    DataType.FLOAT: "浮点型",
}

# Types whose values have a declared length that a consumer relies on.
LENGTH_REQUIRED = frozenset({DataType.CHARACTER, DataType.NUMERIC})


class ResourceKind(StrEnum):
    TABLE = "table"
    FILE = "file"
    INTERFACE = "interface"
    OTHER = "other"


RESOURCE_KIND_LABELS = {
    ResourceKind.TABLE: "库表",
    ResourceKind.FILE: "文件",
    ResourceKind.INTERFACE: "接口",
    ResourceKind.OTHER: "其他",
}


class VersionStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


VERSION_STATUS_LABELS = {
    VersionStatus.DRAFT: "草稿",
    VersionStatus.SUBMITTED: "待审核",
    VersionStatus.RETURNED: "已退回",
    VersionStatus.PUBLISHED: "已发布",
    VersionStatus.SUPERSEDED: "已被新版本替代",
}

# A version in one of these states is the entry's work in progress.
WORKING_STATES = frozenset({VersionStatus.DRAFT, VersionStatus.SUBMITTED, VersionStatus.RETURNED})

__all__ = [
    "DATA_TYPE_LABELS",
    "FORMAT_CATEGORY_LABELS",
    "GRADE_LABELS",
    "LENGTH_REQUIRED",
    "OPEN_TYPE_LABELS",
    "RESOURCE_KIND_LABELS",
    "SHARE_METHOD_LABELS",
    "SHARE_TYPE_LABELS",
    "UPDATE_CYCLE_LABELS",
    "VERSION_STATUS_LABELS",
    "WORKING_STATES",
    "DataType",
    "FormatCategory",
    "Grade",
    "OpenType",
    "ResourceKind",
    "ShareMethod",
    "ShareType",
    "UpdateCycle",
    "VersionStatus",
    "highest_grade",
]
