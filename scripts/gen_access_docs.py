"""Regenerate the grade policy tables in docs/security.md from the policy data.

The tables sit between two markers in the page; the prose around them is written
by hand. ``tests/test_grade_policy.py`` fails when the page and
:data:`govdata.access.policy.GRADE_POLICY` disagree.

    .venv/bin/python scripts/gen_access_docs.py          # rewrite the tables
    .venv/bin/python scripts/gen_access_docs.py --check  # exit 1 when out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from govdata.access.policy import (
    GRADE_POLICY,
    READ_KIND_LABELS,
    RELATION_LABELS,
    RELATIONS,
    ReadKind,
    Relation,
)
from govdata.authz import ROLE_LABELS, Role
from govdata.generated_docs import END, begin_marker, replace_section, run
from govdata.grades import GRADE_LABELS, Grade

PAGE = Path(__file__).resolve().parent.parent / "docs" / "security.md"
BEGIN = begin_marker("scripts/gen_access_docs.py")

TITLES = {
    ReadKind.VALUES: "Stored data, logical access, quarantine and Spark manifests",
    ReadKind.METADATA: "Catalog descriptions and commit metadata",
}
ROLE_ORDER = (
    Role.PROVIDER_OFFICER,
    Role.AUTHORITY_REVIEWER,
    Role.PLATFORM_ADMIN,
    Role.AUDITOR,
    Role.CONSUMER_OFFICER,
    Role.MEMBER,
    Role.PUBLIC,
)


def _grade(grade: Grade) -> str:
    return f"{GRADE_LABELS[grade]} `{grade.value}`"


def cell(relation: Relation, grade: Grade | None) -> str:
    if grade is None:
        return "—"
    if relation is Relation.GRANTED:
        if grade is Grade.CORE:
            return "the grant's ceiling"
        return f"the grant's ceiling, at most {_grade(grade)}"
    return f"up to {_grade(grade)}"


def render_kind(kind: ReadKind) -> str:
    header = ["role", *(f"{r.value} {RELATION_LABELS[r]}" for r in RELATIONS)]
    lines = [
        f"### {TITLES[kind]} ({READ_KIND_LABELS[kind]}, `{kind.value}`)",
        "",
        "| " + " | ".join(header) + " |",
        "|" + " --- |" * len(header),
    ]
    table = GRADE_POLICY[kind]
    for role in ROLE_ORDER:
        row = table[role]
        cells = [f"{ROLE_LABELS[role]} `{role.value}`"]
        cells += [cell(relation, row[i]) for i, relation in enumerate(RELATIONS)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render() -> str:
    """The generated part of the page, markers included."""
    parts = [BEGIN, ""]
    for kind in (ReadKind.VALUES, ReadKind.METADATA):
        parts += [render_kind(kind), ""]
    parts.append(END)
    return "\n".join(parts)


def updated(page: str) -> str:
    """``page`` with its generated section replaced by :func:`render`."""
    return replace_section(page, BEGIN, render())


def main(argv: list[str] | None = None) -> int:
    return run(
        argv,
        description=__doc__.splitlines()[0] if __doc__ else "",
        page=PAGE,
        script="scripts/gen_access_docs.py",
        updated=updated,
    )


if __name__ == "__main__":
    sys.exit(main())
