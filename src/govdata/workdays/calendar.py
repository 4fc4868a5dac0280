"""The Chinese statutory calendar: weekends, public holidays and make-up workdays.

Each covered year comes from the State Council's annual notice on holiday
arrangements (国务院办公厅关于部分节假日安排的通知), shipped in
``data/cn-statutory.json``. A node may override or add years with its own file
(``GOVDATA_CALENDAR_FILE``, same layout): a year in that file replaces the
shipped year whole. A date in a year no file covers is an explicit error, never
a guess: the notice for a year is published in the autumn before it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from govdata.errors import GovdataError

SATURDAY = 5


class CalendarNotCovered(GovdataError):
    status = 422
    code = "calendar_year_not_covered"
    default_message = "节假日安排未覆盖该年份，请补充该年度的节假日数据"


class CalendarDataInvalid(ValueError):
    """A holiday file that contradicts itself or is malformed."""


@dataclass(frozen=True)
class HolidayYear:
    year: int
    source: str
    holidays: frozenset[date]
    workdays: frozenset[date]


def _parse_year(year_text: str, raw: dict[str, Any]) -> HolidayYear:
    try:
        year = int(year_text)
        holidays = frozenset(date.fromisoformat(d) for d in raw["holidays"])
        workdays = frozenset(date.fromisoformat(d) for d in raw["workdays"])
        source = str(raw["source"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CalendarDataInvalid(f"year {year_text}: {exc}") from None
    strays = sorted(d for d in holidays | workdays if d.year != year)
    if strays:
        raise CalendarDataInvalid(f"year {year}: dates outside the year: {strays}")
    both = sorted(holidays & workdays)
    if both:
        raise CalendarDataInvalid(f"year {year}: both holiday and workday: {both}")
    weekday_workdays = sorted(d for d in workdays if d.weekday() < SATURDAY)
    if weekday_workdays:
        raise CalendarDataInvalid(
            f"year {year}: make-up workdays must fall on weekends: {weekday_workdays}"
        )
    return HolidayYear(year, source, holidays, workdays)


def parse_calendar(text: str) -> dict[int, HolidayYear]:
    try:
        document = json.loads(text)
        years = document["years"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CalendarDataInvalid(f"not a holiday calendar file: {exc}") from None
    if not isinstance(years, dict) or not all(isinstance(v, dict) for v in years.values()):
        raise CalendarDataInvalid("'years' must map each year to its arrangement")
    parsed = [_parse_year(key, value) for key, value in years.items()]
    return {entry.year: entry for entry in parsed}


class StatutoryCalendar:
    """Working-day arithmetic over the covered years."""

    def __init__(self, years: dict[int, HolidayYear]) -> None:
        self._years = dict(years)

    @classmethod
    def load(cls, override: Path | None = None) -> StatutoryCalendar:
        shipped = (
            resources.files("govdata.workdays.data")
            .joinpath("cn-statutory.json")
            .read_text("utf-8")
        )
        years = parse_calendar(shipped)
        if override is not None:
            try:
                text = override.read_text("utf-8")
            except UnicodeDecodeError as exc:
                raise CalendarDataInvalid(f"{override} is not UTF-8: {exc}") from None
            years.update(parse_calendar(text))
        return cls(years)

    @property
    def covered_years(self) -> list[int]:
        return sorted(self._years)

    def year(self, year: int) -> HolidayYear:
        try:
            return self._years[year]
        except KeyError:
            covered = "、".join(str(y) for y in self.covered_years) or "无"
            raise CalendarNotCovered(
                f"节假日安排未覆盖{year}年（已覆盖：{covered}），请补充该年度的国务院节假日安排",
                fields={"year": str(year)},
            ) from None

    def is_working_day(self, day: date) -> bool:
        arrangement = self.year(day.year)
        if day in arrangement.workdays:
            return True
        if day in arrangement.holidays:
            return False
        return day.weekday() < SATURDAY

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
        if days < 1:
            raise ValueError("days must be at least 1")
        current = start
        counted = 0
        while counted < days:
            current += timedelta(days=1)
            if self.is_working_day(current):
                counted += 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative if
        ``end`` is before ``start``)."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count
