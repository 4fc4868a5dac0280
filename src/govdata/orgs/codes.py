"""Validators for the national identification codes the platform relies on.

* GB/T 2260 administrative division codes (6 digits; township codes extend them
  to 9 digits as in the national statistical division codes);
* GB 32100-2015 unified social credit codes (18 characters, check character
  computed modulo 31 over a 31-character alphabet);
* GB 11714 organisation codes (the 9-character body inside a credit code);
* GB 11643-1999 citizen identity numbers (18 characters, ISO 7064 MOD 11-2).

Each ``check_*`` function returns the normalised code or raises
:class:`CodeError` with a Chinese message that says exactly what is wrong.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class CodeError(ValueError):
    """A code that does not follow its standard."""


def _ascii_digits(text: str) -> bool:
    # str.isdigit() also accepts full-width and superscript digits.
    return text.isascii() and text.isdigit()


class DivisionLevel(StrEnum):
    NATION = "nation"
    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"
    TOWNSHIP = "township"


DIVISION_LEVEL_LABELS = {
    DivisionLevel.NATION: "国家",
    DivisionLevel.PROVINCE: "省级",
    DivisionLevel.PREFECTURE: "地级",
    DivisionLevel.COUNTY: "县级",
    DivisionLevel.TOWNSHIP: "乡级",
}

# The node of the whole country has no GB/T 2260 code; platforms conventionally
# use 100000 for it.
NATION_CODE = "100000"

# First two digits of every province-level division in GB/T 2260.
PROVINCE_PREFIXES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)  # fmt: skip


def division_level(code: str) -> DivisionLevel:
    """The level a well-formed division code denotes (see :func:`check_division_code`)."""
    if code == NATION_CODE:
        return DivisionLevel.NATION
    if len(code) == 9:
        return DivisionLevel.TOWNSHIP
    if code[2:] == "0000":
        return DivisionLevel.PROVINCE
    if code[4:] == "00":
        return DivisionLevel.PREFECTURE
    return DivisionLevel.COUNTY


def check_division_code(code: str) -> str:
    """Validate the structure of a GB/T 2260 code (or a 9-digit township code)."""
    code = code.strip()
    if code == NATION_CODE:
        return code
    if len(code) not in (6, 9) or not _ascii_digits(code):
        raise CodeError(f"行政区划代码“{code}”应为6位数字（乡级为9位数字）")
    if code[:2] not in PROVINCE_PREFIXES:
        raise CodeError(f"行政区划代码“{code}”的前两位“{code[:2]}”不是有效的省级代码")
    if code[2:4] == "00" and code[4:6] != "00":
        raise CodeError(f"行政区划代码“{code}”的地级部分为00时县级部分也应为00")
    # Townships hang under a county, or directly under a prefecture-level city
    # that has no counties (东莞 441900xxx, 中山 442000xxx, 儋州 460400xxx).
    if len(code) == 9 and (code[2:4] == "00" or code[6:] == "000"):
        raise CodeError(f"乡级区划代码“{code}”应以县级或地级代码开头并以非000的三位序号结尾")
    return code


def parent_division_code(code: str) -> str | None:
    """The code of the level directly above, by the code's structure."""
    level = division_level(code)
    if level is DivisionLevel.NATION:
        return None
    if level is DivisionLevel.PROVINCE:
        return NATION_CODE
    if level is DivisionLevel.PREFECTURE:
        return code[:2] + "0000"
    if level is DivisionLevel.COUNTY:
        return code[:4] + "00"
    return code[:6]


# GB 32100-2015 -------------------------------------------------------------

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))

CREDIT_REGISTRATION_AUTHORITIES = {
    "1": "机构编制",
    "2": "外交",
    "3": "司法行政",
    "4": "文化",
    "5": "民政",
    "6": "旅游",
    "7": "宗教",
    "8": "工会",
    "9": "工商",
    "A": "中央军委改革和编制办公室",
    "N": "农业",
    "Y": "其他",
}


def credit_code_check_char(body: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = 0
    for position, char in enumerate(body):
        value = CREDIT_CODE_ALPHABET.find(char)
        if value < 0:
            raise CodeError(f"字符“{char}”不属于统一社会信用代码字符集")
        total += value * _CREDIT_WEIGHTS[position]
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def check_credit_code(code: str) -> str:
    """Validate an 18-character unified social credit code (GB 32100-2015)."""
    code = code.strip().upper()
    if len(code) != 18:
        raise CodeError(f"统一社会信用代码应为18位，收到{len(code)}位")
    for position, char in enumerate(code, start=1):
        if char not in CREDIT_CODE_ALPHABET:
            raise CodeError(
                f"统一社会信用代码第{position}位“{char}”不是允许的字符（不使用I、O、Z、S、V）"
            )
    if code[0] not in CREDIT_REGISTRATION_AUTHORITIES:
        raise CodeError(f"统一社会信用代码第1位“{code[0]}”不是有效的登记管理部门代码")
    if not _ascii_digits(code[2:8]):
        raise CodeError("统一社会信用代码第3至8位应为登记管理机关的行政区划代码")
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise CodeError(f"统一社会信用代码校验位错误：第18位应为“{expected}”，实为“{code[17]}”")
    return code


def make_credit_code(body: str) -> str:
    """Append the check character to a 17-character body."""
    if len(body) != 17:
        raise CodeError(f"统一社会信用代码本体应为17位，收到{len(body)}位")
    return body + credit_code_check_char(body)


# GB 11714 ------------------------------------------------------------------

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code_check_char(body: str) -> str:
    """The GB 11714 check character for an 8-character organisation code body."""
    total = 0
    for char, weight in zip(body, _ORG_WEIGHTS, strict=True):
        if "0" <= char <= "9":
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        else:
            raise CodeError(f"组织机构代码字符“{char}”无效")
        total += value * weight
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def check_organisation_code(code: str) -> str:
    code = code.strip().upper().replace("-", "")
    if len(code) != 9:
        raise CodeError("组织机构代码应为9位（8位本体代码加1位校验码）")
    expected = organisation_code_check_char(code[:8])
    if code[8] != expected:
        raise CodeError(f"组织机构代码校验码错误：应为“{expected}”，实为“{code[8]}”")
    return code


# GB 11643-1999 -------------------------------------------------------------

_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))


def id_number_check_char(body: str) -> str:
    total = sum(int(char) * weight for char, weight in zip(body, _ID_WEIGHTS, strict=True))
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def check_id_number(number: str) -> str:
    """Validate an 18-character citizen identity number (structure and check)."""
    number = number.strip().upper()
    if len(number) != 18 or not _ascii_digits(number[:17]) or number[17] not in "0123456789X":
        raise CodeError("公民身份号码应为17位数字加1位数字或X")
    if number[:6] == NATION_CODE:  # an identity number names where it was issued
        raise CodeError(f"公民身份号码的前6位“{NATION_CODE}”不是签发地的行政区划代码")
    check_division_code(number[:6])
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    try:
        date(year, month, day)
    except ValueError:
        raise CodeError(f"公民身份号码中的出生日期“{number[6:14]}”无效") from None
    expected = id_number_check_char(number[:17])
    if number[17] != expected:
        raise CodeError(f"公民身份号码校验码错误：第18位应为“{expected}”，实为“{number[17]}”")
    return number
