"""Demo quality rules for the population base library, and one run after it is built.

The rules cover five GB/T 36344 dimensions: citizen ID check (with the division
valid since birth), uniqueness of the ID, required name, phone present and
well-formed, household division code current, ID consistent with the birth
date and sex, and recent updates. The demo data
(:func:`govdata.aggregation.demo.flawed_people`) has a few rows that the load
accepts but these rules flag, so the first run has failing rows to open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from govdata.actions import Context
from govdata.aggregation.models import Library
from govdata.quality.models import QualityRuleSet

DEMO_LIBRARY = "population"

DEMO_RULES = """\
key_columns: [id_number]
rules:
  - {code: id_valid, name: 公民身份号码有效, kind: id_number, column: id_number}
  - {code: id_unique, name: 公民身份号码唯一, kind: unique, column: id_number}
  - {code: name_present, name: 姓名必填, kind: not_null, column: name}
  - {code: phone_present, name: 联系电话已填写, kind: not_null, column: phone}
  - {code: phone_valid, name: 联系电话格式正确, kind: phone, column: phone}
  - {code: division_current, name: 户籍地区划代码现行有效, kind: division_code,
     column: division_code}
  - code: birth_matches_id
    name: 出生日期与身份号码一致
    kind: sql
    expression: "substr(id_number, 7, 8) = strftime(birth_date, '%Y%m%d')"
    dimension: consistency
    sub_indicator: same_data
  - code: sex_matches_id
    name: 性别与身份号码一致
    kind: sql
    expression: "sex NOT IN ('1', '2') OR try_cast(substr(id_number, 17, 1) AS INTEGER) % 2
      = CASE sex WHEN '1' THEN 1 ELSE 0 END"
    dimension: consistency
    sub_indicator: same_data
  - {code: updated_recently, name: 两年内有更新, kind: freshness, column: updated_at,
     max_age_days: 730}
"""

Run = Callable[[str, dict[str, Any]], Any]


def load_demo_quality(ctx: Context, run: Run) -> dict[str, Any]:
    """Set the demo rules on the population library (once) and run them once.

    Call it after the library is built. Returns the run's id, score and failing
    rows, or nothing when there is no library or its rules were already set (a
    rerun of the demo leaves them alone)."""
    library = ctx.session.scalar(select(Library).where(Library.code == DEMO_LIBRARY))
    if library is None:
        return {}
    existing = ctx.session.scalar(
        select(QualityRuleSet.id).where(QualityRuleSet.library_id == library.id)
    )
    if existing is not None:
        return {}
    run("quality_rules_set", {"library_id": library.id, "yaml": DEMO_RULES})
    checked = run("quality_run_start", {"library_id": library.id})
    failed = sum(result.failed for result in checked.results)
    return {"run_id": checked.id, "score": checked.score, "failed": failed}
