"""Reading divisions at the start of an address, and generalising to a level."""

from __future__ import annotations

import pytest

from govdata.masking.address import generalize_address, split_divisions
from govdata.orgs.codes import DivisionLevel

FULL = "内蒙古自治区锡林郭勒盟锡林浩特市宝力根苏木巴彦宝力格嘎查12号"


def texts(address: str) -> list[str]:
    return [part.text for part in split_divisions(address)[0]]


def test_divisions_are_read_from_province_to_township() -> None:
    parts, rest = split_divisions(FULL)
    assert [(p.text, p.level) for p in parts] == [
        ("内蒙古自治区", DivisionLevel.PROVINCE),
        ("锡林郭勒盟", DivisionLevel.PREFECTURE),
        ("锡林浩特市", DivisionLevel.COUNTY),
        ("宝力根苏木", DivisionLevel.TOWNSHIP),
    ]
    assert rest == "巴彦宝力格嘎查12号"


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        (DivisionLevel.PROVINCE, "内蒙古自治区"),
        (DivisionLevel.PREFECTURE, "内蒙古自治区锡林郭勒盟"),
        (DivisionLevel.COUNTY, "内蒙古自治区锡林郭勒盟锡林浩特市"),
        (DivisionLevel.TOWNSHIP, "内蒙古自治区锡林郭勒盟锡林浩特市宝力根苏木"),
    ],
)
def test_an_address_generalises_to_the_chosen_level(level: DivisionLevel, expected: str) -> None:
    assert generalize_address(FULL, level) == expected


def test_a_municipality_is_both_province_and_prefecture() -> None:
    assert texts("北京市朝阳区建国路88号") == ["北京市", "朝阳区"]
    assert generalize_address("北京市朝阳区建国路88号", DivisionLevel.PREFECTURE) == "北京市"


def test_province_names_without_their_suffix_are_recognised() -> None:
    assert texts("内蒙古呼和浩特市赛罕区") == ["内蒙古", "呼和浩特市", "赛罕区"]


def test_a_prefecture_city_sharing_a_province_name_is_not_a_province() -> None:
    assert texts("吉林市船营区") == ["吉林市", "船营区"]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("广东省广州市天河区石牌街道", ["广东省", "广州市", "天河区", "石牌街道"]),
        ("湖北省荆州市沙市区", ["湖北省", "荆州市", "沙市区"]),
        (
            "甘肃省临夏回族自治州东乡族自治县锁南镇",
            ["甘肃省", "临夏回族自治州", "东乡族自治县", "锁南镇"],
        ),
        ("上海市浦东新区张江镇", ["上海市", "浦东新区", "张江镇"]),
        ("延边朝鲜族自治州延吉市", ["延边朝鲜族自治州", "延吉市"]),
    ],
)
def test_suffix_characters_inside_names_do_not_split_them(
    address: str, expected: list[str]
) -> None:
    assert texts(address) == expected


def test_reading_stops_at_the_street() -> None:
    parts, rest = split_divisions("呼和浩特市新城区中山东路1号市场")
    assert [p.text for p in parts] == ["呼和浩特市", "新城区"]
    assert rest == "中山东路1号市场"


def test_an_address_without_divisions_has_no_generalisation() -> None:
    assert generalize_address("中山东路1号", DivisionLevel.PROVINCE) is None


def test_the_nation_is_not_an_address_level() -> None:
    with pytest.raises(ValueError, match="省、市、县或乡级"):
        generalize_address(FULL, DivisionLevel.NATION)
