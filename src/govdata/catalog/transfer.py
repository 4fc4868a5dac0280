"""The bulk import and export format of catalog entries.

In CSV and Excel a row is one information item; the entry's columns repeat on
every row of the entry, and rows are grouped by 资源代码 (they need not be
adjacent). An entry without items is one row with the item columns empty.
Enumerations are written with their Chinese labels and read from either the
label or the code value, so that an export imports back as the same payload.
Data resources (``resources``) travel in the JSON format only.

Import never writes anything: :func:`plan_import` and :func:`plan_import_json`
turn a file into the payloads to create and the reasons, row by row and column
by column, why the others were refused. An entry with any refused row is left
out whole; the caller decides whether to import the rest.

Exports are opened in Excel, so CSV cells that Excel would take for a formula
(starting with ``=``, ``+``, ``-`` or ``@``) get a leading apostrophe, and xlsx
cells are always text. A cell that already starts with an apostrophe gets a
second one in both, so that import, which removes exactly one apostrophe before
those characters, gives back what was exported.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from pydantic import ValidationError

from govdata.actions import validation_fields
from govdata.catalog.codes import check_classification_code, check_resource_code
from govdata.catalog.schemas import EntryCreate, EntryMetadata, EntryOut, ItemOut, VersionOut
from govdata.catalog.vocab import (
    DATA_TYPE_LABELS,
    FORMAT_CATEGORY_LABELS,
    GRADE_LABELS,
    OPEN_TYPE_LABELS,
    SHARE_METHOD_LABELS,
    SHARE_TYPE_LABELS,
    UPDATE_CYCLE_LABELS,
)
from govdata.errors import InvalidInput
from govdata.orgs.codes import CodeError, check_credit_code
from govdata.tabular import Table, TableRow, require_columns

# ---------------------------------------------------------------------------
# The columns: every Chinese header and label lookup lives here
# ---------------------------------------------------------------------------

RESOURCE_CODE = "资源代码"
CREDIT_CODE = "提供部门统一社会信用代码"
ITEM_NAME = "信息项名称"
SHARE_METHODS = "共享方式"
RELATED_CODES = "关联资源代码"
SENSITIVE = "是否敏感"
LENGTH = "数据长度"

# Header → EntryMetadata field (the credit code resolves to ``organisation_id``).
ENTRY_COLUMNS: dict[str, str] = {
    RESOURCE_CODE: "resource_code",
    "资源名称": "name",
    "分类代码": "classification_code",
    CREDIT_CODE: "organisation_id",
    "摘要": "abstract",
    "资源格式": "format_category",
    "格式说明": "format_detail",
    "共享类型": "share_type",
    "共享条件": "share_conditions",
    SHARE_METHODS: "share_methods",
    "开放类型": "open_type",
    "开放条件": "open_conditions",
    "更新周期": "update_cycle",
    RELATED_CODES: "related_codes",
}
# Header → ItemIn field.
ITEM_COLUMNS: dict[str, str] = {
    ITEM_NAME: "name",
    "数据类型": "data_type",
    LENGTH: "length",
    "数据分级": "grade",
    SENSITIVE: "sensitive",
    "信息项说明": "description",
}
COLUMNS: list[str] = [*ENTRY_COLUMNS, *ITEM_COLUMNS]
REQUIRED_COLUMNS: list[str] = [
    RESOURCE_CODE,
    "资源名称",
    "分类代码",
    CREDIT_CODE,
    "资源格式",
    "共享类型",
    "开放类型",
    "更新周期",
]
REFUSAL_COLUMNS = ["行号", "资源代码", "列", "原因"]

_ENUM_LABELS: dict[str, Mapping[Any, str]] = {
    "资源格式": FORMAT_CATEGORY_LABELS,
    "共享类型": SHARE_TYPE_LABELS,
    SHARE_METHODS: SHARE_METHOD_LABELS,
    "开放类型": OPEN_TYPE_LABELS,
    "更新周期": UPDATE_CYCLE_LABELS,
    "数据类型": DATA_TYPE_LABELS,
    "数据分级": GRADE_LABELS,
}
_ENTRY_FIELD_HEADERS = {name: header for header, name in ENTRY_COLUMNS.items()}
_ITEM_FIELD_HEADERS = {name: header for header, name in ITEM_COLUMNS.items()}
_LIST_SEPARATORS = re.compile(r"[、;；,，]")
_LIST_JOINER = "、"
_BOOLEANS = {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False}
_FORMULA_START = ("=", "+", "-", "@")
_JSON_FIELDS = set(EntryMetadata.model_fields)


def _key(text: str) -> str:
    """Labels and codes compare ignoring case, spaces and full/half-width forms."""
    return unicodedata.normalize("NFKC", text).replace(" ", "").lower()


# Header → {normalised label or code value: code value}.
_ENUM_LOOKUP: dict[str, dict[str, str]] = {
    header: {
        **{_key(str(member)): str(member) for member in labels},
        **{_key(label): str(member) for member, label in labels.items()},
    }
    for header, labels in _ENUM_LABELS.items()
}


# ---------------------------------------------------------------------------
# Plans
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedEntry:
    resource_code: str
    rows: list[int]
    payload: EntryCreate


@dataclass(frozen=True)
class RefusedRow:
    """Why a row (or, in JSON, an array element) cannot be imported."""

    row: int
    resource_code: str
    column: str
    reason: str


@dataclass
class ImportPlan:
    entries: list[PlannedEntry] = field(default_factory=list)
    refused: list[RefusedRow] = field(default_factory=list)

    @property
    def refused_codes(self) -> list[str]:
        """The resource codes whose entries are left out, in file order."""
        return list(dict.fromkeys(r.resource_code for r in self.refused if r.resource_code))


OrganisationLookup = Callable[[str], str | None]


class _Problems:
    """The refusals of one entry, and the payload fields they already explain."""

    def __init__(self, resource_code: str) -> None:
        self.resource_code = resource_code
        self.refused: list[RefusedRow] = []
        self.explained: set[str] = set()

    def add(self, row: int, column: str, reason: str, loc: str | None = None) -> None:
        self.refused.append(RefusedRow(row, self.resource_code, column, reason))
        if loc is not None:
            self.explained.add(loc)

    def explains(self, loc: str) -> bool:
        return any(loc == known or loc.startswith(known + ".") for known in self.explained)


def plan_import(table: Table, organisation_for_credit_code: OrganisationLookup) -> ImportPlan:
    """Plan the import of a CSV or Excel table in the bulk format.

    A header without the required columns or with unknown ones is refused as a
    whole (:class:`govdata.tabular.TableError`).
    """
    require_columns(table, REQUIRED_COLUMNS, COLUMNS)
    plan = ImportPlan()
    groups: dict[str, list[TableRow]] = {}
    for row in table.rows:
        code = _cell(row, RESOURCE_CODE)
        if code:
            groups.setdefault(code, []).append(row)
        else:
            plan.refused.append(
                RefusedRow(row.number, "", RESOURCE_CODE, "资源代码为空，无法确定该行属于哪个目录")
            )
    present = [header for header in ENTRY_COLUMNS if header in table.header]
    for code, rows in groups.items():
        problems = _Problems(code)
        _check_same_entry(rows, present, problems)
        payload, item_rows = _payload(rows, organisation_for_credit_code, problems)
        entry = _validate(payload, problems, _table_locator(rows[0].number, item_rows))
        if entry is not None and not problems.refused:
            plan.entries.append(PlannedEntry(code, [row.number for row in rows], entry))
        plan.refused.extend(problems.refused)
    order = {header: index for index, header in enumerate(COLUMNS)}
    plan.refused.sort(key=lambda r: (r.row, order.get(r.column, len(order))))
    return plan


def plan_import_json(data: Any, organisation_for_credit_code: OrganisationLookup) -> ImportPlan:
    """Plan the import of the JSON format: an array of objects with the
    EntryMetadata fields (code values) and ``provider_credit_code``.

    Refusals are numbered by array position from 1 and name the field path.
    """
    if not isinstance(data, list):
        raise InvalidInput(
            "JSON导入文件应为数组，每个元素是一个目录",
            code="import_format_invalid",
            fields={"body": "应为数组"},
        )
    raw_codes = [obj.get("resource_code") if isinstance(obj, dict) else None for obj in data]
    codes = [code if isinstance(code, str) else "" for code in raw_codes]
    positions: dict[str, list[int]] = {}
    for number, code in enumerate(codes, start=1):
        positions.setdefault(code, []).append(number)
    plan = ImportPlan()
    for number, (obj, code) in enumerate(zip(data, codes, strict=True), start=1):
        problems = _Problems(code)
        others = [n for n in positions[code] if n != number] if code else []
        if others:
            problems.add(
                number,
                "resource_code",
                f"资源代码在文件中重复（另见第{'、'.join(map(str, others))}条）",
            )
        entry = _plan_object(number, obj, organisation_for_credit_code, problems)
        if entry is not None and not problems.refused:
            plan.entries.append(PlannedEntry(code, [number], entry))
        plan.refused.extend(problems.refused)
    return plan


def _plan_object(
    number: int, obj: Any, lookup: OrganisationLookup, problems: _Problems
) -> EntryCreate | None:
    if not isinstance(obj, dict):
        problems.add(number, "", "应为对象")
        return None
    payload = dict(obj)
    if "organisation_id" in payload:
        del payload["organisation_id"]
        problems.add(number, "organisation_id", "不允许的字段：提供部门由provider_credit_code确定")
    credit = payload.pop("provider_credit_code", None)
    organisation, reason = _organisation(credit if isinstance(credit, str) else "", lookup)
    if reason is not None:
        problems.add(number, "provider_credit_code", reason, "organisation_id")
    payload["organisation_id"] = organisation
    return _validate(payload, problems, _json_locator(number))


def _cell(row: TableRow, header: str) -> str:
    """A cell as text, line breaks as ``\n`` (xlsx cannot keep ``\r``)."""
    return _unescape(row.values.get(header, "")).replace("\r\n", "\n").replace("\r", "\n")


def _check_same_entry(rows: list[TableRow], headers: list[str], problems: _Problems) -> None:
    first = rows[0]
    for row in rows[1:]:
        for header in headers:
            before, after = _cell(first, header), _cell(row, header)
            if _canonical(header, before) != _canonical(header, after):
                problems.add(
                    row.number,
                    header,
                    f"同一资源代码各行的“{header}”应相同：第{first.number}行为“{before}”，"
                    f"第{row.number}行为“{after}”",
                )


def _canonical(header: str, text: str) -> object:
    """What a cell means, so that 每月 and monthly are not a difference."""
    parts = _split(text) if header in (SHARE_METHODS, RELATED_CODES) else [text]
    lookup = _ENUM_LOOKUP.get(header, {})
    return [
        lookup.get(_key(part), part.upper() if header == CREDIT_CODE else part) for part in parts
    ]


def _split(text: str) -> list[str]:
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]


def _payload(
    rows: list[TableRow], lookup: OrganisationLookup, problems: _Problems
) -> tuple[dict[str, Any], list[int]]:
    """The EntryCreate payload of an entry's rows, and the row of each item."""
    first = rows[0]
    payload: dict[str, Any] = {}
    organisation, reason = _organisation(_cell(first, CREDIT_CODE), lookup)
    if reason is not None:
        problems.add(first.number, CREDIT_CODE, reason, "organisation_id")
    payload["organisation_id"] = organisation
    for header, name in ENTRY_COLUMNS.items():
        text = _cell(first, header)
        if header == CREDIT_CODE:
            continue
        if header in (SHARE_METHODS, RELATED_CODES):
            parts = _split(text)
            if header == SHARE_METHODS:
                parts = [_parse(header, part, first.number, name, problems) for part in parts]
            payload[name] = parts
        elif text:
            payload[name] = _parse(header, text, first.number, name, problems)
    items: list[dict[str, Any]] = []
    item_rows: list[int] = []
    for row in rows:
        cells = {header: _cell(row, header) for header in ITEM_COLUMNS}
        if not any(cells.values()):
            continue
        loc = f"items.{len(items)}"
        item: dict[str, Any] = {}
        for header, text in cells.items():
            if text:
                item[ITEM_COLUMNS[header]] = _parse(
                    header, text, row.number, f"{loc}.{ITEM_COLUMNS[header]}", problems
                )
        items.append(item)
        item_rows.append(row.number)
    payload["items"] = items
    _check_entry_rules(payload, first.number, item_rows, problems)
    return payload, item_rows


