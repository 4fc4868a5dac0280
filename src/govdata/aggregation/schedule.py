"""Cron schedules of physical sources, read in Beijing time."""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import CroniterBadCronError, croniter

from govdata.errors import InvalidInput
from govdata.orgs.services import BEIJING


def check_schedule(expression: str) -> str:
    expression = " ".join(expression.split())
    if not croniter.is_valid(expression) or len(expression.split()) != 5:
        raise InvalidInput(
            "定时表达式无效（应为 5 段 cron 表达式，如“0 2 * * *”表示每天 2 点）",
            fields={"schedule": "无效的 cron 表达式"},
        )
    return expression


def next_run(expression: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` that the schedule fires (UTC)."""
    try:
        nxt: datetime = croniter(expression, after.astimezone(BEIJING)).get_next(datetime)
    except CroniterBadCronError as error:  # checked on save; kept for old rows
        raise InvalidInput(f"定时表达式无效：{error}") from None
    return nxt.astimezone(UTC)
