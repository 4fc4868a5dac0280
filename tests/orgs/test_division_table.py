"""Specification tests for the division table shipped in ``orgs/data/divisions.csv``."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from govdata.orgs.codes import (
    NATION_CODE,
    DivisionLevel,
    check_division_code,
    division_level,
    parent_division_code,
)
from govdata.orgs.services import shipped_division_rows

Row = dict[str, Any]


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return shipped_division_rows()


@pytest.fixture(scope="module")
def by_code(rows: list[Row]) -> dict[str, Row]:
    return {row["code"]: row for row in rows}


def rows_at(rows: list[Row], level: DivisionLevel) -> list[Row]:
    return [row for row in rows if row["level"] == level.value]


def test_table_has_117_rows(rows: list[Row]) -> None:
    assert len(rows) == 1 + 1 + 12 + 103


def test_table_row_counts_per_level(rows: list[Row]) -> None:
    assert Counter(row["level"] for row in rows) == {
        DivisionLevel.NATION.value: 1,
        DivisionLevel.PROVINCE.value: 1,
        DivisionLevel.PREFECTURE.value: 12,
        DivisionLevel.COUNTY.value: 103,
    }


def test_table_nation_row_is_100000_without_parent(rows: list[Row]) -> None:
    (nation,) = rows_at(rows, DivisionLevel.NATION)
    assert nation["code"] == NATION_CODE
    assert nation["parent_code"] is None


def test_table_single_province_is_inner_mongolia(rows: list[Row]) -> None:
    (province,) = rows_at(rows, DivisionLevel.PROVINCE)
    assert (province["code"], province["name"]) == ("150000", "内蒙古自治区")
    assert province["parent_code"] == NATION_CODE


def test_table_prefecture_level_is_nine_cities_and_three_leagues(
    rows: list[Row],
) -> None:
    names = [row["name"] for row in rows_at(rows, DivisionLevel.PREFECTURE)]
    cities = [name for name in names if name.endswith("市")]
    leagues = {name for name in names if name.endswith("盟")}
    assert len(cities) == 9
    assert leagues == {"兴安盟", "锡林郭勒盟", "阿拉善盟"}
    assert len(names) == len(cities) + len(leagues)


def test_table_codes_are_unique(rows: list[Row]) -> None:
    duplicates = [code for code, n in Counter(r["code"] for r in rows).items() if n > 1]
    assert duplicates == []


def test_table_every_code_passes_check_division_code(rows: list[Row]) -> None:
    for row in rows:
        assert check_division_code(row["code"]) == row["code"]


def test_table_every_level_matches_code_structure(rows: list[Row]) -> None:
    mismatched = [
        (row["code"], row["level"])
        for row in rows
        if row["level"] != division_level(row["code"]).value
    ]
    assert mismatched == []


def test_table_every_parent_is_in_table_and_matches_code_structure(
    rows: list[Row], by_code: dict[str, Row]
) -> None:
    for row in rows:
        if row["level"] == DivisionLevel.NATION.value:
            continue
        assert row["parent_code"] in by_code, row
        assert row["parent_code"] == parent_division_code(row["code"]), row


def test_table_every_prefecture_has_a_county(rows: list[Row]) -> None:
    parents = {row["parent_code"] for row in rows_at(rows, DivisionLevel.COUNTY)}
    childless = [
        row["code"] for row in rows_at(rows, DivisionLevel.PREFECTURE) if row["code"] not in parents
    ]
    assert childless == []


def test_table_rows_have_names(rows: list[Row]) -> None:
    assert all(row["name"].strip() for row in rows)


@pytest.mark.parametrize(
    ("code", "name", "parent"),
    [
        ("150102", "新城区", "150100"),
        ("152921", "阿拉善左旗", "152900"),
        ("150603", "康巴什区", "150600"),
    ],
)
def test_table_spot_check(by_code: dict[str, Row], code: str, name: str, parent: str) -> None:
    row = by_code[code]
    assert row["name"] == name
    assert row["level"] == DivisionLevel.COUNTY.value
    assert row["parent_code"] == parent
