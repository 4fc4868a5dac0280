"""Drafting catalog entries in the portal: the form, items from a table's header,
and registering the information systems that resources link to.

A refused form comes back with the person's input and each error next to its
field (the action's ``InvalidInput``/``Conflict`` fields), not as an error page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from govdata.actions import ActionRegistry, Context
from govdata.authz import OrgRef
from govdata.catalog.item_import import items_from_table
from govdata.catalog.schemas import ItemIn
from govdata.catalog.vocab import VersionStatus
from govdata.errors import Conflict, Forbidden, GovdataError, InvalidInput
from govdata.portal.catalog_forms import (
    BLANK_ITEM,
    BLANK_RESOURCE,
    EntryForm,
    form_problems,
    read_entry_form,
)
from govdata.portal.catalog_labels import VOCAB
from govdata.portal.common import (
    current_caller,
    login_redirect,
    page_chrome,
    run_action,
    run_unit,
    submit_form,
)
from govdata.portal.rendering import render
from govdata.tabular import read_table
from govdata.web.auth import Caller, require_signed_in
from govdata.web.runtime import runtime_of

router = APIRouter(include_in_schema=False)

EDITABLE = (VersionStatus.DRAFT, VersionStatus.RETURNED)


def _drafting_context(
    ctx: Context, registry: ActionRegistry, entry_id: str | None
) -> dict[str, Any]:
    """The departments the form offers, their systems, and the entry being edited."""
    entry = None
    if entry_id is None:
        departments = [
            {"id": option.id, "name": option.name}
            for option in registry.run(
                "organisation_options", ctx, {"permission": "catalog:entry:draft"}
            )
            if option.kind == "department"
        ]
        if not departments:
            raise Forbidden("您不是任何部门的数据提供专员，不能编制目录")
    else:
        entry = registry.run("entry_show", ctx, {"id": entry_id})
        org = registry.run("organisation_show", ctx, {"id": entry.provider.id})
        if not ctx.can("catalog:entry:draft", OrgRef(id=org.id, path=org.path)):
            raise Forbidden("只有提供部门的数据提供专员可以修改目录")
        departments = [{"id": entry.provider.id, "name": entry.provider.name}]
    ids = {d["id"] for d in departments}
    systems = [s for s in registry.run("system_list", ctx, {}) if s.organisation_id in ids]
    return {
        "entry": entry,
        "departments": departments,
        "systems_by_department": [
            (d, [s for s in systems if s.organisation_id == d["id"]]) for d in departments
        ],
    }


async def _form_page(
    request: Request,
    caller: Caller,
    *,
    entry_id: str | None,
    form: EntryForm | None = None,
    error: GovdataError | None = None,
    import_error: GovdataError | None = None,
    notice: str | None = None,
) -> Response:
    """The drafting form; without ``form``, the entry's working version (or a blank one)."""
    registry = runtime_of(request).registry

    def work(ctx: Context) -> dict[str, Any]:
        data = _drafting_context(ctx, registry, entry_id)
        entry = data["entry"]
        if entry is not None and form is None:
            if entry.working is None or entry.working.status not in EDITABLE:
                raise Conflict(
                    "只有草稿或被退回的版本可以修改；已发布的目录请先发起新版本",
                    code="entry_not_editable",
                )
            data["problems"] = registry.run("entry_precheck", ctx, {"id": entry_id})
        return data

    data = await run_unit(request, caller, work, read_only=True)
    entry = data["entry"]
    if form is None:
        form = EntryForm.from_version(entry.working) if entry is not None else EntryForm()
    inline, summary = form_problems(error)
    precheck = {p.field: p.message for p in data.pop("problems", [])}
    title = f"修改目录：{entry.working.name}" if entry is not None else "新建目录"
    refused = error or import_error
    status = refused.http_status if refused else 200
    return render(
        "portal/catalog/form.html",
        {
            "page": page_chrome(request, caller, title, "catalog_mine"),
            "vocab": VOCAB,
            "form": form,
            "action": f"/catalog/entries/{entry_id}/edit" if entry_id else "/catalog/new",
            "entry_id": entry_id or "",
            "error": error,
            "errors": inline or precheck,
            "summary": summary,
            "precheck": bool(precheck) and error is None,
            "import_error": import_error,
            "notice": notice,
            "blank_item": BLANK_ITEM,
            "blank_resource": BLANK_RESOURCE,
            **data,
        },
        status_code=status,
    )


