"""The kinds of sensitive values the masking package knows, with their labels."""

from __future__ import annotations

from enum import StrEnum


class SensitiveKind(StrEnum):
    """What a value is; decides which check, mask and pseudonym apply to it."""

    ID_NUMBER = "id_number"
    CREDIT_CODE = "credit_code"
    MOBILE = "mobile"
    LANDLINE = "landline"
    BANK_CARD = "bank_card"
    NAME = "name"
    ADDRESS = "address"
    EMAIL = "email"
    DATE = "date"
    FREE_TEXT = "free_text"


KIND_LABELS = {
    SensitiveKind.ID_NUMBER: "公民身份号码",
    SensitiveKind.CREDIT_CODE: "统一社会信用代码",
    SensitiveKind.MOBILE: "手机号码",
    SensitiveKind.LANDLINE: "固定电话号码",
    SensitiveKind.BANK_CARD: "银行卡号",
    SensitiveKind.NAME: "姓名",
    SensitiveKind.ADDRESS: "地址",
    SensitiveKind.EMAIL: "电子邮箱",
    SensitiveKind.DATE: "日期",
    SensitiveKind.FREE_TEXT: "自由文本",
}

# Kinds a format-preserving pseudonym exists for (free text: each value found in it).
PSEUDONYM_KINDS = frozenset(
    {
        SensitiveKind.ID_NUMBER,
        SensitiveKind.CREDIT_CODE,
        SensitiveKind.MOBILE,
        SensitiveKind.LANDLINE,
        SensitiveKind.BANK_CARD,
        SensitiveKind.NAME,
        SensitiveKind.EMAIL,
        SensitiveKind.FREE_TEXT,
    }
)
