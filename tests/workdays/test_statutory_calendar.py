"""The statutory calendar and deadlines counted in working days (C6)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govdata.workdays.calendar import (
    CalendarDataInvalid,
    CalendarNotCovered,
    StatutoryCalendar,
)
from govdata.workdays.deadlines import DeadlineState, deadline_status

CALENDAR = StatutoryCalendar.load()

covered_days = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 10, 31))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 28), False),  # 除夕, a holiday since 2025
        (date(2025, 1, 26), True),  # Sunday, make-up workday for 春节
        (date(2025, 2, 8), True),  # Saturday, make-up workday
        (date(2025, 5, 2), False),  # 劳动节
        (date(2025, 10, 8), False),  # 国庆节 and 中秋节 together
        (date(2025, 10, 11), True),  # Saturday, make-up workday
        (date(2026, 1, 4), True),  # Sunday, make-up workday for 元旦
        (date(2026, 2, 23), False),  # 春节, nine days in 2026
        (date(2026, 2, 28), True),  # Saturday, make-up workday
        (date(2026, 3, 4), True),  # an ordinary Wednesday
        (date(2026, 3, 7), False),  # an ordinary Saturday
    ],
)
def test_holidays_and_make_up_workdays_follow_the_state_council_notices(
    day: date, working: bool
) -> None:
    assert CALENDAR.is_working_day(day) is working


def test_twenty_working_days_skip_the_spring_festival_and_count_make_up_days() -> None:
    assert CALENDAR.add_working_days(date(2025, 1, 20), 20) == date(2025, 2, 21)


def test_twenty_working_days_across_mid_autumn_and_national_day_2026() -> None:
    assert CALENDAR.add_working_days(date(2026, 9, 15), 20) == date(2026, 10, 19)


def test_a_year_without_holiday_data_is_an_explicit_error() -> None:
    with pytest.raises(CalendarNotCovered) as raised:
        CALENDAR.is_working_day(date(2027, 3, 1))
    assert raised.value.error_code == "calendar_year_not_covered"
    assert "2027" in raised.value.message


def test_a_deadline_reaching_into_an_uncovered_year_is_an_error_not_a_guess() -> None:
    with pytest.raises(CalendarNotCovered):
        CALENDAR.add_working_days(date(2026, 12, 20), 20)


@given(start=covered_days, days=st.integers(min_value=1, max_value=40))
def test_counting_back_the_working_days_to_a_deadline_gives_the_allowance(
    start: date, days: int
) -> None:
    due = CALENDAR.add_working_days(start, days)
    assert CALENDAR.is_working_day(due)
    assert CALENDAR.working_days_between(start, due) == days
    assert CALENDAR.working_days_between(start, due - timedelta(days=1)) == days - 1


@given(start=covered_days, days=st.integers(min_value=1, max_value=30))
def test_a_longer_allowance_never_ends_earlier(start: date, days: int) -> None:
    assert CALENDAR.add_working_days(start, days + 1) > CALENDAR.add_working_days(start, days)


@pytest.mark.parametrize(
    ("today", "state", "left"),
    [
        (date(2026, 9, 16), DeadlineState.ON_TIME, 19),
        (date(2026, 10, 12), DeadlineState.DUE_SOON, 5),
        (date(2026, 10, 19), DeadlineState.DUE_SOON, 0),
        (date(2026, 10, 20), DeadlineState.OVERDUE, -1),
    ],
)
def test_a_registration_deadline_is_on_time_due_soon_or_overdue(
    today: date, state: DeadlineState, left: int
) -> None:
    status = deadline_status(CALENDAR, date(2026, 9, 15), today)
    assert status.due == date(2026, 10, 19)
    assert status.state is state
    assert status.working_days_left == left


def write_calendar(path: Path, years: dict[str, object]) -> Path:
    path.write_text(json.dumps({"calendar": "cn-statutory", "years": years}), "utf-8")
    return path


def test_a_nodes_own_file_adds_a_year(tmp_path: Path) -> None:
    override = write_calendar(
        tmp_path / "2027.json",
        {"2027": {"source": "本地测试数据", "holidays": ["2027-01-01"], "workdays": []}},
    )
    calendar = StatutoryCalendar.load(override)
    assert calendar.covered_years == [2024, 2025, 2026, 2027]
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert calendar.is_working_day(date(2027, 1, 4))


def test_a_nodes_own_file_replaces_a_shipped_year_whole(tmp_path: Path) -> None:
    override = write_calendar(
        tmp_path / "2026.json",
        {"2026": {"source": "更正", "holidays": ["2026-03-04"], "workdays": []}},
    )
    calendar = StatutoryCalendar.load(override)
    assert not calendar.is_working_day(date(2026, 3, 4))
    assert calendar.is_working_day(date(2026, 2, 16))  # the shipped 春节 is gone
    assert calendar.year(2026).source == "更正"


@pytest.mark.parametrize(
    ("arrangement", "problem"),
    [
        ({"source": "x", "holidays": ["2027-01-04"], "workdays": ["2027-01-04"]}, "both"),
        ({"source": "x", "holidays": [], "workdays": ["2027-01-05"]}, "weekends"),
        ({"source": "x", "holidays": ["2026-12-31"], "workdays": []}, "outside"),
        ({"source": "x", "holidays": ["2027-13-01"], "workdays": []}, "2027"),
        ({"holidays": [], "workdays": []}, "source"),
    ],
)
def test_a_contradictory_or_malformed_file_is_refused(
    tmp_path: Path, arrangement: dict[str, object], problem: str
) -> None:
    override = write_calendar(tmp_path / "bad.json", {"2027": arrangement})
    with pytest.raises(CalendarDataInvalid, match=problem):
        StatutoryCalendar.load(override)


def test_every_shipped_make_up_workday_is_a_weekend_day_and_every_year_names_its_notice() -> None:
    for year in CALENDAR.covered_years:
        arrangement = CALENDAR.year(year)
        assert "节假日安排" in arrangement.source
        assert all(day.weekday() >= 5 for day in arrangement.workdays)


def test_a_file_whose_years_are_not_a_mapping_is_refused(tmp_path: Path) -> None:
    override = tmp_path / "list.json"
    override.write_text('{"years": []}', "utf-8")
    with pytest.raises(CalendarDataInvalid, match="years"):
        StatutoryCalendar.load(override)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    override = tmp_path / "gbk.json"
    override.write_bytes('{"years": {"2027": {"source": "节假日安排"}}}'.encode("gbk"))
    with pytest.raises(CalendarDataInvalid, match="UTF-8"):
        StatutoryCalendar.load(override)