@router.get("/catalog/new")
async def new_entry_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    return await _form_page(request, caller, entry_id=None)


@router.get("/catalog/entries/{entry_id}/edit")
async def edit_entry_page(request: Request, entry_id: str) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    return await _form_page(request, caller, entry_id=entry_id)


async def _save(request: Request, entry_id: str | None) -> Response:
    caller = await current_caller(request)
    require_signed_in(caller)
    form = EntryForm.from_form(await read_entry_form(request, caller))
    if entry_id is None:
        action = "entry_create"
        payload = {"organisation_id": form.values["organisation_id"], **form.metadata()}
    else:
        action, payload = "entry_update", {"id": entry_id, **form.metadata()}
    try:
        saved = await run_action(request, caller, action, payload)
    except (InvalidInput, Conflict) as refused:
        return await _form_page(request, caller, entry_id=entry_id, form=form, error=refused)
    return RedirectResponse(f"/catalog/entries/{saved.id}", status_code=303)


@router.post("/catalog/new")
async def new_entry_submit(request: Request) -> Response:
    return await _save(request, None)


@router.post("/catalog/entries/{entry_id}/edit")
async def edit_entry_submit(request: Request, entry_id: str) -> Response:
    return await _save(request, entry_id)


def _items_of_file(data: bytes, filename: str) -> list[ItemIn]:
    return items_from_table(read_table(data, filename=filename))


@router.post("/catalog/items-from-header")
async def items_from_header(request: Request) -> Response:
    """Fill the form's information items from the header of an uploaded CSV or .xlsx
    file, and show the form again (nothing is saved)."""
    caller = await current_caller(request)
    require_signed_in(caller)
    posted = await read_entry_form(request, caller)
    form = EntryForm.from_form(posted)
    entry_id = posted.get("entry_id")
    entry_id = entry_id if isinstance(entry_id, str) and entry_id else None
    upload = posted.get("items_file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        refused = InvalidInput("请选择要导入表头的CSV或Excel（.xlsx）文件")
        return await _form_page(request, caller, entry_id=entry_id, form=form, import_error=refused)
    filename = upload.filename
    content = await upload.read()
    try:
        items = await run_in_threadpool(_items_of_file, content, filename)
    except InvalidInput as refused:
        return await _form_page(request, caller, entry_id=entry_id, form=form, import_error=refused)
    added, present = form.add_items(items)
    notice = f"已从“{filename}”的表头导入{added}个信息项" + (
        f"，{present}个同名信息项已在表中，未重复导入" if present else ""
    )
    notice += "。请核对数据类型、长度和分级后保存。"
    return await _form_page(request, caller, entry_id=entry_id, form=form, notice=notice)


# --- information systems ----------------------------------------------------------


@router.get("/catalog/systems")
async def systems_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    registry = runtime_of(request).registry

    def work(ctx: Context) -> dict[str, Any]:
        return {
            "systems": registry.run("system_list", ctx, {}),
            "departments": [
                option
                for option in registry.run(
                    "organisation_options", ctx, {"permission": "catalog:system:register"}
                )
                if option.kind == "department"
            ],
        }

    data = await run_unit(request, caller, work, read_only=True)
    return render(
        "portal/catalog/systems.html",
        {"page": page_chrome(request, caller, "信息系统", "catalog_mine"), **data},
    )


@router.post("/catalog/systems")
async def system_submit(request: Request) -> Response:
    return await submit_form(
        request,
        "system_register",
        lambda form: {
            "organisation_id": form.get("organisation_id", ""),
            "name": form.get("name", ""),
            "description": form.get("description", ""),
            "started_on": form.get("started_on") or None,
        },
        lambda _: "/catalog/systems",
    )
