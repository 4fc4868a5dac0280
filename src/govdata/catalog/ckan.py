"""A CKAN-compatible read API (O6) for harvesters and CKAN clients such as ``ckanapi``.

``/api/3/action/{name}`` and ``/api/action/{name}`` answer ``package_search``,
``package_show``, ``package_list``, ``organization_list``, ``organization_show`` and
``help_show``, by GET (query string) or POST (JSON body), in CKAN's envelope
``{"help": <url>, "success": true, "result": ...}``. Errors keep CKAN's types and
statuses (see :func:`govdata.catalog.ckan_mapping.error_body`).

Every answer is read through the catalog and organisation actions (``catalog_search``,
``entry_export``, ``entry_show``, ``organisation_tree``, ``organisation_find``) in one
read-only unit of work, so the same authorisation applies as everywhere: callers who
are not signed in see open entries only. The caller is identified as for ``/api/v1``
(a portal session or a signed request); CKAN API keys are not accepted. Nothing here
writes, so a cookie session needs no CSRF token.

Organizations are the departments of this node, all of them (as CKAN lists
organizations with or without datasets); ``package_count`` says which provide
published entries the caller can see. Unknown parameters are ignored, as CKAN's Solr
parameters would be; ``sort`` is always relevance (``score desc``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from govdata.actions import ActionRegistry, Context, validation_fields
from govdata.catalog.ckan_mapping import (
    SEARCH_FIELDS,
    FilterQuery,
    error_body,
    flatten,
    organization_dict,
    organization_name,
    package_dict,
    package_name,
    parse_fq,
    resource_code_of,
    search_facets,
    search_result,
)
from govdata.catalog.dcat_routes import build_dcat_router, node_base_url
from govdata.catalog.schemas import EntryOut, ExportPage, SearchOut
from govdata.errors import GovdataError, InvalidInput, NotFound
from govdata.orgs.schemas import OrganisationNode, OrganisationOut
from govdata.schemas import StrictInput
from govdata.web.api_routes import SchemaCollector, parse_json_object
from govdata.web.auth import authenticate
from govdata.web.runtime import request_id_of, runtime_of

PREFIXES = ("/api/3/action", "/api/action")
MAX_ROWS = 1000  # CKAN's ckan.search.rows_max: larger ``rows`` are cut to it
SEARCH_PAGE = 100  # the largest page catalog_search gives
MAX_START = 49_000  # catalog_search pages through the first 50,000 hits
EXPORT_PAGE = 1000  # the largest page entry_export gives
ORGANIZATIONS_MAX = 1000  # CKAN's ckan.group_and_organization_list_max
ORGANIZATIONS_ALL_FIELDS_MAX = 25  # CKAN's ..._all_fields_max


# --- inputs -----------------------------------------------------------------------


class CkanInput(StrictInput):
    """CKAN parameters: text is checked as elsewhere, unknown parameters are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _json_list(value: Any) -> Any:
    """CKAN takes list parameters as JSON text in a query string (``["organization"]``)."""
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip().startswith("[") else [value]
        except ValueError:
            raise ValueError("应为JSON数组") from None
    return value


class PackageSearchInput(CkanInput):
    q: str = Field(default="", max_length=200)
    fq: str = Field(default="", max_length=2000)
    rows: int = Field(default=10, ge=0)
    start: int = Field(default=0, ge=0, le=MAX_START)
    sort: str = Field(default="score desc", max_length=200)
    facet_field: list[str] = Field(default_factory=list, alias="facet.field", max_length=20)
    facet_limit: int = Field(default=50, alias="facet.limit", ge=-1)

    _facet_list = field_validator("facet_field", mode="before")(_json_list)

    @field_validator("rows")
    @classmethod
    def _at_most_rows_max(cls, rows: int) -> int:
        return min(rows, MAX_ROWS)


class PackageShowInput(CkanInput):
    id: str = Field(min_length=1, max_length=200, description="Entry id, resource code or name")


class PackageListInput(CkanInput):
    limit: int | None = Field(default=None, ge=0)
    offset: int = Field(default=0, ge=0, le=100_000_000)


class OrganizationListInput(CkanInput):
    all_fields: bool = False
    limit: int | None = Field(default=None, ge=0)
    offset: int = Field(default=0, ge=0)
    sort: str = Field(default="name asc", pattern=r"^\s*(name|title)(\s+(asc|desc))?\s*$")
    organizations: list[str] = Field(default_factory=list, max_length=1000)
    include_dataset_count: bool = True

    _organizations_list = field_validator("organizations", mode="before")(_json_list)


class OrganizationShowInput(CkanInput):
    id: str = Field(min_length=1, max_length=200, description="Id or name")
    include_datasets: bool = False
    include_dataset_count: bool = True


class HelpShowInput(CkanInput):
    name: str = Field(min_length=1, max_length=100)