def _parse(header: str, text: str, row: int, loc: str, problems: _Problems) -> Any:
    """A cell as the payload value; an unreadable one is refused (and returned as is)."""
    if header in _ENUM_LOOKUP:
        value = _ENUM_LOOKUP[header].get(_key(text))
        if value is None:
            labels = "、".join(_ENUM_LABELS[header].values())
            problems.add(row, header, f"“{text}”不是有效的{header}，可填：{labels}", loc)
        return value or text
    if header == SENSITIVE:
        flag = _BOOLEANS.get(_key(text))
        if flag is None:
            problems.add(row, header, f"“{text}”无法识别，请填“是”或“否”", loc)
        return flag
    if header == LENGTH:
        digits = _key(text)
        if not (digits.isascii() and digits.isdigit()) or int(digits) < 1:
            problems.add(row, header, f"“{text}”不是正整数，请填写正整数或留空", loc)
            return text
        return int(digits)
    return text


def _organisation(credit: str, lookup: OrganisationLookup) -> tuple[str | None, str | None]:
    """The provider's organisation id, or why there is none."""
    if not credit.strip():
        return None, "必填"
    try:
        code = check_credit_code(credit)
    except CodeError as exc:
        return None, str(exc)
    organisation = lookup(code)
    if organisation is None:
        return None, f"平台上没有统一社会信用代码为“{code}”的部门，请先登记该部门或核对代码"
    return organisation, None


