"""`govdata catalog`: bulk import (all or nothing, refusals reported) and export, reindex,
deadlines — run in-process against a data directory of the test's own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata.catalog.models import CatalogEntry
from govdata.tabular import read_table
from tests.conftest import Invoke


@pytest.fixture
def with_demo(govdata: Invoke) -> None:
    result = govdata("demo")
    assert result.exit_code == 0, result.output
    assert "已发布 5 条" in result.output


HEADER = (
    "资源代码,资源名称,分类代码,提供部门统一社会信用代码,资源格式,"
    "共享类型,开放类型,更新周期,信息项名称,数据类型,数据长度"
)
# A department of the demo region (内蒙古自治区公安厅); demo credit codes are fixed.
DEPARTMENT = "11150000682021086R"


def row(code: str, name: str, share_type: str = "无条件共享") -> str:
    return (
        f"{code},{name},102001,{DEPARTMENT},数据库,{share_type},不予开放,每年,企业名称,字符型,200"
    )


def entries(cli_db: Session) -> int:
    """Counted in a transaction of its own, so that the reader never holds a lock."""
    try:
        return cli_db.scalar(select(func.count()).select_from(CatalogEntry)) or 0
    finally:
        cli_db.rollback()


def test_export_writes_one_row_per_information_item(
    with_demo: None, govdata: Invoke, tmp_path: Path
) -> None:
    result = govdata("catalog", "export", str(tmp_path / "catalog.csv"))
    assert result.exit_code == 0, result.output
    assert "已导出 5 条" in result.output
    table = read_table(tmp_path / "catalog.csv")
    assert table.encoding == "utf-8-sig"
    assert {row.values["资源代码"] for row in table.rows} == {
        "101001/000001",
        "102001/000001",
        "102001/000002",
        "202001/000001",
        "203001/000001",
    }
    assert len(table.rows) == 7 + 4 + 8 + 5 + 5


def test_an_exported_catalog_imports_into_another_node_with_its_resources(
    with_demo: None, govdata: Invoke, tmp_path: Path, cli_db: Session
) -> None:
    exported = tmp_path / "catalog.json"
    assert govdata("catalog", "export", str(exported)).exit_code == 0
    data = json.loads(exported.read_text(encoding="utf-8"))
    # Another node: the same departments, new resource codes.
    for number, entry in enumerate(data, start=1):
        entry["resource_code"] = f"{entry['classification_code']}/{900000 + number}"
        entry["resources"] = []
    exported.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = entries(cli_db)

    result = govdata("catalog", "import", str(exported))

    assert result.exit_code == 0, result.output
    assert "已导入 5 条" in result.output
    assert entries(cli_db) == before + 5


def test_a_file_with_a_bad_row_imports_nothing_and_reports_why(
    with_demo: None, govdata: Invoke, tmp_path: Path, cli_db: Session
) -> None:
    source = tmp_path / "in.csv"
    good = row("102001/000101", "企业年度报告信息")
    bad = row("102001/000102", "企业异常名录信息", share_type="偶尔共享")
    source.write_bytes("\n".join([HEADER, good, bad]).encode("gbk"))
    before = entries(cli_db)

    result = govdata("catalog", "import", str(source))

    assert result.exit_code == 1
    assert "未导入任何目录" in result.output
    assert entries(cli_db) == before
    report = read_table(tmp_path / "in.csv.refused.csv")
    [refusal] = report.rows
    assert refusal.values["行号"] == "3"
    assert refusal.values["列"] == "共享类型"


def test_accept_valid_imports_the_good_entries_of_a_gbk_file(
    with_demo: None, govdata: Invoke, tmp_path: Path, cli_db: Session
) -> None:
    source = tmp_path / "in.csv"
    good = row("102001/000101", "企业年度报告信息")
    taken = row("102001/000001", "重复登记的目录")
    source.write_bytes("\n".join([HEADER, good, taken]).encode("gbk"))
    before = entries(cli_db)

    result = govdata("catalog", "import", str(source), "--accept-valid")

    assert result.exit_code == 0, result.output
    assert "已导入 1 条" in result.output
    assert entries(cli_db) == before + 1


def test_reindex_reports_the_documents_of_the_published_catalog(
    with_demo: None, govdata: Invoke
) -> None:
    result = govdata("catalog", "reindex")
    assert result.exit_code == 0, result.output
    assert "5 条目录" in result.output


def test_deadlines_lists_what_the_demo_systems_owe(with_demo: None, govdata: Invoke) -> None:
    result = govdata("catalog", "deadlines", "--on", "2026-11-21")
    assert result.exit_code == 0, result.output
    assert "2026-11-21" in result.output
