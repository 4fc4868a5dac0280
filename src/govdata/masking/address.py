"""Reading the administrative divisions at the start of a Chinese address.

An address is read left to right as a chain of divisions, each deeper than the
last: province (省, 自治区, 特别行政区, or one of the 34 province-level names
written without its suffix), prefecture (市, 州, 自治州, 地区, 盟), county
(县, 区, 旗, 自治县, 自治旗, 林区, 新区, or a 市 under a prefecture) and
township (镇, 乡, 街道, 苏木). Reading stops at the first piece that is not
a deeper division (a road, a number, a village); what follows is the rest.

Generalising an address keeps the divisions down to a chosen level and drops
everything else, so only recognised division names can come through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from govdata.orgs.codes import DivisionLevel

PROVINCES: tuple[tuple[str, str], ...] = (
    ("北京市", "北京"), ("天津市", "天津"), ("河北省", "河北"), ("山西省", "山西"),
    ("内蒙古自治区", "内蒙古"), ("辽宁省", "辽宁"), ("吉林省", "吉林"),
    ("黑龙江省", "黑龙江"), ("上海市", "上海"), ("江苏省", "江苏"), ("浙江省", "浙江"),
    ("安徽省", "安徽"), ("福建省", "福建"), ("江西省", "江西"), ("山东省", "山东"),
    ("河南省", "河南"), ("湖北省", "湖北"), ("湖南省", "湖南"), ("广东省", "广东"),
    ("广西壮族自治区", "广西"), ("海南省", "海南"), ("重庆市", "重庆"), ("四川省", "四川"),
    ("贵州省", "贵州"), ("云南省", "云南"), ("西藏自治区", "西藏"), ("陕西省", "陕西"),
    ("甘肃省", "甘肃"), ("青海省", "青海"), ("宁夏回族自治区", "宁夏"),
    ("新疆维吾尔自治区", "新疆"), ("台湾省", "台湾"), ("香港特别行政区", "香港"),
    ("澳门特别行政区", "澳门"),
)  # fmt: skip

# Province-level cities: the next division is a county-level district.
MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市", "北京", "天津", "上海", "重庆"})

LEVEL_RANK = {
    DivisionLevel.PROVINCE: 1,
    DivisionLevel.PREFECTURE: 2,
    DivisionLevel.COUNTY: 3,
    DivisionLevel.TOWNSHIP: 4,
}

_SUFFIX_LEVEL = {
    "省": DivisionLevel.PROVINCE,
    "自治区": DivisionLevel.PROVINCE,
    "特别行政区": DivisionLevel.PROVINCE,
    "自治州": DivisionLevel.PREFECTURE,
    "地区": DivisionLevel.PREFECTURE,
    "盟": DivisionLevel.PREFECTURE,
    "州": DivisionLevel.PREFECTURE,
    "县": DivisionLevel.COUNTY,
    "区": DivisionLevel.COUNTY,
    "旗": DivisionLevel.COUNTY,
    "自治县": DivisionLevel.COUNTY,
    "自治旗": DivisionLevel.COUNTY,
    "林区": DivisionLevel.COUNTY,
    "新区": DivisionLevel.COUNTY,
    "镇": DivisionLevel.TOWNSHIP,
    "乡": DivisionLevel.TOWNSHIP,
    "街道": DivisionLevel.TOWNSHIP,
    "街道办事处": DivisionLevel.TOWNSHIP,
    "苏木": DivisionLevel.TOWNSHIP,
}

# Longer suffixes first, so that 自治区 is not read as 区. Lookaheads keep 广州市
# from splitting at 州, 沙市区 at 市, 东乡族自治县 at 乡, and leave 市场 alone.
_SUFFIXES = (
    "特别行政区|自治区|自治州|自治县|自治旗|街道办事处|街道|苏木|林区|新区|地区"
    "|省|市(?![区场])|州(?![市区县])|盟|县|区|旗|镇|乡(?!族)"
)
# A division name is letters (Chinese characters), never digits, punctuation or
# the words that start a street address.
_SEGMENT = re.compile(rf"(?P<body>[^\W\d_路街巷弄村号]{{1,12}}?)(?P<suffix>{_SUFFIXES})")
_BLOCKS_SHORT_NAME = frozenset("省市州县区盟旗镇乡")


@dataclass(frozen=True)
class DivisionPart:
    """One division named in an address (``呼和浩特市``) and its level."""

    text: str
    level: DivisionLevel


def _province_at_start(address: str) -> tuple[DivisionPart, bool] | None:
    for full, _short in PROVINCES:
        if address.startswith(full):
            return DivisionPart(full, DivisionLevel.PROVINCE), full in MUNICIPALITIES
    for _full, short in PROVINCES:
        following = address[len(short) : len(short) + 1]
        if address.startswith(short) and following not in _BLOCKS_SHORT_NAME:
            return DivisionPart(short, DivisionLevel.PROVINCE), short in MUNICIPALITIES
    return None


def _level_of(suffix: str, deepest: int) -> DivisionLevel | None:
    """The level of a division with ``suffix`` below one of rank ``deepest``, if deeper."""
    if suffix == "市":
        if deepest < LEVEL_RANK[DivisionLevel.PREFECTURE]:
            return DivisionLevel.PREFECTURE
        level = DivisionLevel.COUNTY  # a county-level city under a prefecture
    else:
        level = _SUFFIX_LEVEL[suffix]
    return level if LEVEL_RANK[level] > deepest else None


def split_divisions(address: str) -> tuple[list[DivisionPart], str]:
    """The divisions at the start of ``address`` (outermost first) and the rest of it."""
    text = address.strip()
    parts: list[DivisionPart] = []
    position, deepest = 0, 0
    province = _province_at_start(text)
    if province is not None:
        part, municipality = province
        parts.append(part)
        position = len(part.text)
        deepest = LEVEL_RANK[DivisionLevel.PREFECTURE if municipality else DivisionLevel.PROVINCE]
    while position < len(text):
        found = _SEGMENT.match(text, position)
        if found is None:
            break
        level = _level_of(found["suffix"], deepest)
        if level is None:
            break
        parts.append(DivisionPart(found.group(), level))
        position, deepest = found.end(), LEVEL_RANK[level]
    return parts, text[position:]


def generalize_address(address: str, level: DivisionLevel) -> str | None:
    """The divisions of ``address`` down to ``level`` (None when none is recognised).

    An address that names no division at ``level`` keeps what it has above it:
    ``北京市朝阳区…`` generalised to the prefecture level is ``北京市``.
    """
    if level not in LEVEL_RANK:
        raise ValueError(f"地址只能概括到省、市、县或乡级，收到“{level}”")
    parts, _ = split_divisions(address)
    kept = [part.text for part in parts if LEVEL_RANK[part.level] <= LEVEL_RANK[level]]
    return "".join(kept) or None
