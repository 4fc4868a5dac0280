"""Deadlines counted in working days (C6: register within 20 working days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from govdata.workdays.calendar import StatutoryCalendar

REGISTRATION_WORKING_DAYS = 20
DUE_SOON_WORKING_DAYS = 5


class DeadlineState(StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


DEADLINE_STATE_LABELS = {
    DeadlineState.ON_TIME: "未到期",
    DeadlineState.DUE_SOON: "即将到期",
    DeadlineState.OVERDUE: "已逾期",
}


@dataclass(frozen=True)
class Deadline:
    started: date
    due: date
    working_days_left: int
    state: DeadlineState


def deadline_status(
    calendar: StatutoryCalendar,
    started: date,
    today: date,
    *,
    working_days: int = REGISTRATION_WORKING_DAYS,
    due_soon_within: int = DUE_SOON_WORKING_DAYS,
) -> Deadline:
    """Where a task started on ``started`` stands on ``today``.

    The task is due on the ``working_days``-th working day after it started; it is
    due soon when at most ``due_soon_within`` working days are left, overdue after
    the due day.
    """
    due = calendar.add_working_days(started, working_days)
    left = calendar.working_days_between(today, due)
    if today > due:
        state = DeadlineState.OVERDUE
    elif left <= due_soon_within:
        state = DeadlineState.DUE_SOON
    else:
        state = DeadlineState.ON_TIME
    return Deadline(started=started, due=due, working_days_left=left, state=state)
