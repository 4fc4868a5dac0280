"""The catalog drafting form: its fields as typed, to an action's input and back.

The form keeps every value as the person typed it, so that a refused form
comes back exactly as it was sent, with each error next to its field. The
information items and data resources are table rows named ``items-3-name``,
``resources-0-system_id``; rows left blank are dropped, and the remaining rows
are numbered in order, so an action's error on ``items.3.data_type`` belongs
to the fourth row shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from govdata.catalog.schemas import ItemIn, VersionOut
from govdata.errors import GovdataError
from govdata.portal.catalog_labels import field_label
from govdata.web.auth import Caller, require_csrf

BLANK_ITEM_ROWS = 5
BLANK_RESOURCE_ROWS = 2
# A form with the largest allowed tables: 2000 items of 6 fields, 200 resources of 4.
MAX_FORM_FIELDS = 13_000

SCALAR_FIELDS = (
    "organisation_id",
    "name",
    "classification_base",
    "classification_rest",
    "resource_code",
    "abstract",
    "format_category",
    "format_detail",
    "share_type",
    "share_conditions",
    "open_type",
    "open_conditions",
    "update_cycle",
    "related_codes",
)
ITEM_FIELDS = ("name", "data_type", "length", "grade", "sensitive", "description")
RESOURCE_FIELDS = ("name", "kind", "location", "system_id")
BLANK_ITEM = {
    "name": "",
    "data_type": "C",
    "length": "",
    "grade": "general_2",
    "sensitive": "",
    "description": "",
}
BLANK_RESOURCE = {"name": "", "kind": "table", "location": "", "system_id": ""}

_ROW_NAME = re.compile(r"^(items|resources)-(\d{1,5})-(\w+)$")
_PYDANTIC_DETAIL = re.compile(r"^(.+?)（([^（）]*)）$")
_LENGTH_BOUND = re.compile(r"at (least|most) (\d+) characters?")


async def read_entry_form(request: Request, caller: Caller) -> FormData:
    """The posted drafting form (urlencoded or multipart), CSRF checked."""
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=1)
    token = form.get("csrf_token")
    require_csrf(request, caller, token if isinstance(token, str) else None)
    return form


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _is_blank(row: dict[str, str], fields: tuple[str, ...]) -> bool:
    return not any(row[name] for name in fields)


@dataclass
class EntryForm:
    """What the drafting form shows and sends, as text."""

    values: dict[str, str] = field(default_factory=lambda: dict.fromkeys(SCALAR_FIELDS, ""))
    share_methods: list[str] = field(default_factory=list)
    items: list[dict[str, str]] = field(default_factory=list)
    resources: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def from_form(cls, form: FormData) -> EntryForm:
        values = {name: _text(form, name) for name in SCALAR_FIELDS}
        methods = [m for m in form.getlist("share_methods") if isinstance(m, str)]
        rows: dict[str, dict[int, dict[str, str]]] = {"items": {}, "resources": {}}
        for key, value in form.multi_items():
            match = _ROW_NAME.match(key)
            if match is None or not isinstance(value, str):
                continue
            table, index, name = match.groups()
            rows[table].setdefault(int(index), {})[name] = value.strip()
        items = [
            {name: row.get(name, "") for name in ITEM_FIELDS}
            for _, row in sorted(rows["items"].items())
        ]
        resources = [
            {name: row.get(name, "") for name in RESOURCE_FIELDS}
            for _, row in sorted(rows["resources"].items())
        ]
        return cls(
            values=values,
            share_methods=methods,
            # Data type and grade always have a value: a row is blank without the rest.
            items=[
                r for r in items if not _is_blank(r, ("name", "length", "sensitive", "description"))
            ],
            resources=[r for r in resources if not _is_blank(r, ("name", "location", "system_id"))],
        )

    @classmethod
    def from_version(cls, version: VersionOut, organisation_id: str = "") -> EntryForm:
        code = version.classification_code
        values = dict.fromkeys(SCALAR_FIELDS, "")
        values.update(
            organisation_id=organisation_id,
            name=version.name,
            classification_base=code[:3],
            classification_rest=code[3:],
            resource_code=version.resource_code,
            abstract=version.abstract,
            format_category=version.format_category.value,
            format_detail=version.format_detail,
            share_type=version.share_type.value,
            share_conditions=version.share_conditions,
            open_type=version.open_type.value,
            open_conditions=version.open_conditions,
            update_cycle=version.update_cycle.value,
            related_codes="\n".join(version.related_codes),
        )
        return cls(
            values=values,
            share_methods=[m.value for m in version.share_methods],
            items=[
                {
                    "name": item.name,
                    "data_type": item.data_type.value,
                    "length": "" if item.length is None else str(item.length),
                    "grade": item.grade.value,
                    "sensitive": "on" if item.sensitive else "",
                    "description": item.description,
                }
                for item in version.items
            ],
            resources=[
                {
                    "name": res.name,
                    "kind": res.kind.value,
                    "location": res.location,
                    "system_id": res.system_id or "",
                }
                for res in version.resources
            ],
        )

    def item_rows(self) -> list[dict[str, str]]:
        """The rows to show: the items, then blank rows to type into."""
        return self.items + [dict(BLANK_ITEM) for _ in range(BLANK_ITEM_ROWS)]

    def resource_rows(self) -> list[dict[str, str]]:
        return self.resources + [dict(BLANK_RESOURCE) for _ in range(BLANK_RESOURCE_ROWS)]

    def metadata(self) -> dict[str, Any]:
        """The EntryMetadata input; empty choices are left out so they read as 必填."""
        v = self.values
        payload: dict[str, Any] = {
            "name": v["name"],
            "classification_code": v["classification_base"] + v["classification_rest"],
            "resource_code": v["resource_code"],
            "abstract": v["abstract"],
            "format_detail": v["format_detail"],
            "share_conditions": v["share_conditions"],
            "share_methods": list(self.share_methods),
            "open_conditions": v["open_conditions"],
            "related_codes": [c.strip() for c in v["related_codes"].splitlines() if c.strip()],
            "items": [_item_input(row) for row in self.items],
            "resources": [
                {
                    "name": row["name"],
                    "kind": row["kind"],
                    "location": row["location"],
                    "system_id": row["system_id"] or None,
                }
                for row in self.resources
            ],
        }
        for choice in ("format_category", "share_type", "open_type", "update_cycle"):
            if v[choice]:
                payload[choice] = v[choice]
        return payload

    def add_items(self, items: list[ItemIn]) -> tuple[int, int]:
        """Append imported items whose names are new; returns (added, already there)."""
        taken = {row["name"] for row in self.items}
        added = 0
        for item in items:
            if item.name in taken:
                continue
            taken.add(item.name)
            self.items.append(
                {
                    "name": item.name,
                    "data_type": item.data_type.value,
                    "length": "" if item.length is None else str(item.length),
                    "grade": item.grade.value,
                    "sensitive": "on" if item.sensitive else "",
                    "description": item.description,
                }
            )
            added += 1
        return added, len(items) - added


def _item_input(row: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": row["name"],
        "length": row["length"] or None,
        "sensitive": row["sensitive"] == "on",
        "description": row["description"],
    }
    for choice in ("data_type", "grade"):
        if row[choice]:
            item[choice] = row[choice]
    return item


def tidy_message(message: str) -> str:
    """Drop the validator's English detail after a Chinese label: 必填（Field required）-> 必填."""
    match = _PYDANTIC_DETAIL.match(message)
    if match is None or not match.group(2).isascii():
        return message
    label, detail = match.groups()
    bound = _LENGTH_BOUND.search(detail)
    if bound is not None:
        return f"{label}（{'至少' if bound.group(1) == 'least' else '最多'}{bound.group(2)}个字）"
    return str(label)


@dataclass(frozen=True)
class FormProblem:
    """One error of a refused form: where (field path and its Chinese name) and what."""

    field: str
    label: str
    message: str

    @property
    def anchor(self) -> str:
        return "f-" + self.field.replace(".", "-")


def form_problems(error: GovdataError | None) -> tuple[dict[str, str], list[FormProblem]]:
    """The messages by field path (shown inline) and the list for the page's summary."""
    if error is None:
        return {}, []
    inline = {path: tidy_message(message) for path, message in error.fields.items()}
    summary = [FormProblem(path, field_label(path), message) for path, message in inline.items()]
    return inline, summary
