"""Authoritative sources: one authority per field of a subject kind (一数一源)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from govdata.errors import Conflict, Forbidden
from tests.aggregation.conftest import Run
from tests.verification.conftest import LI, ZHANG, Loader, person


def _two_sources(loader: Loader) -> tuple[str, str]:
    police = loader.source("公安厅", "户籍人口信息", [person(ZHANG, "张三", "甲地")])
    social = loader.source("人力资源和社会保障厅", "社保参保人员信息", [person(LI, "李四", "乙地")])
    return police.id, social.id


def _set(run: Run, region_id: str, *designations: dict[str, str], replace: bool = False) -> Any:
    return run(
        "verification_authority_set",
        {
            "organisation_id": region_id,
            "subject_kind": "person",
            "designations": list(designations),
            "replace": replace,
        },
    )


def test_a_field_gets_its_authoritative_source_and_is_listed(
    loader: Loader, as_reviewer: Run, region_id: str
) -> None:
    police, social = _two_sources(loader)

    _set(
        as_reviewer,
        region_id,
        {"field": "address", "source_id": police},
        {"field": "phone", "source_id": social},
    )

    listed = as_reviewer("verification_authority_list", {"subject_kind": "person"})
    assert [(a.field, a.source_id, a.table_name) for a in listed] == [
        ("address", police, "户籍人口信息"),
        ("phone", social, "社保参保人员信息"),
    ]


def test_two_authorities_for_one_field_in_one_request_are_refused(
    loader: Loader, as_reviewer: Run, region_id: str
) -> None:
    police, social = _two_sources(loader)

    with pytest.raises(Conflict) as caught:
        _set(
            as_reviewer,
            region_id,
            {"field": "address", "source_id": police},
            {"field": "address", "source_id": social},
        )

    assert caught.value.error_code == "authority_conflict"
    assert "两个权威来源" in caught.value.message


def test_a_second_authority_for_a_designated_field_is_refused_unless_it_replaces(
    loader: Loader, as_reviewer: Run, region_id: str
) -> None:
    police, social = _two_sources(loader)
    _set(as_reviewer, region_id, {"field": "address", "source_id": police})

    with pytest.raises(Conflict) as caught:
        _set(as_reviewer, region_id, {"field": "address", "source_id": social})
    assert caught.value.error_code == "authority_conflict"

    replaced = _set(as_reviewer, region_id, {"field": "address", "source_id": social}, replace=True)
    assert [(a.field, a.source_id) for a in replaced] == [("address", social)]


def test_designating_again_the_same_authority_changes_nothing(
    loader: Loader, as_reviewer: Run, region_id: str
) -> None:
    police, _ = _two_sources(loader)
    first = _set(as_reviewer, region_id, {"field": "address", "source_id": police})
    again = _set(as_reviewer, region_id, {"field": "address", "source_id": police})
    assert [a.id for a in again] == [a.id for a in first]


def test_only_authority_roles_designate(
    loader: Loader, as_user: Callable[[str], Run], region_id: str
) -> None:
    police, _ = _two_sources(loader)
    for username in ("provider", "auditor", "consumer"):
        with pytest.raises(Forbidden):
            _set(as_user(username), region_id, {"field": "address", "source_id": police})
