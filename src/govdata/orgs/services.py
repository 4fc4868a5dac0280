"""Division editions: loading the shipped table and applying a new edition."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.orgs.codes import NATION_CODE
from govdata.orgs.models import Division
from govdata.orgs.schemas import DivisionRow

SHIPPED_EDITION = "mca-2023"
BEIJING = ZoneInfo("Asia/Shanghai")


def shipped_division_rows() -> list[dict[str, Any]]:
    """The division table that ships with govdata (see orgs/data/README.md)."""
    text = resources.files("govdata.orgs.data").joinpath("divisions.csv").read_text("utf-8")
    return division_rows_from_csv(text)


def decode_table_text(raw: bytes) -> str:
    """Text of a table file: UTF-8 (with or without BOM), else GB18030 (covers GBK)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def division_rows_from_csv(text: str) -> list[dict[str, Any]]:
    """Rows of a division table in the shipped CSV layout (code, name, level,
    parent_code, valid_from, valid_to; other columns are ignored)."""
    return [
        {
            "code": raw.get("code") or "",
            "name": raw.get("name") or "",
            "level": raw.get("level") or "",
            "parent_code": raw.get("parent_code") or None,
            "valid_from": raw.get("valid_from") or None,
            "valid_to": raw.get("valid_to") or None,
        }
        for raw in csv.DictReader(text.splitlines())
    ]


@dataclass
class EditionDiff:
    added: int = 0
    changed: int = 0
    withdrawn: int = 0
    unchanged: int = 0


def apply_edition(
    session: Session, edition: str, effective: date | None, rows: list[DivisionRow]
) -> EditionDiff:
    """Bring the current divisions in line with ``rows``, keeping history.

    A code whose name or parent changed gets its current version closed on
    ``effective`` and a new version opened; a code missing from the edition is
    closed; a new code is opened. Unchanged codes keep their row.
    """
    current = {
        d.code: d for d in session.scalars(select(Division).where(Division.valid_to.is_(None)))
    }
    # Division editions take effect on Beijing calendar days.
    closing_date = effective or datetime.now(BEIJING).date()
    # Versions opened by a later edition start where the versions they replace
    # end, so that no date ever sees two versions of one code. The very first
    # edition opens its versions with no start ("since before this table").
    opening_date = effective or (closing_date if current else None)
    diff = EditionDiff()
    seen: set[str] = set()
    for row in rows:
        seen.add(row.code)
        existing = current.get(row.code)
        if existing is not None and (existing.name, existing.parent_code) == (
            row.name,
            row.parent_code,
        ):
            diff.unchanged += 1
            continue
        if existing is not None:
            existing.valid_to = closing_date
            diff.changed += 1
        else:
            diff.added += 1
        session.add(
            Division(
                code=row.code,
                name=row.name,
                level=row.level.value,
                parent_code=row.parent_code,
                valid_from=row.valid_from or opening_date,
                valid_to=row.valid_to,
                source_edition=edition,
            )
        )
    # An edition speaks for the provinces it contains, not for the whole table.
    provinces = {code[:2] for code in seen if code != NATION_CODE}
    for code, division in current.items():
        if code not in seen and code[:2] in provinces and code != NATION_CODE:
            division.valid_to = closing_date
            diff.withdrawn += 1
    session.flush()
    return diff
