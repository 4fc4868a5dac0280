"""Three population sources of the demo provider's department, loaded through the
real runner, for the profile journeys (actions, CLI, portal).

户籍人口 (the most authoritative) holds 李四 without a phone; 社保参保 holds him
with his phone and 王芳 without an identity number and with her name mistyped;
不动产登记 holds 李四 with a mistyped identity number and a newer address. A
crowd of unrelated people in every source gives the model non-matches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.aggregation.conftest import POPULATION_HEADER, population_columns, write_csv
from tests.profiles.test_linking import crowd

LI_SI = "150102199003071237"
WANG_FANG = "150104198512120023"
ZHANG_SAN = "11010519491231002X"
HOME = "内蒙古自治区呼和浩特市新城区中山路8号"
NEW_HOME = "内蒙古自治区呼和浩特市赛罕区大学西街5号"
LI_SI_PHONE = "13912345678"
FANG = "2,1985-12-12,150104,内蒙古自治区呼和浩特市玉泉区南二环路16号,13804712345"

SOURCES = {
    "户籍人口": [
        f"{LI_SI},李四,1,1990-03-07,150102,{HOME},,2024-01-02 09:30:00",
        f"{WANG_FANG},王芳,{FANG},2024-01-03 10:00:00",
        f"{ZHANG_SAN},张三,2,1949-12-31,110105,北京市朝阳区建国路1号,13800138000,2024-01-01 08:00",
    ],
    "社保参保": [
        f"{LI_SI},李四,1,1990-03-07,150102,{HOME},{LI_SI_PHONE},2025-03-01 10:00:00",
        f",汪芳,{FANG},2025-02-01 10:00:00",
    ],
    "不动产登记": [
        f"{LI_SI[:17]}0,李四,1,1990-03-07,150102,{NEW_HOME},{LI_SI_PHONE},2025-06-01 10:00:00",
    ],
}


def crowd_lines(count: int = 300) -> list[str]:
    fields = POPULATION_HEADER.split(",")
    return [",".join(row[name] or "" for name in fields) for row in crowd(count)]


def columns() -> list[dict[str, Any]]:
    """The population standard's columns; identity numbers may be missing or
    mistyped here (linking treats such records as keyless)."""
    return [
        column | {"required": False, "check": None} if column["name"] == "id_number" else column
        for column in population_columns()
    ]


@dataclass(frozen=True)
class Loaded:
    sources: dict[str, str]  # name → source id, most authoritative first


def load_sources(
    run: Callable[[str, dict[str, Any]], Any],
    run_now: Callable[..., Any],
    inbox: Path,
    entry_id: str,
) -> Loaded:
    people = crowd_lines()
    sources = {}
    for number, (name, rows) in enumerate(SOURCES.items(), start=1):
        location = write_csv(inbox, f"people-{number}.csv", [POPULATION_HEADER, *rows, *people])
        source = run(
            "source_register",
            {
                "entry_id": entry_id,
                "name": name,
                "kind": "csv",
                "location": location,
                "columns": columns(),
            },
        )
        finished = run_now(source.id)
        assert finished.status == "succeeded", finished
        sources[name] = str(source.id)
    return Loaded(sources)
