"""Catalog code rules (C2): classification codes and resource codes.

A classification code is 类 (1 digit: 1 basic, 2 theme, 3 department
resources), 项 (2 digits), optionally 目 (3 digits) and 细目 (3 digits), as in
the national catalog compilation guide. A resource code is the entry's
classification code, a slash and a sequence code of six digits:
``101001/000001``. The provider code is the provider department's unified
social credit code (GB 32100), checked in :mod:`govdata.orgs.codes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from govdata.orgs.codes import CodeError

CLASS_LABELS = {"1": "基础信息资源", "2": "主题信息资源", "3": "部门信息资源"}

# The second level (项) of each class, from the compilation guide's tables.
ITEM_LABELS: dict[str, dict[str, str]] = {
    "1": {
        "01": "人口",
        "02": "法人单位",
        "03": "自然资源和空间地理",
        "04": "社会信用",
        "05": "电子证照",
    },
    "2": {
        "01": "公共服务",
        "02": "健康保障",
        "03": "社会保障",
        "04": "食品药品安全",
        "05": "安全生产",
        "06": "价格监管",
        "07": "能源安全",
        "08": "信用体系",
        "09": "城乡建设",
        "10": "社区治理",
        "11": "生态环保",
        "12": "应急保障",
    },
    "3": {
        "01": "党中央",
        "02": "全国人大常委会",
        "03": "国务院",
        "04": "全国政协",
        "05": "最高人民法院",
        "06": "最高人民检察院",
        "07": "省（自治区、直辖市）及以下政务部门",
        "08": "计划单列市及以下政务部门",
    },
}

_CLASSIFICATION = re.compile(r"^([1-3])(\d{2})(\d{3})?(\d{3})?$")
_RESOURCE = re.compile(r"^(\d{3,9})/(\d{6})$")


@dataclass(frozen=True)
class Classification:
    """A parsed classification code: 类, 项 and, when given, 目 and 细目."""

    code: str
    class_code: str
    item_code: str
    entry_code: str | None
    detail_code: str | None

    @property
    def class_label(self) -> str:
        return CLASS_LABELS[self.class_code]

    @property
    def item_label(self) -> str:
        return ITEM_LABELS[self.class_code][self.item_code]

    @property
    def facet_key(self) -> str:
        """The 类+项 prefix that the catalog is browsed by."""
        return self.class_code + self.item_code

    @property
    def label(self) -> str:
        return f"{self.class_label}/{self.item_label}"


def parse_classification(code: str) -> Classification:
    match = _CLASSIFICATION.fullmatch(code)
    if match is None:
        raise CodeError(
            "分类代码应为“类”1位（1基础、2主题、3部门）+“项”2位，可再加“目”3位和“细目”3位"
        )
    class_code, item_code, entry_code, detail_code = match.groups()
    if detail_code is not None and entry_code is None:  # pragma: no cover - regex order
        raise CodeError("有“细目”时必须有“目”")
    if item_code not in ITEM_LABELS[class_code]:
        known = "、".join(f"{k}{v}" for k, v in ITEM_LABELS[class_code].items())
        raise CodeError(f"“{CLASS_LABELS[class_code]}”下没有“项”{item_code}（可选：{known}）")
    return Classification(code, class_code, item_code, entry_code, detail_code)


def check_classification_code(code: str) -> str:
    parse_classification(code)
    return code


@dataclass(frozen=True)
class ResourceCode:
    code: str
    classification: Classification
    sequence: str


def parse_resource_code(code: str) -> ResourceCode:
    match = _RESOURCE.fullmatch(code)
    if match is None:
        raise CodeError("资源代码应为“分类代码/6位顺序码”，例如 101001/000001")
    prefix, sequence = match.groups()
    if sequence == "000000":
        raise CodeError("顺序码从000001开始")
    return ResourceCode(code, parse_classification(prefix), sequence)


def check_resource_code(code: str) -> str:
    parse_resource_code(code)
    return code


def classification_options() -> list[tuple[str, str]]:
    """Every 类+项 code with its label, for forms and facets."""
    return [
        (class_code + item_code, f"{CLASS_LABELS[class_code]}/{item_label}")
        for class_code, items in ITEM_LABELS.items()
        for item_code, item_label in items.items()
    ]


def facet_label(facet_key: str) -> str:
    """The label of a 类+项 facet key such as ``101``."""
    return parse_classification(facet_key).label
