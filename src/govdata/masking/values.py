"""Per-value recognition of sensitive values: pattern **and** check digit or structure.

Patterns match ASCII digits only (``re.ASCII``): full-width digits and the
digits of other scripts are not read as numbers, and every pattern must match
the whole value (``fullmatch``: no trailing newline slips through). A value
counts as a kind only when its shape matches and its built-in
redundancy agrees: the GB 11643 check character, birth date and GB/T 2260
division of an ID number; the GB 32100 check character of a credit code; the
Luhn digit of a bank card; an allocated mobile number segment; a real area
code; a known surname. The national code checks themselves live in
:mod:`govdata.orgs.codes` and are reused here.
"""

from __future__ import annotations

import re
from datetime import date

from govdata.masking.address import split_divisions
from govdata.masking.kinds import SensitiveKind
from govdata.masking.surnames import NOT_NAME_ENDINGS, has_known_surname
from govdata.orgs.codes import CodeError, check_credit_code, check_id_number


def _allocated_segments() -> frozenset[str]:
    """The three-digit mobile segments of the public numbering plan (MIIT)."""
    segments = {f"13{d}" for d in range(10)} | {f"18{d}" for d in range(10)}
    segments |= {"145", "146", "147", "148", "149"}
    segments |= {f"15{d}" for d in "012356789"}
    segments |= {"162", "165", "166", "167"}
    segments |= {f"17{d}" for d in "012345678"}
    segments |= {f"19{d}" for d in "012356789"}
    return frozenset(segments)


MOBILE_SEGMENTS = _allocated_segments()

_MOBILE_SHAPE = re.compile(r"1[3-9]\d{9}", re.ASCII)
_MOBILE_DECORATION = re.compile(r"^(?:\+?86)?[- ]?(1\d{2})[- ]?(\d{4})[- ]?(\d{4})$", re.ASCII)
# Area codes: 010 and 02x are three digits with 8-digit local numbers; the rest
# are four digits (0[3-9]xx) with 7- or 8-digit local numbers. Local numbers
# never begin with 0 or 1.
_LANDLINE = re.compile(
    r"^(?:\+?86[- ]?)?\(?(?P<area>0(?:10|2\d)|0[3-9]\d{2})\)?(?P<sep>[- ]?)"
    r"(?P<local>[2-9]\d{6,7})(?P<ext>-\d{1,6})?$",
    re.ASCII,
)
_EMAIL = re.compile(
    r"^(?P<local>[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*)@"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})$",
    re.ASCII,
)
_DATE_SEPARATED = re.compile(
    r"^(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日?)$", re.ASCII
)
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII)
_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")


def is_id_number(value: str) -> bool:
    """An 18-character GB 11643 number: province, division, birth date, check character."""
    try:
        check_id_number(value)
    except CodeError:
        return False
    return value == value.strip()


def is_credit_code(value: str) -> bool:
    """An 18-character GB 32100 unified social credit code with a correct check character."""
    try:
        check_credit_code(value)
    except CodeError:
        return False
    return value == value.strip()


def mobile_digits(value: str) -> str | None:
    """The 11 digits of a mainland mobile number (``+86``, spaces and hyphens allowed)."""
    found = _MOBILE_DECORATION.fullmatch(value)
    if found is None:
        return None
    digits = "".join(found.groups())
    if _MOBILE_SHAPE.fullmatch(digits) is None or digits[:3] not in MOBILE_SEGMENTS:
        return None
    return digits


def is_mobile(value: str) -> bool:
    return mobile_digits(value) is not None


def landline_parts(value: str) -> tuple[str, str, str, str] | None:
    """(area code, separator, local number, extension) of a fixed-line number."""
    found = _LANDLINE.fullmatch(value)
    if found is None:
        return None
    area, local = found["area"], found["local"]
    if len(area) == 3 and len(local) != 8:
        return None
    return area, found["sep"], local, found["ext"] or ""


def is_landline(value: str) -> bool:
    return landline_parts(value) is not None


def luhn_check_digit(body: str) -> str:
    """The Luhn (ISO/IEC 7812) check digit to append to the digits ``body``."""
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:  # doubled: the check digit will sit to its right
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def is_bank_card(value: str) -> bool:
    """16-19 digits starting with an issuer digit (3-6 or 9), with a valid Luhn digit."""
    if not (16 <= len(value) <= 19 and value.isascii() and value.isdigit()):
        return False
    if value[0] not in "34569":
        return False
    return luhn_check_digit(value[:-1]) == value[-1]


def is_chinese_name(value: str) -> bool:
    """2-4 Chinese characters beginning with a known surname, not ending like a place."""
    if not (2 <= len(value) <= 4) or _HAN.fullmatch(value) is None:
        return False
    return has_known_surname(value) and value[-1] not in NOT_NAME_ENDINGS


def email_parts(value: str) -> tuple[str, str] | None:
    """(local part, domain) of an e-mail address with a dotted domain and a letter TLD."""
    found = _EMAIL.fullmatch(value)
    if found is None or len(value) > 254:
        return None
    return found["local"], found["domain"]


def is_email(value: str) -> bool:
    return email_parts(value) is not None


def parse_date(value: str) -> date | None:
    """A calendar date written ``2024-01-05``, ``2024/1/5``, ``2024.01.05``,
    ``2024年1月5日`` or ``20240105``; None when it is not a real day."""
    found = _DATE_SEPARATED.fullmatch(value)
    if found is not None:
        year = found[1]
        month, day = (found[2], found[3]) if found[2] else (found[4], found[5])
    else:
        compact = _DATE_COMPACT.fullmatch(value)
        if compact is None:
            return None
        year, month, day = compact.groups()
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def is_date(value: str) -> bool:
    return parse_date(value) is not None


def is_address(value: str) -> bool:
    """At least two administrative divisions recognised at the start (省+市, 市+区...)."""
    parts, _ = split_divisions(value)
    return len(parts) >= 2


# The order is the precedence when a value passes more than one check: the
# strongest structure first (an 18-digit ID number may pass the Luhn check too),
# then, between equally weak checks, the more sensitive kind (an all-digit
# 18-character string can pass both the Luhn and the GB 32100 check: it is
# treated as a bank card, not as a public credit code).
CHECKS = (
    (SensitiveKind.ID_NUMBER, is_id_number),
    (SensitiveKind.BANK_CARD, is_bank_card),
    (SensitiveKind.CREDIT_CODE, is_credit_code),
    (SensitiveKind.MOBILE, is_mobile),
    (SensitiveKind.LANDLINE, is_landline),
    (SensitiveKind.EMAIL, is_email),
    (SensitiveKind.DATE, is_date),
    (SensitiveKind.NAME, is_chinese_name),
    (SensitiveKind.ADDRESS, is_address),
)


def is_kind(kind: SensitiveKind, value: str) -> bool:
    """Whether ``value`` is a valid value of ``kind`` (free text: always false)."""
    for candidate, check in CHECKS:
        if candidate is kind:
            return check(value)
    return False


def detect_value(value: str) -> SensitiveKind | None:
    """The kind of a single value, or None when no check passes."""
    for kind, check in CHECKS:
        if check(value):
            return kind
    return None
