"""The dimensions and sub-indicators of GB/T 36344-2018 (数据质量评价指标).

Every rule measures one sub-indicator of one dimension; scores are rolled up
per dimension. The identifiers are English and stable (they are stored with
every result); the labels are the standard's Chinese names.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Dimension(StrEnum):
    NORMATIVITY = "normativity"
    COMPLETENESS = "completeness"
    ACCURACY = "accuracy"
    CONSISTENCY = "consistency"
    TIMELINESS = "timeliness"
    ACCESSIBILITY = "accessibility"


DIMENSION_LABELS: Mapping[Dimension, str] = {
    Dimension.NORMATIVITY: "规范性",
    Dimension.COMPLETENESS: "完整性",
    Dimension.ACCURACY: "准确性",
    Dimension.CONSISTENCY: "一致性",
    Dimension.TIMELINESS: "时效性",
    Dimension.ACCESSIBILITY: "可访问性",
}

SUB_INDICATORS: Mapping[Dimension, Mapping[str, str]] = {
    Dimension.NORMATIVITY: {
        "data_standard": "数据标准",
        "data_model": "数据模型",
        "metadata": "元数据",
        "business_rules": "业务规则",
        "reference_data": "权威参考数据",
        "security": "安全规范",
    },
    Dimension.COMPLETENESS: {
        "element_completeness": "数据元素完整性",
        "record_completeness": "数据记录完整性",
    },
    Dimension.ACCURACY: {
        "content_correctness": "数据内容正确性",
        "format_compliance": "数据格式合规性",
        "duplication": "数据重复率",
        "uniqueness": "数据唯一性",
        "dirty_data": "脏数据出现率",
    },
    Dimension.CONSISTENCY: {
        "same_data": "相同数据一致性",
        "related_data": "关联数据一致性",
    },
    Dimension.TIMELINESS: {
        "period_correctness": "基于时间段的正确性",
        "point_timeliness": "基于时间点的及时性",
        "sequence": "时序性",
    },
    Dimension.ACCESSIBILITY: {
        "accessible": "可访问",
        "available": "可用性",
    },
}


def dimension_of(value: str) -> Dimension:
    """The dimension named ``value``; a clear Chinese error otherwise."""
    try:
        return Dimension(value)
    except ValueError:
        known = "、".join(f"{d.value}（{DIMENSION_LABELS[d]}）" for d in Dimension)
        raise ValueError(f"未知的质量维度“{value}”，可用：{known}") from None


def check_sub_indicator(dimension: Dimension, sub_indicator: str) -> str:
    if sub_indicator not in SUB_INDICATORS[dimension]:
        known = "、".join(f"{k}（{v}）" for k, v in SUB_INDICATORS[dimension].items())
        raise ValueError(
            f"“{sub_indicator}”不是{DIMENSION_LABELS[dimension]}维度的评价指标，可用：{known}"
        )
    return sub_indicator
