"""How the catalog looks through CKAN's data model: packages, organizations, tags, fq.

A published entry is a CKAN package (dataset) named after its resource code
(``102001/000001`` → ``102001-000001``), so that a harvester keeps the same name for it
on every node. A provider department is a CKAN organization named after its unified
social credit code in lower case, unique nationally, so the same department has the
same name everywhere.

A package describes the entry's version in force: ``metadata_created`` is when that
version was drafted, ``metadata_modified`` when it was published, ``version`` its number.

What is deliberately left out, as in the DCAT-AP export: where data resources live
(tables, paths, endpoints are internal to the government network), share and open
conditions, and the names of sensitive information items (they are not tags).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from govdata.catalog.codes import parse_resource_code
from govdata.catalog.dcat import entry_iri, file_type
from govdata.catalog.indexing import SearchIndexMissing
from govdata.catalog.schemas import EntryOut, FacetValue, ProviderOut, VersionOut
from govdata.catalog.vocab import FORMAT_CATEGORY_LABELS, RESOURCE_KIND_LABELS, OpenType
from govdata.errors import Forbidden, GovdataError, InvalidInput, NotFound, Unauthenticated
from govdata.orgs.codes import CodeError
from govdata.orgs.schemas import OrganisationNode, OrganisationOut

PACKAGE_NAME = re.compile(r"^(\d{3,9})-(\d{6})$")
# CKAN's tag rules: 2 to 100 characters, word characters (any script), space, - _ .
TAG_MIN, TAG_MAX = 2, 100
_NOT_TAG_CHARACTER = re.compile(r"[^\w \-.]+")
_IDS = uuid.UUID("6f1c58a4-3c1e-4b7e-9d0e-2f6a1c0b9e57")  # namespace of derived ids


# --- names ------------------------------------------------------------------------


def package_name(resource_code: str) -> str:
    """A CKAN-safe name (lower-case ASCII, digits and ``-``) from a resource code."""
    return resource_code.replace("/", "-").lower()


def resource_code_of(name_or_code: str) -> str | None:
    """The resource code a package name or a resource code stands for, if it is one."""
    match = PACKAGE_NAME.fullmatch(name_or_code)
    code = f"{match[1]}/{match[2]}" if match else name_or_code
    try:
        return parse_resource_code(code).code
    except CodeError:
        return None


def organization_name(credit_code: str | None, org_id: str) -> str:
    return credit_code.lower() if credit_code else org_id


def ckan_time(moment: datetime) -> str:
    """CKAN writes times as naive ISO 8601 in UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


def derived_id(*parts: str) -> str:
    """A stable id for what has none of its own here (tags, resources)."""
    return str(uuid.uuid5(_IDS, "\x1f".join(parts)))


# --- organizations ----------------------------------------------------------------


def organization_summary(org_id: str, title: str, credit_code: str | None) -> dict[str, Any]:
    return {
        "id": org_id,
        "name": organization_name(credit_code, org_id),
        "title": title,
        "type": "organization",
        "description": "",
        "image_url": "",
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    }


def provider_organization(provider: ProviderOut) -> dict[str, Any]:
    return organization_summary(provider.id, provider.name, provider.credit_code)


def flatten(nodes: list[OrganisationNode]) -> list[OrganisationNode]:
    """The organisations of a tree, each before its children."""
    return [org for node in nodes for org in (node, *flatten(node.children))]


def organization_dict(org: OrganisationOut, package_count: int | None) -> dict[str, Any]:
    """An organization as ``organization_list(all_fields=True)`` and ``_show`` give it."""
    out = organization_summary(org.id, org.name, org.credit_code)
    out["display_name"] = org.name
    out["extras"] = [
        {"key": "credit_code", "value": org.credit_code or ""},
        {"key": "division_code", "value": org.division_code},
    ]
    if package_count is not None:
        out["package_count"] = package_count
    return out


# --- packages ---------------------------------------------------------------------


@dataclass(frozen=True)
class License:
    id: str
    title: str
    is_open: bool


OPEN_LICENSE = License("other-open", "其他（开放）", is_open=True)
NO_LICENSE = License("notspecified", "未注明许可", is_open=False)


def license_of(open_type: OpenType) -> License:
    """Only entries open without conditions carry an open licence."""
    return OPEN_LICENSE if open_type is OpenType.UNCONDITIONAL else NO_LICENSE


def tag_name(text: str) -> str | None:
    """A CKAN tag from an item name: other characters become spaces; too short is none."""
    name = " ".join(_NOT_TAG_CHARACTER.sub(" ", text).split())[:TAG_MAX].strip()
    return name if len(name) >= TAG_MIN else None


