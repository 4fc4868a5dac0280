"""Demo profiles: one-person-one-file built from the three demo population sources.

The 公安厅 system table and police-station reports carry valid ID numbers; the
社保 file lacks them in a tenth of its rows and has a few mistyped names, so the
build links most records exactly and the rest probabilistically.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from govdata.actions import Context
from govdata.aggregation.demo import SOCIAL_SOURCE
from govdata.aggregation.models import Source
from govdata.orgs.models import Organisation
from govdata.profiles.models import ProfileRun

# In order of authority: the department system first.
DEMO_SOURCES = (
    "户籍人口（人口信息管理系统）",
    "户籍人口（派出所上报，GBK 文件）",
    SOCIAL_SOURCE,
)
DEMO_AUTHORITY = "内蒙古自治区政务服务与数据管理局"

Run_ = Callable[[str, dict[str, Any]], Any]


def load_demo_profiles(ctx: Context, run: Run_) -> dict[str, int] | None:
    """Build the demo person profiles once; None when built before or sources are missing."""
    if ctx.session.scalar(select(ProfileRun.id).limit(1)) is not None:
        return None
    sources = [ctx.session.scalar(select(Source).where(Source.name == n)) for n in DEMO_SOURCES]
    authority = ctx.session.scalar(select(Organisation).where(Organisation.name == DEMO_AUTHORITY))
    if authority is None or any(source is None for source in sources):
        return None
    built = run(
        "profile_build",
        {
            "kind": "person",
            "organisation_id": authority.id,
            "source_ids": [source.id for source in sources if source is not None],
        },
    )
    return {
        "records": built.records,
        "profiles": built.profiles,
        "linked_probabilistically": built.linked_probabilistically,
    }
