"""Comparison runs over loaded sources and libraries (G3, 一数一源)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from govdata.actions import Context
from govdata.errors import Forbidden
from govdata.events import EventRecord
from govdata.verification.models import VerificationConflict, VerificationFieldStat
from tests.aggregation.conftest import Run
from tests.catalog.conftest import region_department
from tests.verification.conftest import LI, WANG, ZHANG, ZHAO, Loader, person

POLICE_ADDRESS = "内蒙古自治区呼和浩特市新城区中山路8号"
SOCIAL_ADDRESS = "内蒙古自治区呼和浩特市赛罕区大学西街1号"


def _three_departments(loader: Loader) -> tuple[Any, Any, Any]:
    police = loader.source(
        "公安厅",
        "户籍人口信息",
        [
            person(ZHANG, "张三", "北京市朝阳区建国路1号", "13800138000"),
            person(LI, "李四", POLICE_ADDRESS, "13912345678"),
            person(WANG, "王芳", "呼和浩特市玉泉区南二环路16号"),
        ],
    )
    social = loader.source(
        "人力资源和社会保障厅",
        "社保参保人员信息",
        [
            person(ZHANG, "张三", "北京市朝阳区建国路１号", "13800138000"),
            person(LI, "李四", SOCIAL_ADDRESS, "13912345678"),
            person(ZHAO, "赵六", "包头市昆都仑区钢铁大街2号"),
        ],
    )
    market = loader.source(
        "市场监督管理局",
        "个体工商户经营者信息",
        [
            person(ZHANG, "张三", "  北京市朝阳区建国路1号  ", "13800138000"),
            person(LI, "李四", POLICE_ADDRESS, "13912345678"),
        ],
    )
    return police, social, market


def _start(as_reviewer: Run, region_id: str, *tables: dict[str, Any], **extra: Any) -> Any:
    return as_reviewer(
        "verification_run_start",
        {
            "organisation_id": region_id,
            "subject_kind": "person",
            "key": "id_number",
            "tables": list(tables),
            **extra,
        },
    )


def _designate(as_reviewer: Run, region_id: str, field: str, source_id: str) -> None:
    as_reviewer(
        "verification_authority_set",
        {
            "organisation_id": region_id,
            "subject_kind": "person",
            "designations": [{"field": field, "source_id": source_id}],
        },
    )


def test_a_run_counts_agreeing_conflicting_and_missing_keys_per_field(
    loader: Loader, as_reviewer: Run, region_id: str
) -> None:
    police, social, market = _three_departments(loader)
    both = {"address": "address", "phone": "phone"}

    run = _start(
        as_reviewer,
        region_id,
        {"source_id": police.id, "fields": both},
        {"source_id": social.id, "fields": both},
        {"source_id": market.id, "fields": {"address": "address"}},
    )

    assert run.status == "succeeded", run.error_message
    assert [item.version for item in run.inputs] == [1, 1, 1]
    stats = {stat.field: stat for stat in run.fields}
    address = stats["address"]
    # 张三 agrees (full-width digits and blanks normalised), 李四 conflicts,
    # 王芳 and 赵六 are each held by one department only.
    assert (address.keys, address.compared, address.agreeing) == (4, 2, 1)
    assert (address.conflicting, address.missing, address.tables) == (1, 2, [0, 1, 2])
    phone = stats["phone"]
    assert (phone.compared, phone.agreeing, phone.conflicting) == (2, 2, 0)
    assert run.keys_total == 4
    assert run.conflicts_total == 1


def test_encrypted_keys_of_different_tables_are_joined_on_their_plain_values(
    loader: Loader, as_reviewer: Run, region_id: str, agg_operator: Context
) -> None:
    police, social, _ = _three_departments(loader)
    from govdata.lake.tables import LakeTable  # noqa: PLC0415

    police_keys = LakeTable(agg_operator.services.lake, police.table_name).dataset(1)
    social_keys = LakeTable(agg_operator.services.lake, social.table_name).dataset(1)
    stored_police = set(police_keys.to_table(columns=["id_number"]).column(0).to_pylist())
    stored_social = set(social_keys.to_table(columns=["id_number"]).column(0).to_pylist())
    assert not stored_police & stored_social  # the same ID numbers, different ciphertexts

    run = _start(
        as_reviewer,
        region_id,
        {"source_id": police.id, "fields": {"name": "name"}},
        {"source_id": social.id, "fields": {"name": "name"}},
    )

    [name] = run.fields
    assert (name.compared, name.agreeing) == (2, 2)


def test_a_conflict_is_resolved_by_the_authoritative_source_with_every_sources_evidence(
    loader: Loader, as_reviewer: Run, region_id: str
) -> None:
    police, social, market = _three_departments(loader)
    _designate(as_reviewer, region_id, "address", police.id)

    run = _start(
        as_reviewer,
        region_id,
        {"source_id": social.id, "fields": {"address": "address"}},
        {"source_id": police.id, "fields": {"address": "address"}},
        {"source_id": market.id, "fields": {"address": "address"}},
    )
    page = as_reviewer("verification_conflicts", {"run_id": run.id, "field": "address"})

    assert run.fields[0].authority == 1
    assert run.fields[0].resolved == 1
    assert page.total == 1
    [conflict] = page.rows
    assert conflict.resolution == "authority"
    assert conflict.resolved_value == POLICE_ADDRESS
    assert [(e.name, e.version, e.value) for e in conflict.values] == [
        ("社保参保人员信息", 1, SOCIAL_ADDRESS),
        ("户籍人口信息", 1, POLICE_ADDRESS),
        ("个体工商户经营者信息", 1, POLICE_ADDRESS),
    ]


def test_without_an_authority_among_the_inputs_a_conflict_stays_unresolved(
    loader: Loader, as_reviewer: Run, region_id: str
) -> None:
    police, social, _ = _three_departments(loader)

    run = _start(
        as_reviewer,
        region_id,
        {"source_id": police.id, "fields": {"address": "address"}},
        {"source_id": social.id, "fields": {"address": "address"}},
    )
    page = as_reviewer("verification_conflicts", {"run_id": run.id})

    assert [(row.resolution, row.resolved_value) for row in page.rows] == [("unresolved", None)]


def test_stored_conflicts_hold_no_key_or_value_in_clear(
    loader: Loader, as_reviewer: Run, region_id: str, agg_operator: Context
) -> None:
    police, social, _ = _three_departments(loader)
    _designate(as_reviewer, region_id, "address", police.id)
    run = _start(
        as_reviewer,
        region_id,
        {"source_id": police.id, "fields": {"address": "address"}},
        {"source_id": social.id, "fields": {"address": "address"}},
    )

    [row] = agg_operator.session.scalars(
        select(VerificationConflict).where(VerificationConflict.run_id == run.id)
    ).all()
    stored = repr((row.key_value, row.evidence, row.resolved_value))
    assert LI not in stored and "中山路" not in stored and "大学西街" not in stored
    assert LI.encode() not in row.key_value


def test_a_library_can_be_compared_with_a_source(
    loader: Loader, as_reviewer: Run, region_id: str, agg_operator: Context
) -> None:
    police, _, market = _three_departments(loader)
    authority = region_department(agg_operator.session, "政务服务与数据管理局")
    library = as_reviewer(
        "library_create",
        {
            "organisation_id": authority.id,
            "kind": "base",
            "code": "verify_population",
            "name": "人口基础库",
            "standard": "population",
        },
    )
    as_reviewer("library_add_member", {"library_id": library.id, "source_id": market.id})
    as_reviewer("library_build", {"id": library.id})
    agg_operator.session.commit()

    run = _start(
        as_reviewer,
        region_id,
        {"source_id": police.id, "fields": {"address": "address"}},
        {"library_id": library.id, "fields": {"address": "address"}},
    )

    assert run.status == "succeeded", run.error_message
    assert run.inputs[1].kind == "library"
    [address] = run.fields
    assert (address.compared, address.agreeing, address.conflicting) == (2, 2, 0)


@pytest.mark.parametrize(
    ("table", "code"),
    [
        ({"key_column": "no_such_key"}, "verification_key_missing"),
        ({"fields": {"address": "no_such_column"}}, "verification_unknown_column"),
        ({"version": 7}, "lake_version_not_found"),
    ],
)
def test_a_run_that_cannot_compare_is_failed_with_its_reason_and_keeps_nothing(
    loader: Loader,
    as_reviewer: Run,
    region_id: str,
    agg_operator: Context,
    table: dict[str, Any],
    code: str,
) -> None:
    police, social, _ = _three_departments(loader)

    run = _start(
        as_reviewer,
        region_id,
        {"source_id": police.id, "fields": {"address": "address"}},
        {"source_id": social.id, "fields": {"address": "address"}} | table,
    )

    assert (run.status, run.error_code) == ("failed", code)
    assert run.error_message
    assert (run.fields, run.keys_total, run.conflicts_total) == ([], 0, 0)
    for model in (VerificationFieldStat, VerificationConflict):
        kept = agg_operator.session.scalars(select(model).where(model.run_id == run.id)).all()
        assert kept == []
    assert as_reviewer("verification_run_get", {"id": run.id}).status == "failed"
    event = agg_operator.session.scalars(
        select(EventRecord).where(EventRecord.subject_id == run.id)
    ).one()
    assert event.name == "verification:run:finished"


def test_a_field_only_one_table_maps_is_refused_before_running(
    loader: Loader, as_reviewer: Run, region_id: str
) -> None:
    from govdata.errors import InvalidInput  # noqa: PLC0415

    police, social, _ = _three_departments(loader)
    with pytest.raises(InvalidInput):
        _start(
            as_reviewer,
            region_id,
            {"source_id": police.id, "fields": {"address": "address"}},
            {"source_id": social.id, "fields": {"phone": "phone"}},
        )


def test_only_authority_roles_start_runs_and_the_consumer_reads_none(
    loader: Loader, as_user: Callable[[str], Run], as_reviewer: Run, region_id: str
) -> None:
    police, social, _ = _three_departments(loader)
    tables = (
        {"source_id": police.id, "fields": {"address": "address"}},
        {"source_id": social.id, "fields": {"address": "address"}},
    )
    for username in ("provider", "auditor", "consumer"):
        with pytest.raises(Forbidden):
            _start(as_user(username), region_id, *tables)
    run = _start(as_reviewer, region_id, *tables)

    assert as_user("auditor")("verification_run_get", {"id": run.id}).id == run.id
    with pytest.raises(Forbidden):
        as_user("consumer")("verification_run_get", {"id": run.id})
    with pytest.raises(Forbidden):
        as_user("provider")("verification_conflicts", {"run_id": run.id})


def test_reading_conflicts_is_recorded_as_a_data_read(
    loader: Loader, as_reviewer: Run, region_id: str, agg_operator: Context
) -> None:
    police, social, _ = _three_departments(loader)
    run = _start(
        as_reviewer,
        region_id,
        {"source_id": police.id, "fields": {"address": "address"}},
        {"source_id": social.id, "fields": {"address": "address"}},
    )

    page = as_reviewer("verification_conflicts", {"run_id": run.id})

    reads = agg_operator.session.scalars(
        select(EventRecord).where(
            EventRecord.name == "aggregation:data:read", EventRecord.subject_id == run.id
        )
    ).all()
    assert len(reads) == 1
    assert reads[0].data["mode"] == "verification-conflicts"
    assert page.audience == "authority"
    # The reviewer over the region sees the ID number partially masked.
    assert page.rows[0].key == LI[:6] + "*" * 8 + LI[-4:]
