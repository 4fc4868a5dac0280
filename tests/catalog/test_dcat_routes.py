"""Specification of the DCAT-AP export routes (O6): ``/api/v1/catalog/dcat.ttl`` and
``dcat.jsonld``, read through the ``entry_export`` action by whoever calls them.

The Turtle is checked by the real DCAT-AP 3 SHACL shapes in ``shared/standards/dcat-ap/``
next to the repository, with pyshacl and RDFS inference as their README prescribes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyshacl
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF

from govdata.app import create_app
from govdata.catalog import dcat_routes
from govdata.catalog.dcat import HYDRA
from govdata.db import Database
from govdata.services import Services
from govdata.settings import Settings
from tests.catalog.conftest import CLOSED_CODE
from tests.factories import login

REPO_ROOT = Path(__file__).resolve().parents[2]
SHAPES = REPO_ROOT.parent / "shared" / "standards" / "dcat-ap" / "dcat-ap_3_shacl_shapes.ttl"
# rdflib's closed DCAT namespace warns when pytest probes module attributes.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
LICENSE_CODE = "102001/000001"  # the ``published`` fixture's entry, open without conditions

# rdflib's JSON-LD parser itself uses its deprecated ConjunctiveGraph.
RDFLIB_JSONLD_PARSER = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)


@pytest.fixture(scope="module")
def dcat_ap_3() -> Graph:
    if not SHAPES.is_file():
        pytest.fail(
            f"DCAT-AP shapes {SHAPES} are missing: the folder holding the repository must "
            "hold shared/standards/dcat-ap/ (see its README)"
        )
    return Graph().parse(SHAPES)


def client_for(settings: Settings, db: Database, services: Services) -> TestClient:
    return TestClient(create_app(settings, db, services), base_url="http://testserver")


@pytest.fixture
def client(
    settings: Settings, db: Database, search_services: Services, published: str
) -> Iterator[TestClient]:
    with client_for(settings, db, search_services) as test_client:
        yield test_client


def turtle(client: TestClient, page: int = 1) -> Graph:
    response = client.get("/api/v1/catalog/dcat.ttl", params={"page": page})
    assert response.status_code == 200, response.text
    return Graph().parse(data=response.text, format="turtle")


def identifiers(graph: Graph) -> set[str]:
    """The resource codes of the datasets in a graph."""
    datasets = graph.subjects(RDF.type, DCAT.Dataset)
    return {str(graph.value(dataset, DCTERMS.identifier)) for dataset in datasets}


def hydra_links(graph: Graph, page_url: str) -> dict[str, str]:
    current = URIRef(page_url)
    return {
        name: str(graph.value(current, HYDRA[name]))
        for name in ("first", "last", "next", "previous")
        if graph.value(current, HYDRA[name]) is not None
    }


# --- the export ---------------------------------------------------------------------


def test_the_turtle_export_conforms_to_dcat_ap_3_and_lists_the_published_entry(
    client: TestClient, dcat_ap_3: Graph
) -> None:
    response = client.get("/api/v1/catalog/dcat.ttl")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    graph = Graph().parse(data=response.text, format="turtle")
    conforms, _, report = pyshacl.validate(graph, shacl_graph=dcat_ap_3, inference="rdfs")
    assert conforms, report
    assert LICENSE_CODE in identifiers(graph)


@RDFLIB_JSONLD_PARSER
def test_the_json_ld_export_parses_and_lists_the_published_entry(client: TestClient) -> None:
    response = client.get("/api/v1/catalog/dcat.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    graph = Graph().parse(data=response.text, format="json-ld")
    assert LICENSE_CODE in identifiers(graph)
    assert Literal("企业营业执照登记信息", lang="zh") in set(graph.objects(None, DCTERMS.title))


def test_the_catalog_is_titled_after_the_node(client: TestClient, settings: Settings) -> None:
    graph = turtle(client)
    title = graph.value(URIRef("http://testserver/catalog"), DCTERMS.title)
    assert title == Literal(f"{settings.node_name}政务信息资源目录", lang="zh")


# --- paging -------------------------------------------------------------------------


def test_one_page_links_to_itself_as_first_and_last(client: TestClient) -> None:
    page = "http://testserver/api/v1/catalog/dcat.ttl?page=1"
    graph = turtle(client)
    assert hydra_links(graph, page) == {"first": page, "last": page}
    assert graph.value(URIRef(page), HYDRA.itemsPerPage) == Literal(dcat_routes.PAGE_SIZE)
    assert graph.value(URIRef(page), HYDRA.totalItems) == Literal(1)


@RDFLIB_JSONLD_PARSER
def test_pages_link_to_each_other_and_hold_one_page_of_entries_each(
    client: TestClient, closed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dcat_routes, "PAGE_SIZE", 1)
    login(client, "reviewer")
    page = "http://testserver/api/v1/catalog/dcat.jsonld?page={}".format
    first, second = turtle(client, 1), turtle(client, 2)
    assert identifiers(first) == {LICENSE_CODE}
    assert identifiers(second) == {CLOSED_CODE}
    response = client.get("/api/v1/catalog/dcat.jsonld", params={"page": 1})
    jsonld = Graph().parse(data=response.text, format="json-ld")
    assert hydra_links(jsonld, page(1)) == {"first": page(1), "last": page(2), "next": page(2)}


def test_the_configured_public_address_makes_the_links(
    settings: Settings, db: Database, search_services: Services, published: str
) -> None:
    public = settings.model_copy(update={"public_url": "https://data.nmg.gov.cn/"})
    with client_for(public, db, search_services) as client:
        graph = turtle(client)
    page = "https://data.nmg.gov.cn/api/v1/catalog/dcat.ttl?page=1"
    assert hydra_links(graph, page)["last"] == page


def test_a_page_past_the_end_is_not_found(client: TestClient) -> None:
    response = client.get("/api/v1/catalog/dcat.ttl", params={"page": 2})
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "page_out_of_range",
            "message": "页码超出范围：目录共1页",
            "fields": {"page": "最大为1"},
        }
    }


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "", "9" * 30, "1000001", "１"])
def test_a_page_that_is_not_a_positive_whole_number_is_refused(
    settings: Settings, db: Database, search_services: Services, page: str
) -> None:
    with client_for(settings, db, search_services) as client:
        response = client.get("/api/v1/catalog/dcat.ttl", params={"page": page})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_page"
    assert set(response.json()["error"]["fields"]) == {"page"}


# --- who sees what ------------------------------------------------------------------


def test_callers_who_are_not_signed_in_see_only_open_entries(
    client: TestClient, closed: str
) -> None:
    assert identifiers(turtle(client)) == {LICENSE_CODE}


def test_a_signed_in_reviewer_sees_entries_that_are_not_open(
    client: TestClient, closed: str
) -> None:
    login(client, "reviewer")
    assert identifiers(turtle(client)) == {LICENSE_CODE, CLOSED_CODE}


# --- the API description ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "operation_id", "media_type"),
    [
        ("/api/v1/catalog/dcat.ttl", "catalog_dcat_turtle", "text/turtle"),
        ("/api/v1/catalog/dcat.jsonld", "catalog_dcat_jsonld", "application/ld+json"),
    ],
)
def test_openapi_describes_the_export_routes(
    client: TestClient, path: str, operation_id: str, media_type: str
) -> None:
    operation = client.get("/api/v1/openapi.json").json()["paths"][path]["get"]
    assert operation["operationId"] == operation_id
    assert media_type in operation["responses"]["200"]["content"]
    assert "4XX" in operation["responses"]
    assert [p["name"] for p in operation["parameters"]] == ["page"]
