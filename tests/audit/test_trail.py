"""The searchable audit trail: who read which version, from where, under which decision."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from govdata.actions import ActionRegistry, Context
from govdata.authz import Role
from govdata.errors import Forbidden
from tests.aggregation.conftest import CLEAN_ROWS
from tests.audit.conftest import As
from tests.catalog.conftest import region_department
from tests.factories import context_for, make_user


def from_address(ctx: Context, address: str) -> Context:
    return replace(ctx, client_address=address)


def test_audit_search_finds_who_read_which_version_under_which_decision(
    registry: ActionRegistry, source_id: str, as_user: As
) -> None:
    provider = from_address(as_user("provider"), "10.8.0.12")
    registry.run("data_read", provider, {"source_id": source_id, "version": 1})

    page = registry.run(
        "audit_search",
        as_user("auditor"),
        {"actor": "provider", "action": "aggregation:data:read", "client_address": "10.8.0.12"},
    )

    (row,) = page.rows
    assert (row.actor_name, row.subject_id, row.version) == ("provider", source_id, 1)
    assert row.rows == len(CLEAN_ROWS)
    assert row.client_address == "10.8.0.12"
    assert row.reason.startswith("允许：本机构")
    found = registry.run("audit_search", as_user("auditor"), {"reason": "本机构", "version": 1})
    assert row.id in [r.id for r in found.rows]


def test_the_export_is_a_csv_with_a_bom_and_chinese_headers(
    registry: ActionRegistry, source_id: str, as_user: As
) -> None:
    registry.run("data_read", as_user("provider"), {"source_id": source_id})
    export = registry.run("audit_export", as_user("auditor"), {"actor": "provider"})
    assert export.content.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(export.content.removeprefix("\ufeff"))))
    assert table[0][:5] == ["时间（北京时间）", "主体类型", "账号或应用", "主体编号", "操作"]
    assert "数据版本" in table[0] and "来源地址" in table[0] and "依据" in table[0]
    assert any(line[4] == "aggregation:data:read" for line in table[1:])
    assert export.filename.endswith(".csv")


def test_only_auditors_search_the_trail_or_review_alerts(
    registry: ActionRegistry, source_id: str, as_user: As
) -> None:
    provider = as_user("provider")
    for name, data in (
        ("audit_search", {}),
        ("audit_export", {}),
        ("audit_alert_list", {}),
        ("audit_alert_review", {"id": "x", "decision": "release", "note": "自己放行"}),
    ):
        with pytest.raises(Forbidden):
            registry.run(name, provider, data)
    with pytest.raises(Forbidden):
        registry.run("audit_search", as_user("admin"), {})


def test_an_auditor_of_another_department_does_not_see_the_events(
    registry: ActionRegistry, source_id: str, as_user: As, agg_operator: Context
) -> None:
    registry.run("data_read", as_user("provider"), {"source_id": source_id})
    other = region_department(agg_operator.session, "人力资源和社会保障厅")
    actor = make_user(registry, agg_operator, "hr-auditor", other, Role.AUDITOR)
    page = registry.run("audit_search", context_for(agg_operator, actor), {"actor": "provider"})
    assert page.rows == []


def test_looked_up_id_numbers_are_recorded_as_keyed_pseudonyms_an_auditor_can_still_search(
    registry: ActionRegistry, source_id: str, as_user: As
) -> None:
    id_number = "150102199003071237"
    registry.run(
        "data_read",
        as_user("provider"),
        {"source_id": source_id, "where": {"id_number": id_number}},
    )
    registry.run(
        "data_read", as_user("provider"), {"source_id": source_id, "where": {"name": "王芳"}}
    )

    trail = registry.run("audit_search", as_user("auditor"), {"action": "aggregation:data:read"})
    found = registry.run("audit_search", as_user("auditor"), {"looked_up": id_number})
    by_name = registry.run("audit_search", as_user("auditor"), {"looked_up": "王芳"})
    other = registry.run("audit_search", as_user("auditor"), {"looked_up": "11010519491231002X"})

    recorded = [row.data["where"] for row in trail.rows if row.data.get("where")]
    assert {"name": "王芳"} in recorded  # not a sensitive column: kept as typed
    (pseudonymised,) = [where["id_number"] for where in recorded if "id_number" in where]
    assert pseudonymised.startswith("sm3:1:") and id_number not in pseudonymised
    assert id_number not in str([row.data for row in trail.rows])
    assert [row.data["where"] for row in found.rows] == [{"id_number": pseudonymised}]
    assert [row.data["where"] for row in by_name.rows] == [{"name": "王芳"}]
    assert other.rows == []