def _check_entry_rules(
    payload: dict[str, Any], row: int, item_rows: list[int], problems: _Problems
) -> None:
    """EntryMetadata's cross-field rules, reported at the row and column concerned."""
    code, classification = payload.get("resource_code", ""), payload.get("classification_code", "")
    try:
        check_resource_code(code)
        check_classification_code(classification)
    except CodeError:
        pass  # the field validators report these
    else:
        prefix = code.split("/", 1)[0]
        if prefix != classification:
            problems.add(
                row, "分类代码", f"分类代码“{classification}”与资源代码的分类码“{prefix}”不一致"
            )
    seen: dict[str, int] = {}
    for item, item_row in zip(payload["items"], item_rows, strict=True):
        name = item.get("name")
        if name in seen:
            problems.add(item_row, ITEM_NAME, f"信息项“{name}”与第{seen[name]}行重复")
        elif name:
            seen[name] = item_row
    if code and code in payload.get("related_codes", []):
        problems.add(row, RELATED_CODES, "关联资源代码不能是本资源自身")
    methods = payload.get("share_methods", [])
    if len(set(methods)) != len(methods):
        problems.add(row, SHARE_METHODS, "共享方式重复")


# A validation error's field path → row, column and a prefix for its message.
Locator = Callable[[str], tuple[int, str, str]]


