"""Duplicate collection: resources of different departments that overlap (G4)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from govdata.errors import Forbidden
from govdata.verification.duplicates import sketch_jaccard
from tests.aggregation.conftest import Run
from tests.verification.conftest import LI, WANG, ZHANG, ZHAO, Loader, person

HOSPITAL_HEADER = "hospital_code,hospital_name,beds"
HOSPITAL_COLUMNS = [
    {"name": "hospital_code", "label": "医疗机构代码", "type": "string"},
    {"name": "hospital_name", "label": "医疗机构名称", "type": "string"},
    {"name": "beds", "label": "床位数", "type": "integer"},
]


def _sources(loader: Loader) -> tuple[str, str, str]:
    police = loader.source(
        "公安厅",
        "户籍人口信息",
        [person(ZHANG, "张三", "甲地"), person(LI, "李四", "乙地"), person(WANG, "王芳", "丙地")],
    )
    social = loader.source(
        "人力资源和社会保障厅",
        "参保人员身份信息",
        [person(ZHANG, "张三", "甲地"), person(LI, "李四", "丁地"), person(ZHAO, "赵六", "戊地")],
    )
    hospitals = loader.source(
        "卫生健康委员会",
        "医疗机构信息",
        ["H001,第一医院,500", "H002,第二医院,300"],
        header=HOSPITAL_HEADER,
        columns=HOSPITAL_COLUMNS,
    )
    return police.id, social.id, hospitals.id


def test_sources_of_two_departments_holding_the_same_people_are_reported_with_their_measures(
    loader: Loader, as_reviewer: Run, region_id: str
) -> None:
    police, social, hospitals = _sources(loader)

    scan = as_reviewer(
        "duplicate_scan",
        {"organisation_id": region_id, "source_ids": [police, social, hospitals]},
    )

    assert (scan.status, scan.sources) == ("succeeded", 3)
    [pair] = scan.pairs
    assert {pair.source_a, pair.source_b} == {police, social}
    assert pair.column_match_ratio == 1.0
    matched = {m.column_a: m for m in pair.matches}
    assert matched["id_number"].column_b == "id_number"
    assert matched["id_number"].key is True
    # Two of four distinct ID numbers are shared; two of the three on either side.
    assert matched["id_number"].value_jaccard == 0.5
    assert pair.row_overlap == pytest.approx(2 / 3, abs=1e-3)
    assert 0 < pair.mean_value_jaccard <= 1


def test_unrelated_resources_are_not_reported(
    loader: Loader, as_reviewer: Run, region_id: str
) -> None:
    police, _, hospitals = _sources(loader)

    scan = as_reviewer(
        "duplicate_scan", {"organisation_id": region_id, "source_ids": [police, hospitals]}
    )

    assert (scan.status, scan.pairs) == ("succeeded", [])


def test_a_scan_without_sources_named_covers_the_loaded_sources_in_scope_and_is_listed(
    loader: Loader, as_reviewer: Run, as_user: Callable[[str], Run], region_id: str
) -> None:
    police, social, _ = _sources(loader)

    scan = as_reviewer("duplicate_scan", {"organisation_id": region_id})

    assert scan.sources == 3
    assert [{p.source_a, p.source_b} for p in scan.pairs] == [{police, social}]
    listed = as_user("auditor")("duplicate_list", {})
    assert [s.id for s in listed] == [scan.id]


def test_only_authority_roles_scan(
    loader: Loader, as_user: Callable[[str], Run], region_id: str
) -> None:
    police, social, _ = _sources(loader)
    for username in ("provider", "auditor", "consumer"):
        with pytest.raises(Forbidden):
            as_user(username)(
                "duplicate_scan", {"organisation_id": region_id, "source_ids": [police, social]}
            )


def test_the_sketch_estimate_is_exact_below_its_size_and_close_above_it() -> None:
    assert sketch_jaccard([1, 2, 3], [2, 3, 4], 16) == 0.5
    left = list(range(0, 20_000, 1))
    right = list(range(10_000, 30_000, 1))
    import random  # noqa: PLC0415

    mapping = list(range(30_000))
    random.Random(7).shuffle(mapping)  # noqa: S311 (a fixed permutation, not a secret)
    a = sorted(mapping[v] for v in left)[:1024]
    b = sorted(mapping[v] for v in right)[:1024]
    assert sketch_jaccard(a, b, 1024) == pytest.approx(1 / 3, abs=0.05)
