"""Chinese names of profile attributes and linking methods, for the CLI and the portal."""

from __future__ import annotations

ATTRIBUTE_LABELS = {
    "id_number": "公民身份号码",
    "credit_code": "统一社会信用代码",
    "name": "名称",
    "sex": "性别",
    "birth_date": "出生日期",
    "legal_representative": "法定代表人",
    "division_code": "行政区划代码",
    "address": "地址",
    "phone": "联系电话",
}
PERSON_NAME_LABEL = "姓名"
METHOD_LABELS = {"exact": "证件号码精确匹配", "probabilistic": "概率匹配", "single": "单条记录"}
KIND_LABELS = {"person": "一人一档", "enterprise": "一企一档"}
MASKING_LABELS = {"partial": "部分遮蔽", "suppress": "不予显示"}


def attribute_label(kind: str, attribute: str) -> str:
    if attribute == "name" and kind == "person":
        return PERSON_NAME_LABEL
    return ATTRIBUTE_LABELS.get(attribute, attribute)


def method_label(method: str) -> str:
    return METHOD_LABELS.get(method, method)
