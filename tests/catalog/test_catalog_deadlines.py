"""Registration and update deadlines of 20 working days on the statutory calendar (C6)."""

from __future__ import annotations

import pytest

from govdata.actions import ActionRegistry, Context
from govdata.catalog.schemas import ObligationOut
from govdata.errors import Forbidden, InvalidInput
from govdata.orgs.models import Organisation
from govdata.workdays.calendar import CalendarNotCovered
from tests.catalog.conftest import Run
from tests.factories import context_for, user_actor


def only(obligations: list[ObligationOut]) -> ObligationOut:
    assert len(obligations) == 1
    return obligations[0]


def test_registering_a_system_opens_a_registration_deadline(
    as_reviewer: Run, system_id: str
) -> None:
    report = as_reviewer("catalog_deadlines", {"on": "2026-11-21"})
    obligation = only(report.obligations)
    assert obligation.kind == "register"
    assert obligation.system_id == system_id
    assert str(obligation.started_on) == "2026-11-02"
    assert str(obligation.due_on) == "2026-11-30"
    assert (obligation.state, obligation.working_days_left) == ("on_time", 6)


@pytest.mark.parametrize(
    ("on", "state", "counts"),
    [
        ("2026-11-24", "due_soon", (0, 1, 0)),
        ("2026-11-30", "due_soon", (0, 1, 0)),
        ("2026-12-01", "overdue", (1, 0, 0)),
    ],
)
def test_the_state_follows_the_working_days_left(
    as_reviewer: Run, system_id: str, on: str, state: str, counts: tuple[int, int, int]
) -> None:
    report = as_reviewer("catalog_deadlines", {"on": on})
    assert only(report.obligations).state == state
    assert (report.overdue, report.due_soon, report.on_time) == counts
    [department] = report.departments
    assert (department.overdue, department.due_soon, department.on_time) == counts


def test_holidays_and_make_up_workdays_move_the_due_day(
    as_provider: Run, as_reviewer: Run, market: Organisation
) -> None:
    # 2026: 25-27 Sep and 1-7 Oct are holidays, Saturday 10 Oct is a make-up workday.
    as_provider(
        "system_register",
        {"organisation_id": market.id, "name": "企业年报系统", "started_on": "2026-09-21"},
    )
    report = as_reviewer("catalog_deadlines", {"on": "2026-10-08"})
    assert str(only(report.obligations).due_on) == "2026-10-26"


def test_publishing_an_entry_of_the_system_fulfils_the_registration(
    as_reviewer: Run, published: str
) -> None:
    assert as_reviewer("catalog_deadlines", {"on": "2026-12-01"}).total == 0
    done = as_reviewer("catalog_deadlines", {"on": "2026-12-01", "include_fulfilled": True})
    obligation = only(done.obligations)
    assert obligation.state == "fulfilled"
    assert obligation.fulfilled_at is not None


def test_a_change_to_a_published_entry_must_reach_a_new_version(
    as_provider: Run, as_reviewer: Run, published: str
) -> None:
    as_provider(
        "obligation_create",
        {
            "kind": "update",
            "entry_id": published,
            "subject": "新增“经营范围”字段",
            "started_on": "2026-11-16",
        },
    )
    open_ones = as_reviewer("catalog_deadlines", {"on": "2026-11-21"}).obligations
    assert [(o.kind, o.entry_id) for o in open_ones] == [("update", published)]
    as_provider("entry_revise", {"id": published})
    as_provider("entry_submit", {"id": published})
    as_reviewer("entry_review", {"id": published, "decision": "publish"})
    assert as_reviewer("catalog_deadlines", {"on": "2026-11-21"}).total == 0


def test_an_update_deadline_needs_a_published_entry(as_provider: Run, draft: str) -> None:
    with pytest.raises(InvalidInput):
        as_provider(
            "obligation_create", {"kind": "update", "entry_id": draft, "subject": "字段变更"}
        )


def test_a_deadline_cannot_start_in_the_future(as_reviewer: Run, market: Organisation) -> None:
    with pytest.raises(InvalidInput) as caught:
        as_reviewer(
            "obligation_create",
            {
                "kind": "register",
                "organisation_id": market.id,
                "subject": "新增资源",
                "started_on": "2999-01-01",
            },
        )
    assert "started_on" in caught.value.fields


def test_a_due_day_in_a_year_the_calendar_does_not_cover_is_an_explicit_error(
    as_provider: Run, as_reviewer: Run, market: Organisation
) -> None:
    # 20 working days after 20 December 2026 fall in 2027, which the shipped calendar lacks.
    as_provider(
        "system_register",
        {"organisation_id": market.id, "name": "年末上线系统", "started_on": "2026-12-20"},
    )
    with pytest.raises(CalendarNotCovered):
        as_reviewer("catalog_deadlines", {"on": "2026-12-21"})


def test_work_overdue_in_a_covered_year_stays_overdue_when_today_is_not_covered(
    as_reviewer: Run, system_id: str
) -> None:
    obligation = only(as_reviewer("catalog_deadlines", {"on": "2031-01-06"}).obligations)
    assert str(obligation.due_on) == "2026-11-30"
    assert (obligation.state, obligation.working_days_left) == ("overdue", None)


def test_a_consumer_officer_sees_no_deadlines(
    registry: ActionRegistry, operator_ctx: Context, system_id: str
) -> None:
    consumer = context_for(operator_ctx, user_actor(operator_ctx.session, "consumer"))
    with pytest.raises(Forbidden):
        registry.run("catalog_deadlines", consumer, {})


def test_a_new_resource_noted_for_a_department_is_settled_by_its_next_new_entry(
    as_provider: Run, as_reviewer: Run, market: Organisation, draft: str
) -> None:
    as_reviewer(
        "obligation_create",
        {
            "kind": "register",
            "organisation_id": market.id,
            "subject": "新增企业年报数据",
            "started_on": "2026-11-16",
        },
    )
    open_before = as_reviewer("catalog_deadlines", {"on": "2026-11-20"}).obligations
    assert {o.subject for o in open_before} >= {"新增企业年报数据"}
    as_provider("entry_submit", {"id": draft})
    as_reviewer("entry_review", {"id": draft, "decision": "publish"})
    assert as_reviewer("catalog_deadlines", {"on": "2026-11-20"}).total == 0