def _table_locator(first_row: int, item_rows: list[int]) -> Locator:
    def locate(loc: str) -> tuple[int, str, str]:
        parts = loc.split(".")
        if parts[0] == "items":
            if len(parts) >= 3:
                return item_rows[int(parts[1])], _ITEM_FIELD_HEADERS.get(parts[2], ITEM_NAME), ""
            return first_row, ITEM_NAME, ""
        # A list element such as related_codes.1 is "the second one" of its cell.
        prefix = f"第{int(parts[1]) + 1}项：" if len(parts) == 2 and parts[1].isdigit() else ""
        return first_row, _ENTRY_FIELD_HEADERS.get(parts[0], ""), prefix

    return locate


def _json_locator(number: int) -> Locator:
    return lambda loc: (number, loc, "")


def _validate(payload: dict[str, Any], problems: _Problems, locate: Locator) -> EntryCreate | None:
    try:
        return EntryCreate.model_validate(payload)
    except ValidationError as exc:
        errors = validation_fields(exc)
    for loc, message in errors.items():
        if problems.explains(loc) or (loc == "body" and problems.refused):
            continue  # already refused with a precise reason
        row, column, prefix = locate("" if loc == "body" else loc)
        problems.add(row, column, prefix + message)
    return None


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def export_rows(entries: Sequence[EntryOut]) -> list[dict[str, str]]:
    """One row per item of each entry's published version (entries without one
    are skipped), enumerations by their Chinese labels, in :data:`COLUMNS` order."""
    rows: list[dict[str, str]] = []
    for entry in entries:
        version = entry.published
        if version is None:
            continue
        base = _entry_cells(version)
        if not version.items:
            rows.append(base | dict.fromkeys(ITEM_COLUMNS, ""))
        rows.extend(base | _item_cells(item) for item in version.items)
    return rows


