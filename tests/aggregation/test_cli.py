"""The aggregation commands, as an operator uses them on a fresh node with the demo.

The local operator acts as platform administrator over the whole node: it loads any
source, but reads stored values only up to general data level 2 (X2), so the reads
below use the demo's general-grade entry 医疗机构执业许可信息.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.aggregation.conftest import CLEAN_ROWS, POPULATION_HEADER
from tests.conftest import Invoke

MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"
GENERAL_ENTRY = "202001/000001"  # graded general data level 1
IMPORTANT_ENTRY = "101001/000001"  # 居民户籍登记信息, graded important


@pytest.fixture
def mariadb_table() -> Iterator[str]:
    engine = create_engine(MARIADB)
    table = f"cli_people_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TABLE {table} (id_number CHAR(18) PRIMARY KEY, name VARCHAR(50), "
                "sex CHAR(1), birth_date DATE, division_code CHAR(6), address VARCHAR(200), "
                "phone VARCHAR(20), updated_at DATETIME) DEFAULT CHARSET=utf8mb4"
            )
        )
        for line in CLEAN_ROWS:
            values = dict(zip("abcdefgh", line.split(","), strict=True))
            connection.execute(
                text(f"INSERT INTO {table} VALUES (:a, :b, :c, :d, :e, :f, :g, :h)"),  # noqa: S608 (generated table name)
                values,
            )
    try:
        yield table
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()


def _source_id(output: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith("已登记数据源"))
    return line.split("：", 1)[1].split("（", 1)[0].strip()


def test_an_operator_loads_a_gbk_file_and_a_mariadb_table_from_the_command_line(
    govdata: Invoke, tmp_path: Path, mariadb_table: str
) -> None:
    assert govdata("demo").exit_code == 0
    bad = "150102199003071231,赵六,1,1990-03-07,150102,某地,13800000000,2024-01-04 00:00:00"
    reported = tmp_path / "派出所上报.csv"
    reported.write_bytes(("\n".join([POPULATION_HEADER, *CLEAN_ROWS, bad]) + "\n").encode("gbk"))
    assert (
        govdata("aggregation", "inbox-add", str(reported), "--as", "cli/people.csv").exit_code == 0
    )

    added = govdata(
        "aggregation",
        "add-source",
        "--entry",
        GENERAL_ENTRY,
        "--name",
        "上报文件",
        "--kind",
        "csv",
        "--location",
        "cli/people.csv",
        "--standard",
        "population",
        "--max-bad",
        "0.5",
    )
    assert added.exit_code == 0, added.output
    csv_source = _source_id(added.output)
    loaded = govdata("aggregation", "run", csv_source)
    assert loaded.exit_code == 0, loaded.output
    assert "读取 4 行，写入 3 行，隔离 1 行" in loaded.output
    quarantine_run = loaded.output.split("任务 ", 1)[1].split("：", 1)[0]
    shown = govdata("aggregation", "quarantine", quarantine_run)
    assert "公民身份号码校验码错误" in shown.output
    out = tmp_path / "bad.csv"
    assert govdata("aggregation", "quarantine", quarantine_run, "--out", str(out)).exit_code == 0
    assert "赵六" in out.read_text(encoding="utf-8-sig")

    added = govdata(
        "aggregation",
        "add-source",
        "--entry",
        GENERAL_ENTRY,
        "--name",
        "人口系统",
        "--kind",
        "sql",
        "--location",
        MARIADB,
        "--option",
        f"table={mariadb_table}",
        "--standard",
        "population",
        "--strategy",
        "incremental",
        "--key",
        "id_number",
        "--updated",
        "updated_at",
    )
    assert added.exit_code == 0, added.output
    sql_source = _source_id(added.output)
    assert "写入 3 行" in govdata("aggregation", "run", sql_source).output
    assert "1" in govdata("aggregation", "versions", sql_source).output
    read = govdata("aggregation", "read", sql_source, "--version", "1", "--where", "name=王芳")
    # The operator is not the holding department: ID numbers come back masked.
    assert "150104********0023" in read.output
    assert "150104198512120023" not in read.output
    assert "共 1 行" in read.output
    assert "id_number（部分遮蔽）" in read.output
    manifest = tmp_path / "m.json"
    assert govdata("aggregation", "manifest", sql_source, "--out", str(manifest)).exit_code == 0
    assert '"total_rows": 3' in manifest.read_text(encoding="utf-8")


def test_the_operator_loads_important_data_but_may_not_read_it(
    govdata: Invoke, tmp_path: Path
) -> None:
    assert govdata("demo").exit_code == 0
    reported = tmp_path / "派出所上报.csv"
    reported.write_bytes(("\n".join([POPULATION_HEADER, *CLEAN_ROWS]) + "\n").encode("gbk"))
    assert govdata("aggregation", "inbox-add", str(reported), "--as", "cli/p.csv").exit_code == 0
    added = govdata(
        "aggregation",
        "add-source",
        "--entry",
        IMPORTANT_ENTRY,
        "--name",
        "上报文件",
        "--kind",
        "csv",
        "--location",
        "cli/p.csv",
        "--standard",
        "population",
    )
    source = _source_id(added.output)
    assert "写入 3 行" in govdata("aggregation", "run", source).output

    read = govdata("aggregation", "read", source)

    assert read.exit_code == 1
    assert "无权读取重要数据" in read.output
    assert "grade_forbidden" in read.output
