"""Field-by-field comparison of two versions of an entry (C4)."""

from __future__ import annotations

from govdata.catalog.schemas import (
    FieldChange,
    ItemChange,
    ItemOut,
    ResourceOut,
    VersionComparison,
    VersionOut,
)

# The metadata fields a reader compares, in the order a form shows them.
COMPARED_FIELDS = (
    "name",
    "classification_code",
    "resource_code",
    "provider_code",
    "abstract",
    "format_category",
    "format_detail",
    "share_type",
    "share_conditions",
    "share_methods",
    "open_type",
    "open_conditions",
    "update_cycle",
    "related_codes",
    "grade",
)
ITEM_FIELDS = ("data_type", "length", "grade", "sensitive", "description")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(getattr(value, "value", value))


def _changes(before: object, after: object, names: tuple[str, ...]) -> list[FieldChange]:
    changes = []
    for name in names:
        old, new = _text(getattr(before, name)), _text(getattr(after, name))
        if old != new:
            changes.append(FieldChange(field=name, before=old, after=new))
    return changes


def _item_changes(before: list[ItemOut], after: list[ItemOut]) -> list[ItemChange]:
    old = {item.name: item for item in before}
    new = {item.name: item for item in after}
    changes = [
        ItemChange(name=name, change="removed", fields=[]) for name in old if name not in new
    ]
    for name, item in new.items():
        if name not in old:
            changes.append(ItemChange(name=name, change="added", fields=[]))
            continue
        fields = _changes(old[name], item, ITEM_FIELDS)
        if fields:
            changes.append(ItemChange(name=name, change="changed", fields=fields))
    return changes


def _resource_key(resource: ResourceOut) -> str:
    return f"{resource.name}（{resource.location or resource.kind.value}）"


def compare_versions(entry_id: str, before: VersionOut, after: VersionOut) -> VersionComparison:
    old = {_resource_key(r) for r in before.resources}
    new = {_resource_key(r) for r in after.resources}
    return VersionComparison(
        id=entry_id,
        before=before.number,
        after=after.number,
        fields=_changes(before, after, COMPARED_FIELDS),
        items=_item_changes(before.items, after.items),
        resources_added=sorted(new - old),
        resources_removed=sorted(old - new),
    )
