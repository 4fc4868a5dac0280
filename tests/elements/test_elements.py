"""Data elements (G7): the national definitions with their code lists, a node's own,
and conformance of catalog entries and stored tables against them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from govdata.actions import ActionRegistry, Context
from govdata.app import create_app
from govdata.db import Database
from govdata.elements.standard import ETHNICITY, NATIONAL
from govdata.errors import Conflict, Forbidden
from govdata.libraries.standards import get_standard
from govdata.orgs.models import Organisation
from govdata.services import Services
from govdata.settings import Settings
from tests.aggregation.conftest import Run, write_csv
from tests.catalog.conftest import entry_data
from tests.factories import context_for, login, user_actor


def by_subject(report: Any) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for finding in report.findings:
        found.setdefault(finding.subject, []).append((finding.problem, finding.severity))
    return found


def test_the_national_elements_carry_their_standards_and_code_lists(as_provider: Run) -> None:
    elements = {e.code: e for e in as_provider("element_list", {})}
    sexes = as_provider("element_list", {"q": "性别"})

    assert len(elements) >= len(NATIONAL)
    assert elements["DE0001"].check == "id_number" and elements["DE0001"].length == 18
    assert [e.code for e in sexes] == ["DE0003"]
    assert sexes[0].codes == {"0": "未知的性别", "1": "男性", "2": "女性", "9": "未说明的性别"}
    assert len(ETHNICITY) == 58 and ETHNICITY["01"] == "汉族" and ETHNICITY["56"] == "基诺族"


def test_the_authority_defines_node_elements_but_not_over_national_codes(
    registry: ActionRegistry, reviewer: Context, provider: Context
) -> None:
    element = {
        "code": "NM-DE-0101",
        "name": "牧区类型代码",
        "identifier": "pastoral_type",
        "data_type": "C",
        "length": 1,
        "aliases": ["牧区类型"],
        "codes": {"1": "牧区", "2": "半农半牧区"},
    }
    made = registry.run("element_define", reviewer, element)
    changed = registry.run("element_define", reviewer, element | {"codes": {"1": "牧区"}})

    assert (made.origin, changed.codes) == ("node", {"1": "牧区"})
    assert [e.code for e in registry.run("element_list", provider, {"q": "牧区类型"})] == [
        "NM-DE-0101"
    ]
    with pytest.raises(Conflict) as national:
        registry.run("element_define", reviewer, element | {"code": "DE0003"})
    assert national.value.error_code == "element_national"
    with pytest.raises(Forbidden):
        registry.run("element_define", provider, element)


def test_an_entrys_items_are_checked_against_the_elements_they_name(
    as_provider: Run, market: Organisation
) -> None:
    system = as_provider("system_register", {"organisation_id": market.id, "name": "登记系统"})
    data = entry_data(market.id, system.id, code="102001/000777", name="企业登记信息")
    data["items"] = [
        *data["items"],
        {"name": "身份证号", "data_type": "C", "length": 15, "grade": "general_3"},
        {"name": "性别", "data_type": "N", "length": 1, "grade": "general_2"},
    ]
    entry = as_provider("entry_create", data)

    report = as_provider("element_check_entry", {"entry_id": entry.id})

    found = by_subject(report)
    assert found["统一社会信用代码"] == [("conforms", "ok")]
    assert found["企业名称"] == [("unmatched", "info")]
    assert found["法定代表人"] == [("length_short", "error")]  # 50 < the element's 100
    assert found["成立日期"] == [("conforms", "ok")]
    assert found["身份证号"] == [("length_short", "error")]  # an alias of 公民身份号码
    assert found["性别"] == [("type_differs", "error")]
    assert (report.matched, report.conforming) == (5, 2)


def test_a_tables_columns_and_stored_codes_are_checked(
    as_provider: Run, entry_id: str, inbox: Path, run_now: Callable[..., Any]
) -> None:
    standard = {c.name: c for c in get_standard("population").columns}
    columns = [
        standard["id_number"].model_dump(mode="json"),
        standard["name"].model_dump(mode="json"),
        standard["ethnicity"].model_dump(mode="json"),
        standard["phone"].model_dump(mode="json") | {"check": None},
        {"name": "shoe_size", "label": "鞋码", "type": "integer"},
    ]
    rows = [
        "11010519491231002X,张三,01,13800138000,40",
        "150102199003071237,李四,02,13912345678,42",
        "150104198512120023,王芳,99,0471-6951234,37",
        "150104198512120031,赵六,汉族,,38",
    ]
    location = write_csv(inbox, "people.csv", ["id_number,name,ethnicity,phone,shoe_size", *rows])
    source = as_provider(
        "source_register",
        {
            "entry_id": entry_id,
            "name": "人员",
            "kind": "csv",
            "location": location,
            "columns": columns,
        },
    )
    assert run_now(source.id).status == "succeeded"

    report = as_provider("element_check_source", {"source_id": source.id})

    found = by_subject(report)
    assert found["id_number"] == [("conforms", "ok")]
    assert ("length_longer", "warning") in found["ethnicity"]  # 20 against the element's 2
    assert ("code_values", "error") in found["ethnicity"]
    codes = next(f for f in report.findings if f.problem == "code_values")
    assert codes.values == {"99": 1, "汉族": 1}
    assert found["phone"] == [("check_missing", "warning")]
    assert found["shoe_size"] == [("unmatched", "info")]
    assert report.version == 1
    assert (report.matched, report.conforming) == (4, 3)


def test_a_consumer_cannot_check_a_tables_values_it_may_not_read(
    registry: ActionRegistry,
    agg_operator: Context,
    as_provider: Run,
    entry_id: str,
    inbox: Path,
    run_now: Callable[..., Any],
) -> None:
    location = write_csv(inbox, "x.csv", ["name", "张三"])
    columns = [{"name": "name", "label": "姓名"}]
    source = as_provider(
        "source_register",
        {
            "entry_id": entry_id,
            "name": "姓名表",
            "kind": "csv",
            "location": location,
            "columns": columns,
        },
    )
    run_now(source.id)
    consumer = context_for(agg_operator, user_actor(agg_operator.session, "consumer"))
    with pytest.raises(Forbidden):
        registry.run("element_check_source", consumer, {"source_id": source.id})


def test_the_portal_lists_the_elements_and_shows_a_sources_conformance(
    as_provider: Run,
    entry_id: str,
    inbox: Path,
    run_now: Callable[..., Any],
    agg_operator: Context,
    agg_settings: Settings,
    agg_services: Services,
    db: Database,
) -> None:
    location = write_csv(inbox, "p.csv", ["id_number,ethnicity", "150102199003071237,99"])
    standard = {c.name: c for c in get_standard("population").columns}
    columns = [standard[n].model_dump(mode="json") for n in ("id_number", "ethnicity")]
    source = as_provider(
        "source_register",
        {
            "entry_id": entry_id,
            "name": "民族登记",
            "kind": "csv",
            "location": location,
            "columns": columns,
        },
    )
    run_now(source.id)
    agg_operator.session.commit()
    client = TestClient(create_app(agg_settings, db, agg_services))
    login(client, "provider")

    listing = client.get("/elements", params={"q": "民族"}, headers={"Accept": "text/html"})
    report = client.get(
        "/elements/conformance", params={"source_id": source.id}, headers={"Accept": "text/html"}
    )

    assert "民族代码" in listing.text and "基诺族" in listing.text
    table = report.text[report.text.index('id="conformance-table"') :]
    assert "不符合：取值不在代码表中" in table and "<code>99</code> × 1" in table
