"""Data grades (GB/T 43697-2024): core, important and general data, general data
split into four sensitivity levels.

A neutral module, because grades are used everywhere: the catalog grades its
entries (C8), and access to data is decided by grade (X2, :mod:`govdata.access`).
``govdata.catalog.vocab`` re-exports these names.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Grade(StrEnum):
    """GB/T 43697-2024 grades, lowest first; general data in four sensitivity levels."""

    GENERAL_1 = "general_1"
    GENERAL_2 = "general_2"
    GENERAL_3 = "general_3"
    GENERAL_4 = "general_4"
    IMPORTANT = "important"
    CORE = "core"

    @property
    def rank(self) -> int:
        return _GRADE_ORDER.index(self)


_GRADE_ORDER = list(Grade)

GRADE_LABELS = {
    Grade.GENERAL_1: "一般数据（1级）",
    Grade.GENERAL_2: "一般数据（2级）",
    Grade.GENERAL_3: "一般数据（3级）",
    Grade.GENERAL_4: "一般数据（4级）",
    Grade.IMPORTANT: "重要数据",
    Grade.CORE: "核心数据",
}


def highest_grade(grades: Iterable[Grade]) -> Grade | None:
    """The highest of ``grades`` (an entry's grade is its highest item grade, C8)."""
    return max(grades, key=lambda g: g.rank, default=None)


def grades_up_to(ceiling: Grade) -> tuple[Grade, ...]:
    """Every grade at or below ``ceiling``, lowest first."""
    return tuple(grade for grade in Grade if grade.rank <= ceiling.rank)
