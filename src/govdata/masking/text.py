"""Finding sensitive values inside free text (remarks, case notes, addresses in prose).

Values with a check digit or a strict structure are found anywhere, between
characters that are not letters or digits (Chinese text around them is fine):
ID numbers, credit codes, bank cards, mobile and landline numbers, e-mail
addresses, and addresses that begin with a full province name. Each candidate
is kept only if it passes the same check as a single value would.

Names, other addresses and birth dates have no check digit; they are found
after a label that says what follows (``姓名：``, ``联系人``, ``住址：``,
``出生日期``...), and a labelled name must still start with a known surname.
What follows an address label is masked even when no division is recognised
in it: default deny.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from govdata.masking.address import PROVINCES, split_divisions
from govdata.masking.kinds import SensitiveKind
from govdata.masking.values import (
    email_parts,
    is_bank_card,
    is_chinese_name,
    is_credit_code,
    is_id_number,
    landline_parts,
    mobile_digits,
    parse_date,
)

_BEFORE = r"(?<![0-9A-Za-z])"
_AFTER = r"(?![0-9A-Za-z])"
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_STOP = r"\s，,。；;：:、！!？?）)】」』"


@dataclass(frozen=True)
class TextFinding:
    """A sensitive value found at ``text[start:end]``."""

    kind: SensitiveKind
    start: int
    end: int
    value: str


def _labelled(labels: str, value: str) -> re.Pattern[str]:
    return re.compile(rf"(?:{labels})[：:\s]*(?P<value>{value})")


_NAME_FOLLOWERS = "性别|身份|证件|电话|手机|联系|住址|地址|年龄|民族|出生|籍贯|单位"
_PROVINCE_NAMES = "|".join(full for full, _ in PROVINCES)

# (kind, pattern, check): the value is group "value" if present, else the match.
_FINDERS: tuple[tuple[SensitiveKind, re.Pattern[str], Callable[[str], bool]], ...] = (
    (
        SensitiveKind.ID_NUMBER,
        re.compile(rf"{_BEFORE}\d{{17}}[\dXx]{_AFTER}"),
        is_id_number,
    ),
    (
        SensitiveKind.BANK_CARD,
        re.compile(rf"{_BEFORE}\d{{16,19}}{_AFTER}"),
        is_bank_card,
    ),
    (
        SensitiveKind.CREDIT_CODE,
        re.compile(rf"{_BEFORE}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{{18}}{_AFTER}"),
        is_credit_code,
    ),
    (
        SensitiveKind.MOBILE,
        re.compile(rf"(?<![0-9A-Za-z+])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{{4}}){{2}}{_AFTER}"),
        lambda value: mobile_digits(value) is not None,
    ),
    (
        SensitiveKind.LANDLINE,
        re.compile(
            rf"{_BEFORE}(?:\(0\d{{2,3}}\)|0\d{{2,3}}-)[2-9]\d{{6,7}}(?:-\d{{1,6}})?{_AFTER}"
        ),
        lambda value: landline_parts(value) is not None,
    ),
    (
        SensitiveKind.EMAIL,
        re.compile(rf"{_BEFORE}[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{{2,24}}{_AFTER}"),
        lambda value: email_parts(value) is not None,
    ),
    (
        SensitiveKind.NAME,
        _labelled(
            "姓名|联系人|申请人|法定代表人|法人代表|负责人|经办人|户主|当事人|收件人|患者",
            rf"[{_HAN}]{{2,4}}?(?=[^{_HAN}]|$|{_NAME_FOLLOWERS})",
        ),
        is_chinese_name,
    ),
    (
        SensitiveKind.ADDRESS,
        _labelled(
            "户籍地址|家庭住址|现住址|通讯地址|联系地址|居住地|户籍地|住址|地址|住所",
            rf"[^{_STOP}]+",
        ),
        lambda value: True,
    ),
    (
        SensitiveKind.ADDRESS,
        re.compile(rf"(?:{_PROVINCE_NAMES})[^{_STOP}]*"),
        lambda value: len(split_divisions(value)[0]) >= 2,
    ),
    (
        SensitiveKind.DATE,
        _labelled(
            "出生日期|出生年月日|出生年月|出生|生日",
            r"\d{4}(?:[-/.]\d{1,2}[-/.]\d{1,2}|年\d{1,2}月\d{1,2}日?|\d{4})",
        ),
        lambda value: parse_date(value) is not None,
    ),
)


def find_in_text(text: str) -> list[TextFinding]:
    """Every sensitive value in ``text``, in order, without overlaps.

    Where candidates overlap, the one that starts first wins, then the one with
    the stronger check (the order of :data:`_FINDERS`).
    """
    candidates: list[tuple[int, int, TextFinding]] = []
    for priority, (kind, pattern, check) in enumerate(_FINDERS):
        for found in pattern.finditer(text):
            group = "value" if "value" in pattern.groupindex else 0
            value = found.group(group)
            if value and check(value):
                start, end = found.span(group)
                candidates.append((start, priority, TextFinding(kind, start, end, value)))
    candidates.sort(key=lambda item: (item[0], item[1]))
    chosen: list[TextFinding] = []
    reached = 0
    for start, _priority, finding in candidates:
        if start >= reached:
            chosen.append(finding)
            reached = finding.end
    return chosen


def replace_in_text(text: str, replace: Callable[[TextFinding], str]) -> str:
    """``text`` with each finding replaced by ``replace(finding)``."""
    pieces: list[str] = []
    position = 0
    for finding in find_in_text(text):
        pieces.append(text[position : finding.start])
        pieces.append(replace(finding))
        position = finding.end
    pieces.append(text[position:])
    return "".join(pieces)
