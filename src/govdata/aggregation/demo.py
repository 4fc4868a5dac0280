"""Demo aggregation: population sources feeding the population base library.

公安厅's 居民户籍登记信息 entry gets a GBK CSV reported by police stations
(with a few bad rows, so the quarantine has something to show) and a table in
the department's own system (an SQLite file standing in for its database, so
the embedded demo needs no server). Both load into versioned tables and feed
the 人口基础库 owned by the region's data authority. 人力资源和社会保障厅's
社会保险参保缴费信息 entry gets a CSV of insured people: some of the same
people with newer addresses and phones, a tenth of them without an ID number
and a few with a mistyped name, so that one-person-one-file profiles are
built from three sources (exactly and probabilistically linked).
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from govdata.actions import Context
from govdata.aggregation.models import Library, Run, Source
from govdata.catalog.models import CatalogEntry
from govdata.libraries.standards import get_standard
from govdata.orgs.codes import id_number_check_char
from govdata.orgs.models import Organisation

POPULATION_ENTRY = "101001/000001"
SOCIAL_ENTRY = "203001/000001"
CSV_NAME = "demo/户籍人口-派出所上报.csv"
SOCIAL_CSV_NAME = "demo/社保参保人员.csv"
SOCIAL_SOURCE = "社保参保人员（社会保险信息系统）"
SYSTEM_FILE = "demo-sources/gongan-renkou.sqlite3"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌宁浩宇晨欣怡"
COUNTIES = ("150102", "150103", "150104", "150105", "150121", "150202", "150203", "150302")
STREETS = ("中山路", "新华大街", "锡林郭勒北路", "大学西街", "昭乌达路", "兴安南路", "呼伦贝尔南路")
HEADER = (
    "id_number",
    "name",
    "sex",
    "birth_date",
    "division_code",
    "address",
    "phone",
    "updated_at",
)

Run_ = Callable[[str, dict[str, Any]], Any]


def _person(rng: random.Random, serial: int) -> tuple[str, ...]:
    county = rng.choice(COUNTIES)
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    sex = rng.choice("12")
    # The 17th digit is odd for men (1) and even for women (2).
    order = f"{serial % 100:02d}{2 * rng.randrange(5) + (1 if sex == '1' else 0)}"
    body = f"{county}{born:%Y%m%d}{order}"
    number = body + id_number_check_char(body)
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    address = f"内蒙古自治区{rng.choice(STREETS)}{rng.randrange(1, 300)}号"
    phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
    updated = datetime(2026, 1, 1) + timedelta(minutes=rng.randrange(60 * 24 * 300))  # noqa: DTZ001
    return (
        number,
        name,
        sex,
        born.isoformat(),
        county,
        address,
        phone,
        f"{updated:%Y-%m-%d %H:%M:%S}",
    )


def people(count: int, seed: int) -> list[tuple[str, ...]]:
    rng = random.Random(seed)  # noqa: S311 (demo data, not security)
    seen: set[str] = set()
    rows: list[tuple[str, ...]] = []
    serial = 0
    while len(rows) < count:
        serial += 1
        row = _person(rng, serial)
        if row[0] not in seen:
            seen.add(row[0])
            rows.append(row)
    return rows


def write_demo_files(inbox: Path, data_dir: Path) -> tuple[Path, Path]:
    """The reported CSV (GBK, a few bad rows) and the department system's database."""
    csv_path = inbox / CSV_NAME
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    reported = people(600, seed=1)
    lines = [",".join(HEADER)] + [",".join(row) for row in reported]
    lines[10] = lines[10][:17] + ("0" if lines[10][17] != "0" else "1") + lines[10][18:]
    lines[20] = lines[20].replace(",", ',=HYPERLINK("http://example.invalid"),', 1)
    lines[30] = ",".join(reported[29][:3]) + ",1990-02-30," + ",".join(reported[29][4:])
    csv_path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    system_path = data_dir / SYSTEM_FILE
    system_path.parent.mkdir(parents=True, exist_ok=True)
    system_path.unlink(missing_ok=True)
    with sqlite3.connect(system_path) as connection:
        connection.execute(
            "CREATE TABLE hjrk (sfzh TEXT PRIMARY KEY, xm TEXT, xb TEXT, csrq TEXT, hjd TEXT, "
            "zz TEXT, lxdh TEXT, gxsj TEXT)"
        )
        # Half of the system's people are also in the reported file.
        connection.executemany(
            "INSERT INTO hjrk VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            reported[:300] + people(400, seed=2)[100:],
        )
        connection.executemany("INSERT INTO hjrk VALUES (?, ?, ?, ?, ?, ?, ?, ?)", flawed_people())
    write_social_file(inbox, reported[:200])
    return csv_path, system_path