def tags_of(version: VersionOut) -> list[dict[str, Any]]:
    names = [tag_name(item.name) for item in version.items if not item.sensitive]
    return [
        {
            "id": derived_id("tag", name),
            "name": name,
            "display_name": name,
            "state": "active",
            "vocabulary_id": None,
        }
        for name in dict.fromkeys(n for n in names if n)
    ]


def format_of(version: VersionOut) -> str:
    """The file type a format detail names (``CSV``), else the detail or the category."""
    known = file_type(version.format_detail)
    if known is not None:
        return str(known).rsplit("/", 1)[-1]
    return version.format_detail.strip() or FORMAT_CATEGORY_LABELS[version.format_category]


def resources_of(entry: EntryOut, version: VersionOut, page: str) -> list[dict[str, Any]]:
    """One resource per data resource; its ``url`` is the entry's page on this node."""
    category = FORMAT_CATEGORY_LABELS[version.format_category]
    detail = version.format_detail.strip()
    format_label = f"{category}（{detail}）" if detail else category
    return [
        {
            "id": derived_id("resource", entry.id, str(position)),
            "package_id": entry.id,
            "name": resource.name,
            "description": f"{RESOURCE_KIND_LABELS[resource.kind]}资源，格式：{format_label}",
            "format": format_of(version),
            "url": page,
            "position": position,
            "resource_type": resource.kind.value,
            "mimetype": None,
            "created": ckan_time(version.created_at),
            "last_modified": None,
            "state": "active",
        }
        for position, resource in enumerate(version.resources)
    ]


def package_dict(entry: EntryOut, base_url: str) -> dict[str, Any]:
    """The CKAN package of an entry's version in force."""
    version = entry.published
    if version is None:
        raise ValueError(f"entry {entry.id} has no published version")
    page = str(entry_iri(base_url, entry.id))
    licence = license_of(version.open_type)
    tags = tags_of(version)
    resources = resources_of(entry, version, page)
    extras = {
        "resource_code": version.resource_code,
        "classification_code": version.classification_code,
        "share_type": version.share_type.value,
        "open_type": version.open_type.value,
        "update_cycle": version.update_cycle.value,
        "grade": version.grade.value if version.grade else None,
        "provider_code": version.provider_code,
    }
    return {
        "id": entry.id,
        "name": package_name(version.resource_code),
        "title": version.name,
        "notes": version.abstract,
        "url": page,
        "version": str(version.number),
        "author": entry.provider.name,
        "author_email": None,
        "maintainer": None,
        "maintainer_email": None,
        "owner_org": entry.provider.id,
        "organization": provider_organization(entry.provider),
        "metadata_created": ckan_time(version.created_at),
        "metadata_modified": ckan_time(version.reviewed_at or version.created_at),
        "license_id": licence.id,
        "license_title": licence.title,
        "isopen": licence.is_open,
        "tags": tags,
        "num_tags": len(tags),
        "extras": [{"key": k, "value": v} for k, v in extras.items() if v is not None],
        "resources": resources,
        "num_resources": len(resources),
        "groups": [],
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "state": "active",
        "private": False,
        "type": "dataset",
    }


# --- fq ---------------------------------------------------------------------------

# fq fields that are facets of the catalog search, by the search input they fill.
SEARCH_FIELDS = {
    "organization": "department",  # by organization name, resolved to a department id
    "owner_org": "department",
    "share_type": "share_type",
    "open_type": "open_type",
    "grade": "grade",
    "update_cycle": "update_cycle",
    "classification": "classification",
    "region": "region",
}
# Fields every package here has one value of: asking for it is no restriction,
# asking for another value matches nothing.
CONSTANT_FIELDS = {
    "dataset_type": "dataset",
    "type": "dataset",
    "state": "active",
    "capacity": "public",
    "private": "false",
}
_CLAUSE = re.compile(
    r'\s*(?P<sign>[+-]?)(?P<field>[A-Za-z_][\w.]*):(?P<value>"[^"]*"|\([^)]*\)|[^\s()"]+)\s*'
)
_CONJUNCTION = re.compile(r"\s*(AND|&&)\s+")


@dataclass
class FilterQuery:
    """What an ``fq`` asks for: values per field (any of them), all fields together."""

    values: dict[str, frozenset[str]] = field(default_factory=dict)
    matches_nothing: bool = False

    def require(self, name: str, values: frozenset[str]) -> None:
        # Solr joins clauses with AND; every field here has one value per package.
        both = self.values.get(name, values) & values
        self.values[name] = both
        if not both:
            self.matches_nothing = True


def _clause_values(raw: str) -> frozenset[str]:
    inner = raw[1:-1].strip() if raw.startswith("(") else raw
    parts = re.split(r"\s+(?:OR|\|\|)\s+", inner) if raw.startswith("(") else [raw]
    return frozenset(part.strip().strip('"').strip() for part in parts if part.strip('" '))


