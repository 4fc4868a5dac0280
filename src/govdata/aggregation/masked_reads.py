"""Masking of sensitive columns on data reads, by the reader's audience (X3).

Whether a caller may read a source at all is the grade decision's business
(:mod:`govdata.access`); what it sees of the sensitive columns depends on who
it is to the data's holder:

==========================  ==========  =======================================
relation to the holder      audience    sensitive columns
==========================  ==========  =======================================
own department              owner       clear
authority over the subtree  authority   partially masked (the kind's default)
through an access grant     consumer    partially masked (the kind's default)
member, public              public      suppressed
==========================  ==========  =======================================

A column is sensitive when the catalog item it stands for (matched by the
column's Chinese label or its name) is flagged sensitive, or when its standard
check says it holds personal identifiers (ID numbers, phone numbers). Its kind
comes from the check, from the catalog item's name, or from the detectors run
on the values being returned. Other columns are returned as they are: their
grade has already been decided.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.access.policy import Decision, Relation
from govdata.aggregation.columns import Check, ColumnSpec
from govdata.aggregation.models import Source
from govdata.catalog.models import CatalogEntry, EntryVersion, InformationItem
from govdata.grades import Grade
from govdata.masking import Audience
from govdata.masking.detect import detect_column
from govdata.masking.engine import Masker
from govdata.masking.kinds import SensitiveKind
from govdata.masking.rules import RuleSet

AUDIENCE_BY_RELATION = {
    Relation.OWN: Audience.OWNER,
    Relation.SUBTREE: Audience.AUTHORITY,
    Relation.GRANTED: Audience.CONSUMER,
    Relation.MEMBER: Audience.PUBLIC,
    Relation.PUBLIC: Audience.PUBLIC,
}
_KIND_BY_CHECK = {Check.ID_NUMBER: SensitiveKind.ID_NUMBER, Check.PHONE: SensitiveKind.MOBILE}
_KIND_BY_WORD = (
    ("身份证", SensitiveKind.ID_NUMBER),
    ("身份号码", SensitiveKind.ID_NUMBER),
    ("手机", SensitiveKind.MOBILE),
    ("电话", SensitiveKind.MOBILE),
    ("姓名", SensitiveKind.NAME),
    ("地址", SensitiveKind.ADDRESS),
    ("住址", SensitiveKind.ADDRESS),
    ("银行卡", SensitiveKind.BANK_CARD),
    ("邮箱", SensitiveKind.EMAIL),
)
_MASKED_AUDIENCES = ("authority", "consumer")


@dataclass(frozen=True)
class MaskedPage:
    table: pa.Table
    audience: Audience
    masked: dict[str, str]  # column → what was done to it ("partial", "suppress")


def audience_of(decision: Decision) -> Audience:
    """The masking audience of a caller allowed by ``decision`` (default-deny: public)."""
    if decision.relation is None:
        return Audience.PUBLIC
    return AUDIENCE_BY_RELATION.get(decision.relation, Audience.PUBLIC)


def sensitive_columns(
    session: Session, source: Source, columns: Sequence[ColumnSpec]
) -> dict[str, SensitiveKind | None]:
    """The source's sensitive columns and, where known, what they hold."""
    items = _published_items(session, source.entry_id)
    found: dict[str, SensitiveKind | None] = {}
    for column in columns:
        item = items.get(column.label) or items.get(column.name)
        kind = _KIND_BY_CHECK.get(column.check) if column.check else None
        if kind is None:
            kind = _kind_from_words(column.label or (item.name if item else ""))
        if (item is not None and item.sensitive) or column.check in _KIND_BY_CHECK:
            found[column.name] = kind
    return found


def sensitive_by_checks(columns: Sequence[ColumnSpec]) -> dict[str, SensitiveKind | None]:
    """Columns whose standard check says they hold personal identifiers (for tables
    without one catalog entry of their own: libraries)."""
    return {
        column.name: _KIND_BY_CHECK[column.check]
        for column in columns
        if column.check in _KIND_BY_CHECK
    }


def mask_page(
    table: pa.Table, sensitive: dict[str, SensitiveKind | None], decision: Decision
) -> MaskedPage:
    """``table`` as the caller allowed by ``decision`` may see it."""
    audience = audience_of(decision)
    present = {name: kind for name, kind in sensitive.items() if name in table.column_names}
    if audience is Audience.OWNER or not present:
        return MaskedPage(table, audience, {})
    kinds: dict[str, SensitiveKind] = {}
    for name, known in present.items():
        kind = known
        if kind is None:
            values = [value for value in table.column(name).to_pylist() if value is not None]
            kind = detect_column([str(value) for value in values], field_name=name).kind
        if kind is not None:
            kinds[name] = kind
    rules = RuleSet.from_dict(
        {
            "version": 1,
            # Grades were decided before the read: columns not named here stay clear.
            "clear_up_to": {str(reader): Grade.CORE.value for reader in Audience},
            "rules": [
                {
                    "name": f"敏感字段{name}",
                    "fields": [name],
                    "audiences": list(_MASKED_AUDIENCES),
                    "strategy": {"type": "partial"},
                }
                | ({"kind": str(kinds[name])} if name in kinds else {})
                for name in present
            ]
            + [
                {
                    "name": f"敏感字段{name}（公众）",
                    "fields": [name],
                    "audiences": ["public"],
                    "strategy": {"type": "suppress"},
                }
                for name in present
            ],
        }
    )
    grades = dict.fromkeys(table.column_names, Grade.GENERAL_1)
    masked_table = _as_text(table, list(present))
    masked_table = Masker(rules).mask_table(masked_table, grades, audience, kinds)
    what = "suppress" if audience is Audience.PUBLIC else "partial"
    return MaskedPage(masked_table, audience, dict.fromkeys(present, what))


def _as_text(table: pa.Table, names: list[str]) -> pa.Table:
    """Masked columns become text (a masked date or number is no longer one)."""
    for name in names:
        position = table.column_names.index(name)
        column = table.column(name)
        if not pa.types.is_string(column.type):
            table = table.set_column(position, name, column.cast(pa.string()))
    return table


def _published_items(session: Session, entry_id: str) -> dict[str, InformationItem]:
    """The information items of the entry's published version (one query)."""
    items = session.scalars(
        select(InformationItem)
        .join(EntryVersion, EntryVersion.id == InformationItem.version_id)
        .join(
            CatalogEntry,
            (CatalogEntry.id == EntryVersion.entry_id)
            & (CatalogEntry.published_number == EntryVersion.number),
        )
        .where(CatalogEntry.id == entry_id)
    ).all()
    return {item.name: item for item in items}


def _kind_from_words(text: str) -> SensitiveKind | None:
    for word, kind in _KIND_BY_WORD:
        if word in text:
            return kind
    return None
