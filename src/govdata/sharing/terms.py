"""What an application may ask for and what a grant carries: fields with their
masking, delivery methods the entry offers, periods and division scopes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.catalog.models import CatalogEntry, EntryVersion, InformationItem
from govdata.catalog.store import published_version
from govdata.errors import InvalidInput
from govdata.sharing.grant_source import beijing_today
from govdata.sharing.schemas import FieldTerm

METHOD_LABELS = {
    "query": "查询接口",
    "verify": "核验接口",
    "bulk": "批量交付",
    "subscription": "订阅",
}
STRATEGY_LABELS = {
    "clear": "明文",
    "partial": "部分遮蔽",
    "hash": "SM3密钥散列",
    "suppress": "屏蔽",
}
# Which of the catalog's share methods (接口/库表/文件/其他) carries each delivery method.
CARRIERS = {
    "query": {"interface"},
    "verify": {"interface"},
    "bulk": {"table", "file"},
    "subscription": {"interface", "table"},
}


def today() -> date:
    return beijing_today()


def published_items(
    session: Session, entry: CatalogEntry
) -> tuple[EntryVersion, list[InformationItem]]:
    version = published_version(session, entry)
    if version is None:
        raise InvalidInput("目录尚未发布，不能申请共享", code="share_entry_unpublished")
    items = session.scalars(
        select(InformationItem)
        .where(InformationItem.version_id == version.id)
        .order_by(InformationItem.position)
    ).all()
    return version, list(items)


def check_fields(items: Sequence[InformationItem], names: Sequence[str]) -> list[str]:
    """``names`` without repeats, each an item of the entry; refused otherwise."""
    known = {item.name for item in items}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InvalidInput(
            f"目录中没有这些信息项：{'、'.join(unknown)}",
            code="share_field_unknown",
            fields={"fields": "、".join(unknown)},
        )
    return list(dict.fromkeys(names))


def default_strategy(item: InformationItem) -> str:
    """The consumer audience's default (as data reads mask it): sensitive items partly
    masked, others clear."""
    return "partial" if item.sensitive else "clear"


def field_terms(
    items: Sequence[InformationItem], allowed: Sequence[str], wanted: Sequence[FieldTerm] | None
) -> list[dict[str, str]]:
    """The fields a grant carries: ``wanted`` (default: every allowed field), each with
    its strategy (default from the item), and none outside ``allowed``."""
    by_name = {item.name: item for item in items}
    terms = wanted if wanted is not None else [FieldTerm(name=name) for name in allowed]
    outside = [term.name for term in terms if term.name not in allowed]
    if outside:
        raise InvalidInput(
            f"只能在申请的信息项范围内授权：{'、'.join(outside)}",
            code="share_field_not_applied",
            fields={"fields": "、".join(outside)},
        )
    if not terms:
        raise InvalidInput("至少授权一个信息项", fields={"fields": "必填"})
    result: dict[str, str] = {}
    for term in terms:
        result[term.name] = term.strategy or default_strategy(by_name[term.name])
    return [{"name": name, "strategy": strategy} for name, strategy in result.items()]


def check_methods(version: EntryVersion, methods: Sequence[str]) -> list[str]:
    """Methods the entry's share methods can carry; refused otherwise."""
    offered = set(version.share_methods or [])
    if not offered or "other" in offered:
        return list(dict.fromkeys(methods))
    missing = [m for m in methods if not CARRIERS[m] & offered]
    if missing:
        raise InvalidInput(
            f"该目录的共享方式不支持：{'、'.join(METHOD_LABELS[m] for m in missing)}",
            code="share_method_unavailable",
            fields={"methods": ",".join(missing)},
        )
    return list(dict.fromkeys(methods))


def check_period(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise InvalidInput("截止日期不能早于开始日期", fields={"ends_on": str(ends_on)})
    if ends_on < today():
        raise InvalidInput("截止日期不能早于今天", fields={"ends_on": str(ends_on)})


def division_prefix(code: str) -> str:
    """The prefix every code inside division ``code`` starts with (150100 → 1501)."""
    prefix = code
    while prefix.endswith("00") and len(prefix) > 2:
        prefix = prefix[:-2]
    return prefix


def within(codes: Sequence[str], scope: Sequence[str]) -> list[str]:
    """The codes of ``codes`` outside ``scope`` (empty scope: everything is within)."""
    if not scope:
        return []
    prefixes = [division_prefix(code) for code in scope]
    return [code for code in codes if not any(code.startswith(p) for p in prefixes)]


def row_in_scope(value: object, scope: Sequence[str]) -> bool:
    """Whether a row whose division column holds ``value`` is inside ``scope``."""
    if not scope:
        return True
    text = "" if value is None else str(value)
    return any(text.startswith(division_prefix(code)) for code in scope)
