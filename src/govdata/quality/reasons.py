"""Why a failing row failed its rule, in Chinese, without repeating sensitive values.

Computed only for the failing rows that are kept (at most the cap per rule), so
it can afford Python. For columns stored encrypted the reason names the kind of
fault (format, birth date, check digit) and never the value or part of it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date

from govdata.orgs.codes import (
    CodeError,
    check_credit_code,
    check_division_code,
    check_organisation_code,
)
from govdata.quality.rules import KIND_LABELS, RuleKind, RuleSpec

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_DIGIT_OFFSET = ord("0") * sum(_ID_WEIGHTS)
_ID_CHECK_CHARS = "10X98765432"  # by the weighted sum mod 11


def _id_check_char(body: str) -> str:
    """:func:`govdata.orgs.codes.id_number_check_char` of 17 ASCII digits, summing the
    weights times the character codes at C speed."""
    total = sum(map(operator.mul, body.encode("ascii"), _ID_WEIGHTS)) - _ID_DIGIT_OFFSET
    return _ID_CHECK_CHARS[total % 11]


class _IdNumberFaults:
    """:func:`id_number_fault` for many values: the day and each six-digit prefix's
    structure checked once."""

    def __init__(self) -> None:
        self.today = date.today()  # noqa: DTZ011 (a calendar date)
        self.prefixes: dict[str, bool] = {}

    def well_formed_prefix(self, prefix: str) -> bool:
        known = self.prefixes.get(prefix)
        if known is None:
            try:
                check_division_code(prefix)
            except CodeError:
                known = False
            else:
                known = True
            self.prefixes[prefix] = known
        return known

    def __call__(self, value: str) -> str:  # noqa: PLR0911 (one case per fault)
        number = value.strip().upper()
        if len(number) != 18 or not number[:17].isascii() or not number[:17].isdigit():
            return "格式不符：应为17位数字加1位数字或X"
        if number[17] not in "0123456789X":
            return "格式不符：末位应为数字或X"
        if not self.well_formed_prefix(number[:6]):
            return "前6位不是有效的行政区划代码"
        try:
            born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            return "出生日期无效"
        if born > self.today or born.year < 1800:
            return "出生日期不在合理范围内"
        if number[17] != _id_check_char(number[:17]):
            return "校验码错误"
        return "前6位区划代码自出生以来未曾有效"


def id_number_fault(value: str) -> str:
    return _IdNumberFaults()(value)


def credit_code_fault(value: str) -> str:
    try:
        code = check_credit_code(value)
    except CodeError as error:
        return str(error)
    try:
        check_organisation_code(code[8:17])
    except CodeError as error:
        return f"其中的{error}"
    return "不符合统一社会信用代码规则"


def division_fault(value: str, rule: RuleSpec) -> str:
    try:
        check_division_code(value)
    except CodeError as error:
        return str(error)
    mode = rule.division_check.value if rule.division_check else "current"
    return {
        "current": "不在现行行政区划表中",
        "ever": "不在任何一版行政区划表中",
        "valid_since": "在所给日期之后未曾有效",
    }.get(mode, "行政区划代码无效")


def reason_for(rule: RuleSpec, value: object, *, sensitive: bool) -> str:  # noqa: PLR0911, PLR0912 (one case per rule kind)
    """The reason one value (None for rules on several columns or on the table) failed."""
    text = None if value is None else str(value)
    match rule.kind:
        case RuleKind.NOT_NULL:
            return "值为空"
        case RuleKind.ID_NUMBER if text is not None:
            return "公民身份号码" + id_number_fault(text)
        case RuleKind.CREDIT_CODE if text is not None:
            return credit_code_fault(text)
        case RuleKind.DIVISION_CODE if text is not None and not sensitive:
            return division_fault(text, rule)
        case RuleKind.PHONE:
            return "不是有效的手机号码或固定电话号码"
        case RuleKind.DATE:
            return f"不是有效日期，或不在 {rule.min or '-∞'} 至 {rule.max or '+∞'} 之间"
        case RuleKind.RANGE:
            low = rule.min if rule.min is not None else "-∞"
            return f"不在 {low} 至 {rule.max if rule.max is not None else '+∞'} 之间"
        case RuleKind.LENGTH:
            return f"长度不在 {rule.min or 0} 至 {rule.max or '∞'} 之间"
        case RuleKind.ENUM:
            return "取值不在代码表中"
        case RuleKind.PATTERN:
            return "不符合规定格式"
        case RuleKind.UNIQUE:
            return "与其他行重复"
        case RuleKind.REFERENCE:
            return f"在基础库“{rule.library}”的“{rule.library_column}”中不存在"
        case RuleKind.FRESHNESS:
            return "更新时间超出声明的更新周期"
        case RuleKind.SQL:
            return f"不满足条件：{rule.expression}"
    return f"不符合“{KIND_LABELS[rule.kind]}”规则"


def reasons_for(rule: RuleSpec, values: list[object], *, sensitive: bool) -> list[str]:
    """:func:`reason_for` of each value, computed once per distinct value."""
    fault: Callable[[object], str]
    if rule.kind == RuleKind.ID_NUMBER:
        faults = _IdNumberFaults()

        def fault(value: object) -> str:
            if value is None:
                return reason_for(rule, None, sensitive=sensitive)
            return "公民身份号码" + faults(str(value))
    else:

        def fault(value: object) -> str:
            return reason_for(rule, value, sensitive=sensitive)

    known: dict[object, str] = {}
    reasons: list[str] = []
    for value in values:
        reason = known.get(value)
        if reason is None:
            reason = known[value] = fault(value)
        reasons.append(reason)
    return reasons