# --- the actions ------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """Runs this node's actions for one CKAN call, in its unit of work."""

    registry: ActionRegistry
    ctx: Context
    base_url: str

    def run(self, name: str, data: dict[str, Any]) -> Any:
        return self.registry.run(name, self.ctx, data)

    def packages(self, resource_codes: list[str]) -> dict[str, dict[str, Any]]:
        """Full packages by resource code, of those the caller may see."""
        if not resource_codes:  # no codes would mean no filter to entry_export
            return {}
        exported: ExportPage = self.run(
            "entry_export", {"resource_codes": resource_codes, "page_size": len(resource_codes)}
        )
        return {e.resource_code: package_dict(e, self.base_url) for e in exported.entries}

    def department(self, key: str) -> OrganisationOut:
        """A department by id or organization name (its credit code in lower case)."""
        try:
            org: OrganisationOut = self.run("organisation_find", {"key": key})
        except InvalidInput:  # longer than any id or code
            raise NotFound("组织机构不存在", fields={"id": key}) from None
        if org.kind != "department":
            raise NotFound(f"“{org.name}”不是部门", fields={"id": key})
        return org


def package_search(reader: Reader, data: PackageSearchInput) -> dict[str, Any]:
    wanted = parse_fq(data.fq)
    search = _search_input(reader, data, wanted)
    if wanted.matches_nothing:
        facets, details = search_facets(data.facet_field, {}, {}, data.facet_limit)
        return search_result(0, [], facets, details)
    first = data.start // SEARCH_PAGE + 1
    last = (data.start + max(data.rows, 1) - 1) // SEARCH_PAGE + 1
    hits = []
    for page in range(first, last + 1):
        found: SearchOut = reader.run(
            "catalog_search", {**search, "page": page, "page_size": SEARCH_PAGE}
        )
        hits.extend(found.hits)
        if page * SEARCH_PAGE >= found.total:
            break
    skip = data.start - (first - 1) * SEARCH_PAGE
    codes = [hit.resource_code for hit in hits[skip : skip + data.rows]]
    packages = reader.packages(codes)
    names: dict[str, str] = {}
    if "organization" in data.facet_field:
        for facet in found.facets.get("department", []):
            try:
                org = reader.department(facet.value)
            except NotFound:  # the index may name a department that has just gone
                continue
            names[facet.value] = organization_name(org.credit_code, org.id)
    facets, details = search_facets(data.facet_field, found.facets, names, data.facet_limit)
    results = [packages[code] for code in codes if code in packages]
    return search_result(found.total, results, facets, details)


def _search_input(reader: Reader, data: PackageSearchInput, wanted: FilterQuery) -> dict[str, str]:
    """The catalog_search input for a CKAN search. Organization names become department
    ids here, in ``wanted`` (which then may match nothing)."""
    search = {"q": "" if data.q in ("*:*", "*") else data.q}
    names = wanted.values.pop("organization", None)
    if names is not None:
        ids = set()
        for name in names:
            try:
                ids.add(reader.department(name).id)
            except NotFound:  # a name no department has matches nothing
                continue
        wanted.require("owner_org", frozenset(ids))
    for name, values in wanted.values.items():
        search[SEARCH_FIELDS[name]] = ",".join(sorted(values))
    return search


def package_show(reader: Reader, data: PackageShowInput) -> dict[str, Any]:
    code = resource_code_of(data.id)
    if code is not None:
        found = reader.packages([code])
        if code not in found:
            raise NotFound("目录不存在", fields={"id": data.id})
        return found[code]
    if len(data.id) > 36:
        raise NotFound("目录不存在", fields={"id": data.id})
    entry: EntryOut = reader.run("entry_show", {"id": data.id})
    if entry.published is None:
        raise NotFound("目录尚未发布", fields={"id": data.id})
    return package_dict(entry, reader.base_url)


def package_list(reader: Reader, data: PackageListInput) -> list[str]:
    page, skip = data.offset // EXPORT_PAGE + 1, data.offset % EXPORT_PAGE
    names: list[str] = []
    while data.limit is None or len(names) - skip < data.limit:
        exported: ExportPage = reader.run("entry_export", {"page": page, "page_size": EXPORT_PAGE})
        names.extend(package_name(entry.resource_code) for entry in exported.entries)
        if page * EXPORT_PAGE >= exported.total:
            break
        page += 1
    names = names[skip:]
    return names if data.limit is None else names[: data.limit]


def _package_count(reader: Reader, org_id: str) -> int:
    exported: ExportPage = reader.run("entry_export", {"organisation_id": org_id, "page_size": 1})
    return exported.total


