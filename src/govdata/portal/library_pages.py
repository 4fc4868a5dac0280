"""Portal pages of the base libraries (基础库) and theme libraries (主题库): the
list, defining one, and a library with its schema, member sources, builds and
data.

A base library takes its columns and key from a national standard
(:mod:`govdata.libraries.standards`); a theme library declares its own, in the
same column table as a source's. Adding a member maps each library column to
one of the source's columns; the member form is in two steps (choose the
source, then map its columns), so it works without scripts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govdata.actions import ActionRegistry, Context
from govdata.errors import Conflict, Forbidden, GovdataError, InvalidInput, NotFound
from govdata.libraries.build import SOURCE_COLUMN, VERSION_COLUMN
from govdata.libraries.schemas import LibraryOut
from govdata.libraries.standards import STANDARDS, THEME_EXAMPLES
from govdata.portal.aggregation_common import VOCAB, area_chrome, org_target, problems_of
from govdata.portal.aggregation_forms import (
    BLANK_COLUMN,
    FIRST_STANDARD,
    ROWS_AT_A_TIME,
    column_input,
    column_rows,
    read_posted_form,
    split_names,
)
from govdata.portal.common import current_caller, login_redirect, read_form, run_action, run_unit
from govdata.portal.rendering import render
from govdata.web.auth import Caller, require_signed_in
from govdata.web.runtime import runtime_of

router = APIRouter(include_in_schema=False)

PREVIEW_ROWS = 50
THEMES = {example.code: example for example in THEME_EXAMPLES}
LIBRARY_FIELDS = (
    "kind",
    "organisation_id",
    "code",
    "name",
    "description",
    "standard",
    "theme",
    "key_columns",
)
PROVENANCE_LABELS = {SOURCE_COLUMN: "来源数据源", VERSION_COLUMN: "来源版本"}


# --- the list -------------------------------------------------------------------------


@router.get("/libraries")
async def libraries_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    libraries: list[LibraryOut] = await run_action(request, caller, "library_list", {})
    policy = runtime_of(request).policy
    return render(
        "portal/libraries/list.html",
        {
            "page": area_chrome(request, caller, "基础库与主题库", "libraries"),
            "vocab": VOCAB,
            "libraries": libraries,
            "may_create": policy.holds_anywhere(caller.actor, "library:manage"),
        },
    )


# --- defining a library ---------------------------------------------------------------


@dataclass
class LibraryForm:
    """The definition form as text; a theme library's columns as table rows."""

    values: dict[str, str] = field(default_factory=dict)
    columns: list[dict[str, str]] = field(default_factory=list)
    blank_rows: int = ROWS_AT_A_TIME

    def __post_init__(self) -> None:
        for name in LIBRARY_FIELDS:
            self.values.setdefault(name, "")
        if self.values["kind"] not in VOCAB.library_kind:
            self.values["kind"] = "base"
        if self.values["standard"] not in STANDARDS:
            self.values["standard"] = FIRST_STANDARD

    @classmethod
    def from_form(cls, data: Mapping[str, str]) -> LibraryForm:
        blank = data.get("blank_rows", "")
        return cls(
            values={name: data.get(name, "").strip() for name in LIBRARY_FIELDS},
            columns=column_rows(data),
            blank_rows=min(int(blank), 500) if blank.isdigit() else ROWS_AT_A_TIME,
        )

    def column_table(self) -> list[dict[str, str]]:
        return self.columns + [dict(BLANK_COLUMN) for _ in range(self.blank_rows)]

    def payload(self) -> dict[str, Any]:
        """The library_create input; what is left blank comes from the chosen
        standard (base) or theme example (theme)."""
        v = self.values
        data: dict[str, Any] = {"organisation_id": v["organisation_id"], "kind": v["kind"]}
        if v["kind"] == "base":
            standard = STANDARDS[v["standard"]]
            defaults = {"code": standard.code, "name": standard.name, "description": ""}
            data["standard"] = standard.code
        else:
            theme = THEMES.get(v["theme"])
            defaults = {
                "code": theme.code if theme else "",
                "name": theme.name if theme else "",
                "description": theme.description if theme else "",
            }
            data["columns"] = [column_input(row, with_source=False) for row in self.columns]
            data["key_columns"] = split_names(v["key_columns"])
        for name, default in defaults.items():
            data[name] = v[name] or default
        return data


def _organisations(ctx: Context, registry: ActionRegistry) -> list[Any]:
    options = registry.run("organisation_options", ctx, {"permission": "library:manage"})
    if not options:
        raise Forbidden("只有数据主管部门的审核员或平台管理员可以建设基础库和主题库")
    return list(options)


async def _form_page(
    request: Request, caller: Caller, form: LibraryForm, *, error: GovdataError | None = None
) -> Response:
    registry = runtime_of(request).registry
    organisations = await run_unit(
        request, caller, lambda ctx: _organisations(ctx, registry), read_only=True
    )
    if not form.values["organisation_id"]:
        ids = [str(o.id) for o in organisations]
        home = caller.actor.organisation_id
        form.values["organisation_id"] = home if home is not None and home in ids else ids[0]
    inline, summary = problems_of(error)
    return render(
        "portal/libraries/form.html",
        {
            "page": area_chrome(request, caller, "新建基础库或主题库", "libraries"),
            "vocab": VOCAB,
            "form": form,
            "organisations": organisations,
            "themes": THEME_EXAMPLES,
            "error": error,
            "errors": inline,
            "summary": summary,
            "rows_at_a_time": ROWS_AT_A_TIME,
        },
        status_code=error.http_status if error else 200,
    )