def write_social_file(inbox: Path, known: list[tuple[str, ...]]) -> Path:
    """Insured people: ``known`` ones with a newer address and phone (every tenth
    without its ID number, every fifteenth with a mistyped given name), and others."""
    rng = random.Random(4)  # noqa: S311 (demo data, not security)
    rows: list[tuple[str, ...]] = []
    for index, person in enumerate(known):
        row = list(person)
        row[5] = f"内蒙古自治区{rng.choice(STREETS)}{rng.randrange(300, 600)}号"
        row[6] = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        row[7] = f"2026-11-{rng.randrange(1, 20):02d} 09:00:00"
        if index % 10 == 3:
            row[0] = ""
        if index % 15 == 7:
            row[1] = row[1][0] + rng.choice(GIVEN) + row[1][2:]
        rows.append(tuple(row))
    rows += people(100, seed=5)
    path = inbox / SOCIAL_CSV_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(HEADER)] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def flawed_people() -> list[tuple[str | None, ...]]:
    """People the load accepts but the library's quality rules flag: IDs whose first six
    digits were never a division, missing phones, a sex or birth date that contradicts
    the ID (so the demo quality run has failing rows to show)."""
    rows: list[tuple[str | None, ...]] = []
    for index, row in enumerate(people(12, seed=3)):
        person: list[str | None] = list(row)
        if index < 2:  # 150199 is shaped like a 呼和浩特 county code but never existed
            body = "150199" + str(row[0])[6:17]
            person[0] = body + id_number_check_char(body)
        elif index < 6:
            person[6] = None
        elif index == 6:
            person[2] = "2" if row[2] == "1" else "1"
        elif index == 7:
            person[3] = (date.fromisoformat(str(row[3])) + timedelta(days=1)).isoformat()
        rows.append(tuple(person))
    return rows


def load_demo_aggregation(ctx: Context, run: Run_) -> dict[str, Any]:
    """Register the demo sources and library; returns the run ids to execute."""
    entry = ctx.session.scalar(
        select(CatalogEntry).where(CatalogEntry.resource_code == POPULATION_ENTRY)
    )
    if entry is None or ctx.session.scalar(select(Source.id).where(Source.entry_id == entry.id)):
        return {"sources": 0, "runs": []}
    _, system_path = write_demo_files(ctx.settings.inbox_dir, ctx.settings.data_dir)
    columns = [c.model_dump(mode="json") for c in get_standard("population").columns]
    declared = [c for c in columns if c["name"] in HEADER]
    reported = run(
        "source_register",
        {
            "entry_id": entry.id,
            "name": "户籍人口（派出所上报，GBK 文件）",
            "kind": "csv",
            "location": CSV_NAME,
            "columns": declared,
            "strategy": "full",
        },
    )
    system_columns = dict(
        zip(HEADER, ("sfzh", "xm", "xb", "csrq", "hjd", "zz", "lxdh", "gxsj"), strict=True)
    )
    system = run(
        "source_register",
        {
            "entry_id": entry.id,
            "name": "户籍人口（人口信息管理系统）",
            "kind": "sql",
            "location": f"sqlite:///{system_path.resolve()}",
            "options": {"table": "hjrk"},
            "columns": [c | {"source": system_columns[c["name"]]} for c in declared],
            "strategy": "incremental",
            "key_columns": ["id_number"],
            "updated_column": "updated_at",
            "schedule": "0 2 * * *",
        },
    )
    sources = [reported, system]
    social_entry = ctx.session.scalar(
        select(CatalogEntry).where(CatalogEntry.resource_code == SOCIAL_ENTRY)
    )
    if social_entry is not None:
        optional_id = [c | {"required": False} if c["name"] == "id_number" else c for c in declared]
        sources.append(
            run(
                "source_register",
                {
                    "entry_id": social_entry.id,
                    "name": SOCIAL_SOURCE,
                    "kind": "csv",
                    "location": SOCIAL_CSV_NAME,
                    "columns": optional_id,
                    "strategy": "full",
                },
            )
        )
    runs = [run("run_start", {"source_id": s.id}).id for s in sources]
    authority = ctx.session.scalar(
        select(Organisation).where(Organisation.name == "内蒙古自治区政务服务与数据管理局")
    )
    assert authority is not None  # noqa: S101 (the demo region exists)
    if ctx.session.scalar(select(Library.id).where(Library.code == "population")) is None:
        library = run(
            "library_create",
            {
                "organisation_id": authority.id,
                "kind": "base",
                "code": "population",
                "name": "人口基础库",
                "standard": "population",
            },
        )
        run(
            "library_add_member", {"library_id": library.id, "source_id": system.id, "priority": 10}
        )
        run(
            "library_add_member",
            {"library_id": library.id, "source_id": reported.id, "priority": 20},
        )
    return {"sources": len(sources), "runs": runs}


def queue_demo_library_build(ctx: Context, run: Run_) -> str | None:
    library_id = ctx.session.scalar(select(Library.id).where(Library.code == "population"))
    if library_id is None:
        return None
    active = ctx.session.scalar(
        select(Run.id).where(Run.library_id == library_id, Run.status.in_(("queued", "running")))
    )
    if active is not None:
        return None
    return str(run("library_build", {"id": library_id}).id)
