"""The forms of the aggregation and library pages: declared-column tables and
the source registration form, as typed and back.

Like the catalog drafting form, a form keeps every value as the person typed
it, so a refused form comes back as it was sent with each error beside its
field. Declared columns are table rows named ``columns-3-name``; rows left
blank are dropped and the rest numbered in order, so an action's error on
``columns.3.type`` belongs to the fourth row shown. A source that adopts a
base-library standard shows the standard's columns instead (``std-3-use``,
``std-3-source``), and the action's ``columns.k`` is the k-th column adopted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request

from govdata.aggregation.columns import ColumnSpec
from govdata.errors import InvalidInput
from govdata.libraries.standards import STANDARDS, LibraryStandard
from govdata.portal.aggregation_common import ENCODING_LABELS
from govdata.web.auth import Caller, require_csrf

# --- posted forms -------------------------------------------------------------------

# The largest source form: 500 columns of 6 fields, the standard rows, the scalars.
MAX_FORM_FIELDS = 4_000


async def read_posted_form(request: Request, caller: Caller) -> dict[str, str]:
    """A posted (urlencoded) form with many rows, CSRF checked; text values only."""
    form: FormData = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    data = {key: value for key, value in form.items() if isinstance(value, str)}
    require_csrf(request, caller, data.pop("csrf_token", None))
    return data


def split_names(text: str) -> list[str]:
    """Column names typed in one field, separated by commas, 、 or spaces."""
    return [name for name in re.split(r"[\s,，、;；]+", text.strip()) if name]


# --- declared columns ---------------------------------------------------------------

COLUMN_FIELDS = ("name", "label", "type", "required", "check", "encrypted", "source")
BLANK_COLUMN = {
    "name": "",
    "label": "",
    "type": "string",
    "required": "",
    "check": "",
    "encrypted": "",
    "source": "",
}
# The encryption choice of a column row: by its check (blank), on, or off.
ENCRYPTED_CHOICES = {"on": True, "off": False}
ROWS_AT_A_TIME = 10
_ROW_NAME = re.compile(r"^(columns|std)-(\d{1,4})-(\w+)$")


def _rows(data: Mapping[str, str], table: str) -> dict[int, dict[str, str]]:
    rows: dict[int, dict[str, str]] = {}
    for key, value in data.items():
        match = _ROW_NAME.match(key)
        if match is not None and match.group(1) == table:
            rows.setdefault(int(match.group(2)), {})[match.group(3)] = value.strip()
    return rows


def column_rows(data: Mapping[str, str]) -> list[dict[str, str]]:
    """The typed column rows, blank rows dropped (type always has a value)."""
    rows = [
        {name: row.get(name, "") for name in COLUMN_FIELDS}
        for _, row in sorted(_rows(data, "columns").items())
    ]
    return [r for r in rows if r["name"] or r["label"] or r["source"]]


def column_input(row: Mapping[str, str], *, with_source: bool = True) -> dict[str, Any]:
    column: dict[str, Any] = {
        "name": row["name"],
        "label": row["label"],
        "type": row["type"] or "string",
        "required": row["required"] == "on",
        "check": row["check"] or None,
        "encrypted": ENCRYPTED_CHOICES.get(row.get("encrypted", "")),
    }
    if with_source:
        column["source"] = row["source"] or None
    return column


# --- registering a source -----------------------------------------------------------

SOURCE_FIELDS = (
    "entry_id",
    "name",
    "kind",
    "mode",
    "location",
    "encoding",
    "sheet",
    "table",
    "query",
    "records_path",
    "column_mode",
    "standard",
    "std_loaded",
    "strategy",
    "key_columns",
    "updated_column",
    "drift_policy",
    "max_bad_percent",
    "schedule",
)
FIRST_STANDARD = next(iter(STANDARDS))
SOURCE_DEFAULTS = {
    "kind": "csv",
    "mode": "physical",
    "column_mode": "standard",
    "standard": FIRST_STANDARD,
    "strategy": "full",
    "drift_policy": "fail",
    "max_bad_percent": "5",
}
KIND_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}


def kind_of_file(name: str) -> str | None:
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return KIND_BY_SUFFIX.get(suffix)


@dataclass
class SourceForm:
    """The registration form as text: scalars, the standard's rows, the column rows."""

    values: dict[str, str] = field(default_factory=dict)
    std_rows: list[dict[str, str]] = field(default_factory=list)
    columns: list[dict[str, str]] = field(default_factory=list)
    blank_rows: int = ROWS_AT_A_TIME

    def __post_init__(self) -> None:
        for name in SOURCE_FIELDS:
            self.values.setdefault(name, SOURCE_DEFAULTS.get(name, ""))
        if self.values["standard"] not in STANDARDS:
            self.values["standard"] = FIRST_STANDARD
        if self.values["std_loaded"] != self.values["standard"] or not self.std_rows:
            self.load_standard()

    @classmethod
    def from_form(cls, data: Mapping[str, str]) -> SourceForm:
        values = {name: data.get(name, "").strip() for name in SOURCE_FIELDS}
        std = _rows(data, "std")
        blank = data.get("blank_rows", "")
        return cls(
            values=values,
            # By index, so a row missing from the post cannot shift the others.
            std_rows=[
                {"use": std.get(i, {}).get("use", ""), "source": std.get(i, {}).get("source", "")}
                for i in range(max(std, default=-1) + 1)
            ],
            columns=column_rows(data),
            blank_rows=min(int(blank), 500) if blank.isdigit() else ROWS_AT_A_TIME,
        )

    @property
    def standard(self) -> LibraryStandard:
        return STANDARDS[self.values["standard"]]

    def load_standard(self) -> None:
        """Show the chosen standard's columns, every one adopted, with its key."""
        standard = self.standard
        self.values["std_loaded"] = standard.code
        self.std_rows = [{"use": "on", "source": ""} for _ in standard.columns]
        if self.values["column_mode"] == "standard":
            self.values["key_columns"] = ", ".join(standard.key)

    def standard_rows(self) -> list[tuple[ColumnSpec, dict[str, str], bool]]:
        """Each standard column, its row as typed, and whether it must be adopted (key)."""
        standard = self.standard
        return [
            (column, row, column.name in standard.key)
            for column, row in zip(standard.columns, self.std_rows, strict=False)
        ]

    def adopted(self) -> list[int]:
        """Indexes of the standard columns adopted (the key always is)."""
        return [
            index
            for index, (_, row, key) in enumerate(self.standard_rows())
            if key or row["use"] == "on"
        ]

    def column_table(self) -> list[dict[str, str]]:
        return self.columns + [dict(BLANK_COLUMN) for _ in range(self.blank_rows)]

    def options(self) -> dict[str, Any]:
        v, kind = self.values, self.values["kind"]
        chosen: dict[str, str] = {}
        if kind == "csv" and v["encoding"] in ENCODING_LABELS:
            chosen["encoding"] = v["encoding"]
        if kind == "xlsx":
            chosen["sheet"] = v["sheet"]
        if kind == "sql":
            chosen["table"] = v["table"]
            chosen["query"] = v["query"]
        if kind in ("json", "http"):
            chosen["records_path"] = v["records_path"]
        return {name: value for name, value in chosen.items() if value}

    def declared(self) -> list[dict[str, Any]]:
        if self.values["column_mode"] == "standard":
            columns = self.standard.columns
            return [
                columns[index].model_dump(mode="json")
                | {"source": self.std_rows[index]["source"] or None}
                for index in self.adopted()
            ]
        return [column_input(row) for row in self.columns]

    def bad_ratio(self) -> float:
        text = self.values["max_bad_percent"].rstrip("%").strip()
        try:
            percent = float(text or "0")
        except ValueError:
            percent = -1.0
        if not 0 <= percent <= 100:
            raise InvalidInput(fields={"max_bad_ratio": "应为0到100之间的数（百分比）"})
        return percent / 100

    def payload(self) -> dict[str, Any]:
        """The source_register input (``InvalidInput`` for a bad percentage)."""
        v = self.values
        return {
            "entry_id": v["entry_id"],
            "name": v["name"],
            "kind": v["kind"],
            "mode": v["mode"],
            "location": v["location"],
            "options": self.options(),
            "columns": self.declared(),
            "strategy": v["strategy"],
            "key_columns": split_names(v["key_columns"]),
            "updated_column": v["updated_column"] or None,
            "drift_policy": v["drift_policy"],
            "max_bad_ratio": self.bad_ratio(),
            "schedule": v["schedule"] or None,
        }

    def error_paths(self) -> dict[str, str]:
        """The action's ``columns.k...`` as the rows the form shows them in."""
        if self.values["column_mode"] != "standard":
            return {}
        paths: dict[str, str] = {}
        for position, index in enumerate(self.adopted()):
            paths[f"columns.{position}"] = f"std.{index}"
            for name in COLUMN_FIELDS:
                paths[f"columns.{position}.{name}"] = f"std.{index}.{name}"
        return paths