def _item_cells(item: ItemOut) -> dict[str, str]:
    return {
        ITEM_NAME: item.name,
        "数据类型": DATA_TYPE_LABELS[item.data_type],
        LENGTH: "" if item.length is None else str(item.length),
        "数据分级": GRADE_LABELS[item.grade],
        SENSITIVE: "是" if item.sensitive else "否",
        "信息项说明": item.description,
    }


def _entry_cells(version: VersionOut) -> dict[str, str]:
    return {
        RESOURCE_CODE: version.resource_code,
        "资源名称": version.name,
        "分类代码": version.classification_code,
        CREDIT_CODE: version.provider_code,
        "摘要": version.abstract,
        "资源格式": FORMAT_CATEGORY_LABELS[version.format_category],
        "格式说明": version.format_detail,
        "共享类型": SHARE_TYPE_LABELS[version.share_type],
        "共享条件": version.share_conditions,
        SHARE_METHODS: _LIST_JOINER.join(SHARE_METHOD_LABELS[m] for m in version.share_methods),
        "开放类型": OPEN_TYPE_LABELS[version.open_type],
        "开放条件": version.open_conditions,
        "更新周期": UPDATE_CYCLE_LABELS[version.update_cycle],
        RELATED_CODES: _LIST_JOINER.join(version.related_codes),
    }


def export_objects(entries: Sequence[EntryOut]) -> list[dict[str, Any]]:
    """The JSON import format of each entry's published version."""
    objects: list[dict[str, Any]] = []
    for entry in entries:
        if entry.published is not None:
            obj = entry.published.model_dump(mode="json", include=_JSON_FIELDS)
            obj["provider_credit_code"] = entry.published.provider_code
            for resource in obj["resources"]:
                del resource["system_name"]
            objects.append(obj)
    return objects


def write_csv(rows: Sequence[Mapping[str, str]], path: Path) -> None:
    """UTF-8 with BOM, so that Excel opens it with the Chinese intact."""
    _write_csv_table(COLUMNS, ([row.get(column, "") for column in COLUMNS] for row in rows), path)


def write_refusals(refused: Sequence[RefusedRow], path: Path) -> None:
    """The refusals as a CSV report: 行号, 资源代码, 列, 原因."""
    lines = ([str(r.row), r.resource_code, r.column, r.reason] for r in refused)
    _write_csv_table(REFUSAL_COLUMNS, lines, path)


def write_xlsx(rows: Sequence[Mapping[str, str]], path: Path) -> None:
    """One sheet, bold frozen header, every cell text (never a formula)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("数据目录")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, 2 * len(column) + 2)
    bold = Font(bold=True)
    sheet.append([_text_cell(sheet, column, font=bold) for column in COLUMNS])
    for row in rows:
        sheet.append([_text_cell(sheet, _escape_quote(row.get(column, ""))) for column in COLUMNS])
    workbook.save(path)


def write_json(entries: Sequence[EntryOut], path: Path) -> None:
    text = json.dumps(export_objects(entries), ensure_ascii=False, indent=2)
    path.write_text(text + "\n", encoding="utf-8")


def _text_cell(sheet: Any, value: str, font: Any = None) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # a leading "=" stays text
    if font is not None:
        cell.font = font
    return cell


def _write_csv_table(header: list[str], lines: Iterable[Sequence[str]], path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows([_escape_formula(value) for value in line] for line in lines)


def _escape_formula(value: str) -> str:
    return "'" + value if value.startswith((*_FORMULA_START, "'")) else value


def _escape_quote(value: str) -> str:
    return "'" + value if value.startswith("'") else value


def _unescape(value: str) -> str:
    if value.startswith("'") and value[1:].startswith((*_FORMULA_START, "'")):
        return value[1:]
    return value
