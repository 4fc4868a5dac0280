"""Data return (S5, 数据回流/属地返还): a provincial department grants its entry to the
local departments it concerns, one grant each, limited to their own division."""

from __future__ import annotations

from datetime import timedelta

import pytest

from govdata.actions import Context
from govdata.errors import Conflict, Forbidden, InvalidInput
from govdata.ledger import decode_entry, entries_about, get_leaf
from govdata.ledger.entries import EntryKind
from govdata.sharing.terms import today
from tests.aggregation.conftest import Run
from tests.catalog.conftest import region_department
from tests.factories import department


def returning(entry_id: str, **extra: object) -> dict[str, object]:
    return {
        "entry_id": entry_id,
        "level": "prefecture",
        "department_name": "市场监督管理局",
        "division_column": "division_code",
        "ends_on": str(today() + timedelta(days=365)),
    } | extra


def test_returning_to_a_level_grants_each_local_department_its_own_division(
    as_provider: Run, conditional_entry: str
) -> None:
    out = as_provider("share_return", returning(conditional_entry))

    names = {g.grantee_name for g in out.grants}
    assert len(out.grants) == 12
    assert "呼和浩特市市场监督管理局" in "".join(names)
    for grant in out.grants:
        assert grant.origin == "return" and grant.live
        assert len(grant.division_codes) == 1 and grant.division_codes[0].endswith("00")
        assert grant.division_column == "division_code"
    assert len({g.division_codes[0] for g in out.grants}) == 12


def test_returning_to_named_departments(
    as_provider: Run, conditional_entry: str, agg_operator: Context
) -> None:
    hohhot = department(agg_operator.session, "呼和浩特市市场监督管理局")

    out = as_provider(
        "share_return",
        returning(conditional_entry, level=None, department_name=None, department_ids=[hohhot.id]),
    )

    assert [(g.grantee_org_id, g.division_codes) for g in out.grants] == [
        (hohhot.id, [hohhot.division_code])
    ]


def test_a_department_of_the_same_level_is_not_local(
    as_provider: Run, conditional_entry: str, agg_operator: Context
) -> None:
    peer = region_department(agg_operator.session, "公安厅")

    with pytest.raises(InvalidInput) as caught:
        as_provider(
            "share_return",
            returning(
                conditional_entry, level=None, department_name=None, department_ids=[peer.id]
            ),
        )

    assert caught.value.error_code == "share_return_not_local"


def test_returning_twice_to_the_same_departments_is_refused(
    as_provider: Run, conditional_entry: str
) -> None:
    as_provider("share_return", returning(conditional_entry))

    with pytest.raises(Conflict) as caught:
        as_provider("share_return", returning(conditional_entry))

    assert caught.value.error_code == "share_return_exists"


def test_only_the_holder_or_its_authority_returns_data(
    as_consumer: Run, as_reviewer: Run, conditional_entry: str
) -> None:
    with pytest.raises(Forbidden):
        as_consumer("share_return", returning(conditional_entry))

    assert len(as_reviewer("share_return", returning(conditional_entry)).grants) == 12


def test_a_return_and_each_grant_it_makes_are_ledgered(
    as_provider: Run, provider: Context, conditional_entry: str
) -> None:
    out = as_provider("share_return", returning(conditional_entry))
    grant_id = out.grants[0].id

    provider.session.commit()
    kinds = [
        decode_entry(get_leaf(provider.session, i).entry).kind
        for i in entries_about(provider.session, grant_id)
    ]
    about_entry = [
        decode_entry(get_leaf(provider.session, i).entry).kind
        for i in entries_about(provider.session, conditional_entry)
    ]
    assert kinds == [EntryKind.GRANT_ISSUED]
    assert about_entry.count(EntryKind.GRANT_ISSUED) == 12
    assert "sharing:return:issued" in about_entry