@router.get("/libraries/new")
async def new_library_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    query = request.query_params
    values = {name: query[name] for name in ("kind", "standard", "theme") if query.get(name)}
    return await _form_page(request, caller, LibraryForm(values=values))


@router.post("/libraries/new")
async def new_library_submit(request: Request) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    posted = await read_posted_form(request, caller)
    form = LibraryForm.from_form(posted)
    if posted.get("intent") == "more_columns":
        form.blank_rows += ROWS_AT_A_TIME
        return await _form_page(request, caller, form)
    try:
        created = await run_action(request, caller, "library_create", form.payload())
    except (InvalidInput, Conflict, NotFound) as refused:
        return await _form_page(request, caller, form, error=refused)
    return RedirectResponse(f"/libraries/{created.id}", status_code=303)


# --- a library ------------------------------------------------------------------------


@dataclass
class MemberForm:
    """Adding a member: the chosen source, the mapping as typed, the priority."""

    source_id: str = ""
    mapping: dict[str, str] = field(default_factory=dict)
    priority: str = "100"
    typed: bool = False


def _library_view(
    ctx: Context, registry: ActionRegistry, library_id: str, member: MemberForm
) -> dict[str, Any]:
    library: LibraryOut = registry.run("library_get", ctx, {"id": library_id})
    may_manage = ctx.can("library:manage", org_target(ctx, registry, library.organisation_id))
    candidates: list[Any] = []
    chosen = None
    if may_manage and ctx.policy.holds_anywhere(ctx.actor, "aggregation:run:read"):
        members = {m.source_id for m in library.members}
        candidates = [
            s
            for s in registry.run("source_list", ctx, {"limit": 500})
            if s.mode == "physical" and s.id not in members
        ]
        if member.source_id:
            chosen = registry.run("source_get", ctx, {"id": member.source_id})
    return {
        "library": library,
        "may_manage": may_manage,
        "candidates": candidates,
        "chosen": chosen,
        "builds": registry.run("run_list", ctx, {"library_id": library_id, "limit": 10}),
    }


def _default_mapping(library: LibraryOut, source: Any) -> dict[str, str]:
    """Same-named columns map to each other, as the action does for unmapped ones."""
    names = {c.name for c in source.columns}
    return {c.name: c.name for c in library.columns if c.name in names}


async def _library_preview(request: Request, caller: Caller, library: LibraryOut) -> dict[str, Any]:
    query = request.query_params
    chosen: dict[str, Any] = {"library_id": library.id, "limit": PREVIEW_ROWS}
    if query.get("version", "").isdigit():
        chosen["version"] = int(query["version"])
    column, value = query.get("column", ""), query.get("value", "").strip()
    if column and value:
        chosen["where"] = {column: value}
    shown: dict[str, Any] = {"query": chosen, "column": column, "value": value}
    shown["rows"] = shown["error"] = None
    if library.current_version is not None:
        try:
            shown["rows"] = await run_action(request, caller, "library_read", chosen)
        except GovdataError as refused:
            shown["error"] = refused
    return shown


async def _library_page(
    request: Request,
    caller: Caller,
    library_id: str,
    *,
    member: MemberForm | None = None,
    error: GovdataError | None = None,
    member_error: GovdataError | None = None,
) -> Response:
    registry = runtime_of(request).registry
    member = member or MemberForm(source_id=request.query_params.get("member_source", ""))
    data = await run_unit(
        request,
        caller,
        lambda ctx: _library_view(ctx, registry, library_id, member),
        read_only=True,
    )
    library: LibraryOut = data["library"]
    if data["chosen"] is not None and not member.typed:
        member.mapping = _default_mapping(library, data["chosen"])
    labels = {c.name: c.label or c.name for c in library.columns} | PROVENANCE_LABELS
    refused = error or member_error
    return render(
        "portal/libraries/library.html",
        {
            "page": area_chrome(request, caller, library.name, "libraries"),
            "vocab": VOCAB,
            "standard": STANDARDS.get(library.standard or ""),
            "member": member,
            "error": error,
            "member_error": member_error,
            "preview": await _library_preview(request, caller, library),
            "labels": labels,
            "source_names": {m.source_id: m.source_name for m in library.members},
            **data,
        },
        status_code=refused.http_status if refused else 200,
    )


@router.get("/libraries/{library_id}")
async def library_page(request: Request, library_id: str) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    return await _library_page(request, caller, library_id)


@router.post("/libraries/{library_id}/members")
async def member_submit(request: Request, library_id: str) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    posted = await read_posted_form(request, caller)
    member = MemberForm(
        source_id=posted.get("source_id", ""),
        mapping={
            key.removeprefix("map-"): value
            for key, value in posted.items()
            if key.startswith("map-") and value
        },
        priority=posted.get("priority", "").strip(),
        typed=True,
    )
    payload = {
        "library_id": library_id,
        "source_id": member.source_id,
        "mapping": member.mapping,
        "priority": member.priority or 100,
    }
    try:
        await run_action(request, caller, "library_add_member", payload)
    except (InvalidInput, Conflict, NotFound) as refused:
        return await _library_page(request, caller, library_id, member=member, member_error=refused)
    return RedirectResponse(f"/libraries/{library_id}#members", status_code=303)


@router.post("/libraries/{library_id}/build")
async def build_submit(request: Request, library_id: str) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    await read_form(request, caller)
    try:
        run = await run_action(request, caller, "library_build", {"id": library_id})
    except (InvalidInput, Conflict) as refused:
        return await _library_page(request, caller, library_id, error=refused)
    return RedirectResponse(f"/aggregation/runs/{run.id}", status_code=303)