def organization_list(reader: Reader, data: OrganizationListInput) -> list[Any]:
    tree: list[OrganisationNode] = reader.run("organisation_tree", {"kind": "department"})
    orgs = flatten(tree)
    if data.organizations:
        asked = set(data.organizations)
        orgs = [o for o in orgs if organization_name(o.credit_code, o.id) in asked]
    field, *order = data.sort.split()
    if field == "title":
        orgs.sort(key=lambda o: o.name, reverse=order == ["desc"])
    else:
        orgs.sort(key=lambda o: organization_name(o.credit_code, o.id), reverse=order == ["desc"])
    most = ORGANIZATIONS_ALL_FIELDS_MAX if data.all_fields else ORGANIZATIONS_MAX
    limit = most if data.limit is None else min(data.limit, most)
    orgs = orgs[data.offset : data.offset + limit]
    if not data.all_fields:
        return [organization_name(o.credit_code, o.id) for o in orgs]
    return [
        organization_dict(o, _package_count(reader, o.id) if data.include_dataset_count else None)
        for o in orgs
    ]


def organization_show(reader: Reader, data: OrganizationShowInput) -> dict[str, Any]:
    org = reader.department(data.id)
    exported: ExportPage = reader.run(
        "entry_export",
        {"organisation_id": org.id, "page_size": EXPORT_PAGE if data.include_datasets else 1},
    )
    out = organization_dict(org, exported.total if data.include_dataset_count else None)
    if data.include_datasets:
        out["packages"] = [package_dict(e, reader.base_url) for e in exported.entries]
    return out


def help_show(_reader: Reader, data: HelpShowInput) -> str:
    action = ACTIONS.get(data.name)
    if action is None:
        raise NotFound(f"不支持的动作：{data.name}", fields={"name": data.name})
    return action.help


@dataclass(frozen=True)
class CkanAction:
    input_model: type[BaseModel]
    handler: Callable[[Reader, Any], Any]
    help: str


ACTIONS: dict[str, CkanAction] = {
    "package_search": CkanAction(
        PackageSearchInput,
        package_search,
        "检索已发布的目录。参数：q（中文检索词）、fq（organization:<名称>、share_type、"
        "open_type、grade、update_cycle、classification、region，可用 (a OR b)）、"
        'rows（默认10，最多1000）、start、facet.field（JSON数组，如 ["organization"]）、'
        "facet.limit。排序固定为相关度（score desc）。",
    ),
    "package_show": CkanAction(
        PackageShowInput, package_show, "一条已发布的目录。参数：id（目录id、资源代码或名称）。"
    ),
    "package_list": CkanAction(
        PackageListInput, package_list, "已发布目录的名称，按名称排序。参数：limit、offset。"
    ),
    "organization_list": CkanAction(
        OrganizationListInput,
        organization_list,
        "本节点的全部部门（名称为统一社会信用代码小写）。参数：all_fields、limit、offset、"
        "sort（name或title，asc或desc）、organizations、include_dataset_count。",
    ),
    "organization_show": CkanAction(
        OrganizationShowInput,
        organization_show,
        "一个部门。参数：id（部门id或名称）、include_datasets（最多1000条目录）。",
    ),
    "help_show": CkanAction(
        HelpShowInput,
        help_show,
        "一个动作的说明。参数：name（动作名称）。",
    ),
}


# --- the routes -------------------------------------------------------------------


def _query_data(request: Request) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in request.query_params:
        values = request.query_params.getlist(key)
        data[key] = values[0] if len(values) == 1 else values
    return data


def _validated(model: type[BaseModel], raw: dict[str, Any]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput(fields=validation_fields(exc)) from None


def action_endpoint(prefix: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        name = str(request.path_params["name"])
        rt = runtime_of(request)
        base = node_base_url(rt.settings, request)
        help_url = f"{base}{prefix}/help_show?name={quote(name, safe='')}"
        try:
            result = await _answer(request, name, base)
        except GovdataError as error:
            status, body = error_body(error)
            envelope = {"help": help_url, "success": False, "error": body}
            return JSONResponse(envelope, status_code=status)
        return JSONResponse({"help": help_url, "success": True, "result": result})

    return endpoint


async def _answer(request: Request, name: str, base: str) -> Any:
    action = ACTIONS.get(name)
    if action is None:
        raise GovdataError(
            f"不支持的动作：{name}（支持：{'、'.join(ACTIONS)}）",
            code="ckan_action_unknown",
            status=400,
        )
    body = await request.body()
    caller = await authenticate(request, body)
    if request.method == "POST":
        raw = parse_json_object(body, request.headers.get("content-type"))
    else:
        raw = _query_data(request)
    data = _validated(action.input_model, raw)
    rt = runtime_of(request)

    def work(ctx: Context) -> Any:
        return action.handler(Reader(rt.registry, ctx, base), data)

    return await run_in_threadpool(
        rt.unit_of_work, caller.actor, request_id_of(request), work, read_only=True
    )


def build_ckan_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)  # CKAN documents this API, not /api/v1's
    for prefix in PREFIXES:
        router.add_api_route(prefix + "/{name}", action_endpoint(prefix), methods=["GET", "POST"])
    return router


def build_open_data_router(schemas: SchemaCollector) -> APIRouter:
    """The catalog's harvesting interfaces: the DCAT-AP export and this CKAN API."""
    router = APIRouter()
    router.include_router(build_dcat_router(schemas))
    router.include_router(build_ckan_router())
    return router
