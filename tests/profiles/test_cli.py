"""The profile commands, as an operator uses them on a fresh node with the demo.

The local operator reads values up to general data level 2 (X2), so the three
sources below are registered under the demo's general-grade entry; it reads them
as an authority over the region, so identity numbers come back masked.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.aggregation.conftest import POPULATION_HEADER
from tests.conftest import Invoke
from tests.profiles.journey import LI_SI, SOURCES, columns, crowd_lines

GENERAL_ENTRY = "202001/000001"  # graded general data level 1
AUTHORITY = "内蒙古自治区政务服务与数据管理局"


def _load(govdata: Invoke, tmp_path: Path) -> None:
    declared = tmp_path / "columns.json"
    declared.write_text(json.dumps(columns(), ensure_ascii=False), encoding="utf-8")
    people = crowd_lines(100)
    for number, (name, rows) in enumerate(SOURCES.items(), start=1):
        file = tmp_path / f"{number}.csv"
        file.write_bytes(("\n".join([POPULATION_HEADER, *rows, *people]) + "\n").encode("gbk"))
        added = govdata("aggregation", "inbox-add", str(file), "--as", f"profiles/{number}.csv")
        assert added.exit_code == 0, added.output
        registered = govdata(
            "aggregation", "add-source", "--entry", GENERAL_ENTRY, "--name", name,
            "--kind", "csv", "--location", f"profiles/{number}.csv", "--columns", str(declared),
        )  # fmt: skip
        assert registered.exit_code == 0, registered.output
        loaded = govdata("aggregation", "run", name_to_id(registered.output))
        assert loaded.exit_code == 0, loaded.output


def name_to_id(output: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith("已登记数据源"))
    return line.split("：", 1)[1].split("（", 1)[0].strip()


def test_an_operator_builds_finds_and_shows_a_profile_from_three_sources(
    govdata: Invoke, tmp_path: Path
) -> None:
    assert govdata("demo").exit_code == 0
    _load(govdata, tmp_path)

    built = govdata(
        "profiles", "build", "--organisation", AUTHORITY,
        *(arg for name in SOURCES for arg in ("--source", name)),
    )  # fmt: skip
    assert built.exit_code == 0, built.output
    assert "一人一档建档完成" in built.output
    assert "103" in built.output  # 3 people and a crowd of 100

    found = govdata("profiles", "search", "--id-number", LI_SI)
    assert found.exit_code == 0, found.output
    assert "找到 1 份档案" in found.output
    profile_id = next(
        word for line in found.output.splitlines() for word in line.split() if len(word) == 36
    )
    by_name = govdata("profiles", "search", "--name", "李四")
    assert profile_id in by_name.output

    shown = govdata("profiles", "show", profile_id)
    assert shown.exit_code == 0, shown.output
    for source in SOURCES:
        assert source in shown.output
    assert "概率匹配" in shown.output
    assert "150102********1237" in shown.output
    assert LI_SI not in shown.output
    assert "按读取身份遮蔽" in shown.output


def test_build_names_what_it_cannot_find(govdata: Invoke) -> None:
    assert govdata("demo").exit_code == 0
    result = govdata("profiles", "build", "--organisation", AUTHORITY, "--source", "没有这个源")
    assert result.exit_code == 1
    assert "没有数据源" in result.output


def test_search_needs_a_criterion(govdata: Invoke) -> None:
    assert govdata("demo").exit_code == 0
    result = govdata("profiles", "search")
    assert result.exit_code == 1
    assert "invalid_input" in result.output