def parse_fq(fq: str) -> FilterQuery:
    """Read a Solr-style filter query: ``organization:<name> +share_type:unconditional``,
    ``open_type:(unconditional OR conditional)``. Clauses are joined by AND."""
    query = FilterQuery()
    position, text = 0, fq.strip()
    supported = "、".join([*SEARCH_FIELDS, *CONSTANT_FIELDS])
    while position < len(text):
        conjunction = _CONJUNCTION.match(text, position)
        if conjunction and position:
            position = conjunction.end()
            continue
        clause = _CLAUSE.match(text, position)
        if clause is None:
            raise InvalidInput(fields={"fq": f"无法解析“{text[position:][:50]}”"})
        position = clause.end()
        name, values = clause["field"], _clause_values(clause["value"])
        if clause["sign"] == "-":
            raise InvalidInput(fields={"fq": f"不支持排除条件：-{name}"})
        if not values:
            raise InvalidInput(fields={"fq": f"“{name}”缺少取值"})
        if name in CONSTANT_FIELDS:
            if {v.lower() for v in values} != {CONSTANT_FIELDS[name]}:
                query.matches_nothing = True
        elif name in SEARCH_FIELDS:
            query.require(name, values)
        else:
            raise InvalidInput(fields={"fq": f"不支持按“{name}”过滤（支持：{supported}）"})
    return query


# --- search results ---------------------------------------------------------------


def search_result(
    count: int,
    results: list[dict[str, Any]],
    facets: dict[str, dict[str, int]],
    details: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """``package_search``'s result; the order is always relevance."""
    return {
        "count": count,
        "sort": "score desc",
        "facets": facets,
        "search_facets": details,
        "results": results,
    }


def search_facets(
    requested: list[str],
    facets: Mapping[str, list[FacetValue]],
    organization_names: Mapping[str, str],
    limit: int,
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, Any]]]:
    """CKAN's ``facets`` ({field: {name: count}}) and ``search_facets`` (with display
    names) for the requested fields. Fields the catalog is not faceted by come back
    empty, as Solr answers for a field no package has."""
    plain: dict[str, dict[str, int]] = {}
    detailed: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(requested):
        items = _facet_items(name, facets, organization_names)
        items.sort(key=lambda item: (-item["count"], item["name"]))
        if limit >= 0:
            items = items[:limit]
        plain[name] = {item["name"]: item["count"] for item in items}
        detailed[name] = {"title": name, "items": items}
    return plain, detailed


def _facet_items(
    name: str, facets: Mapping[str, list[FacetValue]], organization_names: Mapping[str, str]
) -> list[dict[str, Any]]:
    if name in ("organization", "owner_org"):
        names = organization_names if name == "organization" else {}
        return [
            {"name": names.get(f.value, f.value), "display_name": f.label, "count": f.count}
            for f in facets.get("department", [])
        ]
    if name == "license_id":
        counts: dict[License, int] = {}
        for f in facets.get("open_type", []):
            licence = license_of(OpenType(f.value))
            counts[licence] = counts.get(licence, 0) + f.count
        return [
            {"name": licence.id, "display_name": licence.title, "count": count}
            for licence, count in counts.items()
        ]
    if name in SEARCH_FIELDS:
        return [
            {"name": f.value, "display_name": f.label, "count": f.count}
            for f in facets.get(SEARCH_FIELDS[name], [])
        ]
    return []


# --- errors -----------------------------------------------------------------------


def error_body(error: GovdataError) -> tuple[int, dict[str, Any]]:
    """CKAN's status and ``error`` object for one of this node's errors.

    ``Validation Error`` (409) holds CKAN's lists of problems per field (and a summary
    ``message``); ``Not Found Error`` (404) and ``Authorization Error`` (403) carry
    CKAN's message prefixes, which ckanapi strips. The others keep this node's status.
    All but validation errors also carry this node's stable ``code``.
    """
    if isinstance(error, InvalidInput) and error.error_code != "malformed_json":
        body: dict[str, Any] = {name: [problem] for name, problem in error.fields.items()}
        return 409, body | {"__type": "Validation Error", "message": error.message}
    if isinstance(error, NotFound):
        status, kind, message = 404, "Not Found Error", f"Not found: {error.message}"
    elif isinstance(error, Forbidden | Unauthenticated):
        status, kind, message = 403, "Authorization Error", f"Access denied: {error.message}"
    elif isinstance(error, InvalidInput) or error.http_status == 400:
        status, kind, message = 400, "Bad Request", error.message  # e.g. a body not JSON
    elif isinstance(error, SearchIndexMissing):
        status, kind, message = error.http_status, "Search Error", error.message
    else:
        status, kind, message = error.http_status, "Error", error.message
    return status, {"__type": kind, "message": message, "code": error.error_code}
