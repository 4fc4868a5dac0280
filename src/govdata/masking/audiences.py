"""Who is looking at the data, and what each may see in clear text without a rule.

==============  ==================================================================
``owner``       the data-owning department (数源部门) reading its own data
``authority``   a competent or supervising authority (主管/监管部门) acting under
                its statutory duty, e.g. an audit or an inspection
``consumer``    a department using the data under an approved share grant
                (共享使用部门)
``public``      anyone: open data (开放数据) and public portal pages
==============  ==================================================================

:data:`DEFAULT_CLEAR_UP_TO` is the highest GB/T 43697 grade each audience sees
in clear text when no rule names the field; anything graded above it, and any
audience not in this list, is suppressed. A rule set may lower or raise these
ceilings (``clear_up_to``), and rules may grant more than clear text allows.
"""

from __future__ import annotations

from enum import StrEnum

from govdata.catalog.vocab import Grade


class Audience(StrEnum):
    OWNER = "owner"
    AUTHORITY = "authority"
    CONSUMER = "consumer"
    PUBLIC = "public"


AUDIENCE_LABELS = {
    Audience.OWNER: "数源部门",
    Audience.AUTHORITY: "主管或监管部门",
    Audience.CONSUMER: "共享使用部门",
    Audience.PUBLIC: "社会公众",
}

DEFAULT_CLEAR_UP_TO: dict[Audience, Grade] = {
    Audience.OWNER: Grade.CORE,
    Audience.AUTHORITY: Grade.GENERAL_3,
    Audience.CONSUMER: Grade.GENERAL_2,
    Audience.PUBLIC: Grade.GENERAL_1,
}


def parse_audience(value: object) -> Audience | None:
    """The audience named by ``value``, or None for anything unknown."""
    try:
        return Audience(value) if isinstance(value, str) else None
    except ValueError:
        return None


def parse_grade(value: object) -> Grade | None:
    """The grade named by ``value`` (a catalog grade code), or None."""
    try:
        return Grade(value) if isinstance(value, str) else None
    except ValueError:
        return None
