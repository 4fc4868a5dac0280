"""Organisations: regions from division codes, departments with credit codes."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata.actions import ActionRegistry, Context
from govdata.authz import Role
from govdata.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from govdata.events import EventRecord
from govdata.orgs.actions import MAX_DEPTH
from govdata.orgs.models import Division, Organisation
from govdata.orgs.services import BEIJING
from tests.factories import anonymous, context_for, fresh_credit_code, make_user, region


def count_orgs(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Organisation)) or 0


def test_the_demo_tree_hangs_counties_under_prefectures_under_the_region(
    registry: ActionRegistry, operator: Context
) -> None:
    roots = registry.run("organisation_tree", operator, {"kind": "region"})
    assert [root.name for root in roots] == ["内蒙古自治区"]
    prefectures = {node.name: node for node in roots[0].children}
    assert len(prefectures) == 12
    assert {"兴安盟", "锡林郭勒盟", "阿拉善盟"} <= set(prefectures)
    assert len(prefectures["呼伦贝尔市"].children) == 14
    assert sum(len(p.children) for p in prefectures.values()) == 103


def test_a_subtree_can_be_read_from_any_organisation(
    registry: ActionRegistry, operator: Context
) -> None:
    city = region(operator.session, "150100")
    [root] = registry.run("organisation_tree", operator, {"root_id": city.id, "kind": "region"})
    assert root.name == "呼和浩特市"
    assert {child.division_code for child in root.children} >= {"150102", "150125"}


def test_the_organisation_tree_is_public(registry: ActionRegistry, operator: Context) -> None:
    roots = registry.run("organisation_tree", anonymous(operator), {})
    assert roots[0].division_code == "150000"


def test_a_department_is_created_under_a_region_with_a_valid_credit_code(
    registry: ActionRegistry, operator: Context
) -> None:
    county = region(operator.session, "150102")
    code = fresh_credit_code("150102")
    dept = registry.run(
        "department_create",
        operator,
        {"name": "新城区大数据中心", "credit_code": code, "parent_id": county.id},
    )
    assert dept.kind == "department"
    assert dept.division_code == "150102"
    assert dept.path == f"{county.path}{dept.id}/"
    event = operator.session.scalar(select(EventRecord).where(EventRecord.subject_id == dept.id))
    assert event is not None
    assert event.name == "orgs:organisation:created"
    assert event.data["credit_code"] == code


def test_a_credit_code_with_a_wrong_check_character_is_refused_and_nothing_is_written(
    registry: ActionRegistry, operator: Context
) -> None:
    county = region(operator.session, "150102")
    good = fresh_credit_code("150102")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    before = count_orgs(operator.session)
    with pytest.raises(InvalidInput) as raised:
        registry.run(
            "department_create",
            operator,
            {"name": "校验位错误的部门", "credit_code": bad, "parent_id": county.id},
        )
    assert "校验位" in raised.value.fields["credit_code"]
    assert count_orgs(operator.session) == before


def test_a_credit_code_already_in_use_is_a_conflict(
    registry: ActionRegistry, operator: Context
) -> None:
    county = region(operator.session, "150102")
    code = fresh_credit_code("150102")
    registry.run(
        "department_create", operator, {"name": "甲局", "credit_code": code, "parent_id": county.id}
    )
    with pytest.raises(Conflict) as raised:
        registry.run(
            "department_create",
            operator,
            {"name": "乙局", "credit_code": code, "parent_id": county.id},
        )
    assert raised.value.error_code == "credit_code_taken"


def test_two_departments_of_the_same_name_under_one_parent_are_a_conflict(
    registry: ActionRegistry, operator: Context
) -> None:
    county = region(operator.session, "150102")
    for attempt in range(2):
        data = {"name": "同名局", "credit_code": fresh_credit_code(), "parent_id": county.id}
        if attempt == 0:
            registry.run("department_create", operator, data)
        else:
            with pytest.raises(Conflict) as raised:
                registry.run("department_create", operator, data)
            assert raised.value.error_code == "organisation_exists"


def test_a_region_that_already_exists_is_a_conflict(
    registry: ActionRegistry, operator: Context
) -> None:
    with pytest.raises(Conflict) as raised:
        registry.run("region_create", operator, {"division_code": "150102"})
    assert raised.value.error_code == "organisation_exists"


def test_a_region_needs_a_code_from_the_current_division_table(
    registry: ActionRegistry, operator: Context
) -> None:
    with pytest.raises(InvalidInput) as raised:
        registry.run("region_create", operator, {"division_code": "150199"})
    assert "区划表" in raised.value.message


def test_a_malformed_division_code_is_refused_with_the_reason(
    registry: ActionRegistry, operator: Context
) -> None:
    with pytest.raises(InvalidInput) as raised:
        registry.run("region_create", operator, {"division_code": "15010"})
    assert "6位数字" in raised.value.fields["division_code"]


def test_a_prefecture_admin_manages_departments_only_inside_the_prefecture(
    registry: ActionRegistry, operator: Context
) -> None:
    hohhot = region(operator.session, "150100")
    admin = make_user(registry, operator, "hohhot_admin", hohhot, Role.PLATFORM_ADMIN, subtree=True)
    as_admin = context_for(operator, admin)
    inside = region(operator.session, "150102")
    registry.run(
        "department_create",
        as_admin,
        {"name": "新城区某局", "credit_code": fresh_credit_code(), "parent_id": inside.id},
    )
    baotou = region(operator.session, "150200")
    with pytest.raises(Forbidden):
        registry.run(
            "department_create",
            as_admin,
            {"name": "包头某局", "credit_code": fresh_credit_code(), "parent_id": baotou.id},
        )


def test_only_a_node_wide_operator_may_root_a_new_tree(
    registry: ActionRegistry, operator: Context
) -> None:
    top = region(operator.session, "150000")
    admin = make_user(registry, operator, "region_admin", top, Role.PLATFORM_ADMIN, subtree=True)
    registry.run(
        "division_import",
        operator,
        {
            "edition": "test-hebei",
            "rows": [
                {"code": "130000", "name": "河北省", "level": "province", "parent_code": "100000"}
            ],
        },
    )
    with pytest.raises(Forbidden):
        registry.run("region_create", context_for(operator, admin), {"division_code": "130000"})
    created = registry.run("region_create", operator, {"division_code": "130000"})
    assert created.parent_id is None


def test_anonymous_callers_cannot_create_departments(
    registry: ActionRegistry, operator: Context
) -> None:
    county = region(operator.session, "150102")
    with pytest.raises(Unauthenticated):
        registry.run(
            "department_create",
            anonymous(operator),
            {"name": "匿名局", "credit_code": fresh_credit_code(), "parent_id": county.id},
        )


def test_a_new_division_edition_keeps_the_history_of_renamed_and_withdrawn_codes(
    registry: ActionRegistry, operator: Context
) -> None:
    current = registry.run("division_list", operator, {"parent_code": "152900"})
    rows = [
        {"code": "150000", "name": "内蒙古自治区", "level": "province", "parent_code": "100000"},
        {"code": "152900", "name": "阿拉善盟", "level": "prefecture", "parent_code": "150000"},
        {
            "code": "152921",
            "name": "阿拉善左旗（新名）",
            "level": "county",
            "parent_code": "152900",
        },
        {"code": "152922", "name": "阿拉善右旗", "level": "county", "parent_code": "152900"},
    ]
    result = registry.run(
        "division_import",
        operator,
        {"edition": "test-2025", "effective": "2025-01-01", "rows": rows},
    )
    assert result.changed == 1
    assert result.added == 0
    assert result.withdrawn > 100  # the edition no longer lists 额济纳旗 and the other prefectures
    now = {
        d.code: d.name for d in registry.run("division_list", operator, {"parent_code": "152900"})
    }
    assert now == {"152921": "阿拉善左旗（新名）", "152922": "阿拉善右旗"}
    before = registry.run(
        "division_list", operator, {"parent_code": "152900", "on": date(2024, 6, 1).isoformat()}
    )
    assert {d.code: d.name for d in before} == {d.code: d.name for d in current}
    versions = operator.session.scalars(select(Division).where(Division.code == "152921")).all()
    assert sorted((v.valid_to is None, v.name) for v in versions) == [
        (False, "阿拉善左旗"),
        (True, "阿拉善左旗（新名）"),
    ]


def test_an_edition_with_a_wrong_level_or_unknown_parent_is_refused_whole(
    registry: ActionRegistry, operator: Context
) -> None:
    rows = [
        {"code": "150000", "name": "内蒙古自治区", "level": "county", "parent_code": "100000"},
        {"code": "159900", "name": "不存在的盟", "level": "prefecture", "parent_code": "159800"},
    ]
    before = operator.session.scalar(select(func.count()).select_from(Division))
    with pytest.raises(InvalidInput) as raised:
        registry.run("division_import", operator, {"edition": "broken", "rows": rows})
    assert set(raised.value.fields) == {"rows.0.level", "rows.1.parent_code"}
    assert operator.session.scalar(select(func.count()).select_from(Division)) == before


def test_an_edition_cannot_be_imported_twice(registry: ActionRegistry, operator: Context) -> None:
    rows = [
        {"code": "150000", "name": "内蒙古自治区", "level": "province", "parent_code": "100000"}
    ]
    registry.run("division_import", operator, {"edition": "once", "rows": rows})
    with pytest.raises(Conflict):
        registry.run("division_import", operator, {"edition": "once", "rows": rows})


def test_only_the_node_operator_applies_division_editions(
    registry: ActionRegistry, operator: Context
) -> None:
    top = region(operator.session, "150000")
    admin = make_user(registry, operator, "edition_admin", top, Role.PLATFORM_ADMIN, subtree=True)
    rows = [
        {"code": "150000", "name": "内蒙古自治区", "level": "province", "parent_code": "100000"}
    ]
    with pytest.raises(Forbidden):
        registry.run(
            "division_import", context_for(operator, admin), {"edition": "x", "rows": rows}
        )


def test_a_county_cannot_be_created_before_its_prefecture(
    registry: ActionRegistry, operator: Context
) -> None:
    rows = [
        {"code": "130000", "name": "河北省", "level": "province", "parent_code": "100000"},
        {"code": "130100", "name": "石家庄市", "level": "prefecture", "parent_code": "130000"},
        {"code": "130102", "name": "长安区", "level": "county", "parent_code": "130100"},
    ]
    registry.run("division_import", operator, {"edition": "test-hebei-3", "rows": rows})
    registry.run("region_create", operator, {"division_code": "130000"})
    with pytest.raises(InvalidInput) as raised:
        registry.run("region_create", operator, {"division_code": "130102"})
    assert raised.value.error_code == "parent_region_missing"
    registry.run("region_create", operator, {"division_code": "130100"})
    county = registry.run("region_create", operator, {"division_code": "130102"})
    assert county.path.count("/") == 4


def test_no_date_sees_two_versions_of_a_code_after_an_undated_edition(
    registry: ActionRegistry, operator: Context
) -> None:
    rows = [
        {"code": "150000", "name": "内蒙古自治区", "level": "province", "parent_code": "100000"},
        {"code": "150100", "name": "呼和浩特市", "level": "prefecture", "parent_code": "150000"},
        {"code": "150102", "name": "新城区（改）", "level": "county", "parent_code": "150100"},
    ]
    registry.run("division_import", operator, {"edition": "undated", "rows": rows})
    today = datetime.now(BEIJING).date().isoformat()
    for day in ("2020-01-01", today, "2100-01-01"):
        listed = registry.run("division_list", operator, {"parent_code": "150100", "on": day})
        codes = [d.code for d in listed]
        assert len(codes) == len(set(codes)), day


def test_departments_cannot_nest_deeper_than_the_limit(
    registry: ActionRegistry, operator: Context
) -> None:
    parent_id = region(operator.session, "150102").id
    with pytest.raises(InvalidInput) as raised:
        for level in range(MAX_DEPTH):
            parent_id = registry.run(
                "department_create",
                operator,
                {
                    "name": f"第{level}级科室",
                    "credit_code": fresh_credit_code(),
                    "parent_id": parent_id,
                },
            ).id
    assert raised.value.error_code == "too_deep"
