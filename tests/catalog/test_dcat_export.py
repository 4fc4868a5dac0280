"""Specification of the DCAT-AP export of the published catalog (O6).

The export is checked by the real DCAT-AP SHACL shapes (SEMIC's files, as ckanext-dcat
tests with them) in ``shared/standards/dcat-ap/`` next to the repository, validated the
way their README prescribes: pyshacl with RDFS inference. DCAT-AP 3.0.0 and 2.1.1 (shapes
plus range) can both be satisfied by the same export, so both are checked.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, RDF, SH, SKOS

from govdata.catalog.dcat import (
    ACCESS_RIGHT,
    FILE_TYPE,
    FREQUENCY,
    HYDRA,
    LANGUAGE,
    MAX_KEYWORDS,
    CatalogDescription,
    Format,
    Page,
    build_graph,
    entry_iri,
    file_type,
    page_url,
    serialize,
)
from govdata.catalog.schemas import EntryOut, ItemOut, ProviderOut, ResourceOut, VersionOut
from govdata.catalog.vocab import (
    DataType,
    FormatCategory,
    Grade,
    OpenType,
    ResourceKind,
    ShareMethod,
    ShareType,
    UpdateCycle,
    VersionStatus,
)

# rdflib's closed DCAT namespace warns when pytest probes module attributes; a plain
# namespace of the same IRI does not.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
SHAPES_DIR = Path(__file__).resolve().parents[3] / "shared" / "standards" / "dcat-ap"
BASE = "http://127.0.0.1:8000"

# rdflib's JSON-LD parser itself uses its deprecated ConjunctiveGraph.
RDFLIB_JSONLD_PARSER = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)

# ---------------------------------------------------------------------------
# Builders
# ---------------------------------------------------------------------------

MARKET = ProviderOut(
    id="org-market",
    name="内蒙古自治区市场监督管理局",
    credit_code="11150000MB1234567X",
    division_code="150000",
)
PUBLIC_SECURITY = ProviderOut(
    id="org-police", name="内蒙古自治区公安厅", credit_code=None, division_code="150000"
)


def item(name: str, *, sensitive: bool = False, grade: Grade = Grade.GENERAL_2) -> ItemOut:
    return ItemOut(
        name=name,
        data_type=DataType.CHARACTER,
        length=50,
        grade=grade,
        sensitive=sensitive,
        description="",
    )


def resource(name: str, kind: ResourceKind, location: str) -> ResourceOut:
    return ResourceOut(name=name, kind=kind, location=location, system_id=None, system_name=None)


def make_entry(
    entry_id: str,
    name: str,
    *,
    code: str = "102/000001",
    provider: ProviderOut = MARKET,
    abstract: str = "",
    update_cycle: UpdateCycle = UpdateCycle.DAILY,
    open_type: OpenType = OpenType.UNCONDITIONAL,
    share_type: ShareType = ShareType.UNCONDITIONAL,
    share_methods: tuple[ShareMethod, ...] = (ShareMethod.INTERFACE,),
    format_category: FormatCategory = FormatCategory.SPREADSHEET,
    format_detail: str = "xlsx",
    items: tuple[ItemOut, ...] = (),
    resources: tuple[ResourceOut, ...] = (),
    related_codes: tuple[str, ...] = (),
    grade: Grade | None = Grade.GENERAL_2,
    publish_date: date | None = date(2026, 3, 2),
    published: bool = True,
) -> EntryOut:
    """An entry whose version in force has the given metadata (or a draft if unpublished)."""
    version = VersionOut(
        number=1,
        status=VersionStatus.PUBLISHED if published else VersionStatus.DRAFT,
        name=name,
        classification_code=code.split("/", maxsplit=1)[0],
        resource_code=code,
        provider_code=provider.credit_code or "",
        abstract=abstract,
        format_category=format_category,
        format_detail=format_detail,
        items=list(items),
        share_type=share_type,
        share_conditions="",
        share_methods=list(share_methods),
        open_type=open_type,
        open_conditions="",
        update_cycle=update_cycle,
        related_codes=list(related_codes),
        resources=list(resources),
        grade=grade,
        publish_date=publish_date if published else None,
        created_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
        created_by="user-1",
        submitted_at=None,
        reviewed_at=None,
        reviewed_by=None,
        review_reasons=[],
    )
    return EntryOut(
        id=entry_id,
        resource_code=code,
        provider=provider,
        published=version if published else None,
        working=None if published else version,
        versions=[],
    )


ENTERPRISES_ABSTRACT = "全区市场主体的登记注册信息，含名称、住所和法定代表人。"
ENTERPRISES = make_entry(
    "e-enterprises",
    "企业登记信息",
    abstract=ENTERPRISES_ABSTRACT,
    open_type=OpenType.CONDITIONAL,
    share_type=ShareType.CONDITIONAL,
    items=(item("统一社会信用代码"), item("企业名称"), item("法定代表人身份证号", sensitive=True)),
    resources=(
        resource("企业登记表", ResourceKind.TABLE, "scjg.qydj_2026"),
        resource("年报附件", ResourceKind.FILE, "/srv/nas/scjg/annual"),
    ),
    related_codes=("101/000001",),
)
POPULATION = make_entry(
    "e-population",
    "人口基础信息",
    code="101/000001",
    provider=PUBLIC_SECURITY,
    update_cycle=UpdateCycle.REALTIME,
    open_type=OpenType.NONE,
    share_type=ShareType.CONDITIONAL,
    share_methods=(ShareMethod.INTERFACE, ShareMethod.FILE),
    format_category=FormatCategory.INTERFACE,
    format_detail="JSON",
    grade=Grade.IMPORTANT,
)
AIR_QUALITY = make_entry(
    "e-air",
    "空气质量监测数据",
    code="211/000003",
    abstract="全区各盟市空气质量自动监测站的小时数据。",
    update_cycle=UpdateCycle.SEMIANNUAL,
    format_category=FormatCategory.DATABASE,
    format_detail="达梦数据库",
    share_methods=(),
    share_type=ShareType.NONE,
    grade=None,
    publish_date=None,
)
DRAFT = make_entry("e-draft", "尚未发布的草稿目录", published=False)

ENTRIES = (ENTERPRISES, POPULATION, AIR_QUALITY, DRAFT)

NODE = CatalogDescription(
    title="内蒙古自治区政务数据目录",
    description="内蒙古自治区政务大数据平台发布的政务信息资源目录。",
    publisher="内蒙古自治区政务服务与数据管理局",
    base_url=BASE + "/",
    modified=date(2026, 3, 2),
)


def first_page(total: int = 3, size: int = 3) -> Page:
    return Page(number=1, size=size, total=total, url=page_url(BASE))


def export(*entries: EntryOut, page: Page | None = None) -> Graph:
    return build_graph(NODE, entries or ENTRIES, page or first_page())


def dataset(entry: EntryOut) -> URIRef:
    return entry_iri(BASE, entry.id)


# ---------------------------------------------------------------------------
# Validation against the DCAT-AP shapes
# ---------------------------------------------------------------------------


def shapes_file(name: str) -> Path:
    path = SHAPES_DIR / name
    assert path.is_file(), (
        f"DCAT-AP shapes {path} are missing: the repository's parent folder must hold "
        "shared/standards/dcat-ap/ (see its README)"
    )
    return path


@pytest.fixture(scope="module")
def dcat_ap_3() -> Graph:
    return Graph().parse(shapes_file("dcat-ap_3_shacl_shapes.ttl"))


@pytest.fixture(scope="module")
def dcat_ap_2() -> Graph:
    shapes = Graph().parse(shapes_file("dcat-ap_2.1.1_shacl_shapes.ttl"))
    return shapes.parse(shapes_file("dcat-ap_2.1.1_shacl_range.ttl"))


def validate(data: Graph, shapes: Graph) -> tuple[bool, Graph, str]:
    conforms, results, text = pyshacl.validate(data, shacl_graph=shapes, inference="rdfs")
    assert isinstance(results, Graph)
    return bool(conforms), results, str(text)


def violated(results: Graph) -> set[tuple[URIRef, URIRef]]:
    """(focus node, path) of every result of a validation report."""
    return {
        (URIRef(results.value(r, SH.focusNode)), URIRef(results.value(r, SH.resultPath)))
        for r in results.subjects(RDF.type, SH.ValidationResult)
    }


def test_the_turtle_export_conforms_to_dcat_ap_3(dcat_ap_3: Graph) -> None:
    parsed = Graph().parse(data=serialize(export(), "turtle"), format="turtle")
    conforms, _, text = validate(parsed, dcat_ap_3)
    assert conforms, text


def test_the_turtle_export_conforms_to_dcat_ap_2_1_1_shapes_and_ranges(dcat_ap_2: Graph) -> None:
    parsed = Graph().parse(data=serialize(export(), "turtle"), format="turtle")
    conforms, _, text = validate(parsed, dcat_ap_2)
    assert conforms, text


@RDFLIB_JSONLD_PARSER
def test_the_json_ld_export_parses_back_to_the_same_graph_and_conforms(dcat_ap_3: Graph) -> None:
    graph = export()
    parsed = Graph().parse(data=serialize(graph, "json-ld"), format="json-ld")
    assert isomorphic(parsed, graph)
    conforms, _, text = validate(parsed, dcat_ap_3)
    assert conforms, text


def test_the_pyshacl_command_line_accepts_the_export(tmp_path: Path) -> None:
    exported = tmp_path / "catalog.ttl"
    exported.write_text(serialize(export(), "turtle"), encoding="utf-8")
    command = Path(sys.executable).with_name("pyshacl")
    shapes = shapes_file("dcat-ap_3_shacl_shapes.ttl")
    run = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [str(command), "-s", str(shapes), "-i", "rdfs", "-f", "table", str(exported)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "True" in run.stdout


def test_datasets_without_descriptions_fail_validation_on_dct_description(
    dcat_ap_3: Graph,
) -> None:
    graph = export()
    graph.remove((None, DCTERMS.description, None))
    conforms, results, _ = validate(graph, dcat_ap_3)
    assert not conforms
    assert (dataset(ENTERPRISES), DCTERMS.description) in violated(results)


def test_a_frequency_without_its_class_fails_validation_on_accrual_periodicity(
    dcat_ap_3: Graph,
) -> None:
    graph = export()
    graph.remove((FREQUENCY.DAILY, RDF.type, DCTERMS.Frequency))
    conforms, results, _ = validate(graph, dcat_ap_3)
    assert not conforms
    assert violated(results) == {(dataset(ENTERPRISES), DCTERMS.accrualPeriodicity)}


# ---------------------------------------------------------------------------
# The catalog
# ---------------------------------------------------------------------------


def test_the_catalog_describes_the_node_and_links_the_published_datasets() -> None:
    graph = export()
    catalog = URIRef(f"{BASE}/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in graph
    assert graph.value(catalog, DCTERMS.title) == Literal("内蒙古自治区政务数据目录", lang="zh")
    assert graph.value(catalog, FOAF.homepage) == URIRef(f"{BASE}/")
    assert graph.value(catalog, DCTERMS.language) == LANGUAGE.ZHO
    assert graph.value(catalog, DCTERMS.modified) == Literal(date(2026, 3, 2))
    publisher = graph.value(catalog, DCTERMS.publisher)
    assert graph.value(publisher, FOAF.name) == Literal(
        "内蒙古自治区政务服务与数据管理局", lang="zh"
    )
    assert set(graph.objects(catalog, DCAT.dataset)) == {
        dataset(ENTERPRISES),
        dataset(POPULATION),
        dataset(AIR_QUALITY),
    }


def test_entries_without_a_published_version_are_not_exported() -> None:
    graph = export()
    assert (dataset(DRAFT), None, None) not in graph
    assert "尚未发布" not in serialize(graph, "turtle")


def test_the_catalog_has_no_modified_date_unless_the_node_gives_one() -> None:
    node = CatalogDescription(title="目录", description="说明", publisher="局", base_url=BASE)
    graph = build_graph(node, [ENTERPRISES], first_page())
    assert graph.value(URIRef(f"{BASE}/catalog"), DCTERMS.modified) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"language": "fr"}, "不支持的目录语言"),
        ({"base_url": "ftp://example.org"}, "http://"),
    ],
)
def test_a_catalog_description_is_checked(changes: dict[str, str], message: str) -> None:
    fields = {"title": "目录", "description": "说明", "publisher": "局", "base_url": BASE}
    with pytest.raises(ValueError, match=message):
        CatalogDescription(**(fields | changes))


# ---------------------------------------------------------------------------
# Datasets
# ---------------------------------------------------------------------------


def test_a_dataset_is_identified_by_its_resource_code_and_titled_in_chinese() -> None:
    graph = export(ENTERPRISES)
    subject = dataset(ENTERPRISES)
    assert subject == URIRef(f"{BASE}/catalog/entries/e-enterprises")
    assert graph.value(subject, DCTERMS.identifier) == Literal("102/000001")
    assert graph.value(subject, DCTERMS.title) == Literal("企业登记信息", lang="zh")
    assert graph.value(subject, DCTERMS.description) == Literal(ENTERPRISES_ABSTRACT, lang="zh")
    assert graph.value(subject, DCTERMS.issued) == Literal(date(2026, 3, 2))


def test_an_empty_abstract_is_replaced_by_a_sentence_built_from_the_name() -> None:
    graph = export(POPULATION)
    description = graph.value(dataset(POPULATION), DCTERMS.description)
    assert description == Literal(
        "“人口基础信息”是内蒙古自治区公安厅编目的政务信息资源（基础信息资源/人口）。", lang="zh"
    )


def test_a_dataset_without_a_publish_date_has_no_issued_date() -> None:
    assert export(AIR_QUALITY).value(dataset(AIR_QUALITY), DCTERMS.issued) is None


def test_the_provider_is_the_publisher_with_its_credit_code() -> None:
    graph = export(ENTERPRISES, POPULATION)
    market = graph.value(dataset(ENTERPRISES), DCTERMS.publisher)
    assert market == URIRef(f"{BASE}/organisations/org-market")
    assert (market, RDF.type, FOAF.Agent) in graph
    assert graph.value(market, FOAF.name) == Literal("内蒙古自治区市场监督管理局", lang="zh")
    assert graph.value(market, DCTERMS.identifier) == Literal("11150000MB1234567X")
    police = graph.value(dataset(POPULATION), DCTERMS.publisher)
    assert graph.value(police, DCTERMS.identifier) is None


@pytest.mark.parametrize(
    ("cycle", "frequency"),
    [
        (UpdateCycle.REALTIME, FREQUENCY.CONT),
        (UpdateCycle.DAILY, FREQUENCY.DAILY),
        (UpdateCycle.WEEKLY, FREQUENCY.WEEKLY),
        (UpdateCycle.MONTHLY, FREQUENCY.MONTHLY),
        (UpdateCycle.QUARTERLY, FREQUENCY.QUARTERLY),
        (UpdateCycle.SEMIANNUAL, FREQUENCY.ANNUAL_2),
        (UpdateCycle.ANNUAL, FREQUENCY.ANNUAL),
        (UpdateCycle.IRREGULAR, FREQUENCY.IRREG),
    ],
)
def test_update_cycles_map_to_eu_frequencies_typed_as_frequency(
    cycle: UpdateCycle, frequency: URIRef
) -> None:
    entry = make_entry("e-1", "测试目录", update_cycle=cycle)
    graph = export(entry)
    assert graph.value(dataset(entry), DCTERMS.accrualPeriodicity) == frequency
    assert (frequency, RDF.type, DCTERMS.Frequency) in graph


@pytest.mark.parametrize(
    ("open_type", "rights"),
    [
        (OpenType.UNCONDITIONAL, ACCESS_RIGHT.PUBLIC),
        (OpenType.CONDITIONAL, ACCESS_RIGHT.RESTRICTED),
        (OpenType.NONE, ACCESS_RIGHT.NON_PUBLIC),
    ],
)
def test_open_types_map_to_eu_access_rights_typed_as_rights_statement(
    open_type: OpenType, rights: URIRef
) -> None:
    entry = make_entry("e-1", "测试目录", open_type=open_type)
    graph = export(entry)
    assert graph.value(dataset(entry), DCTERMS.accessRights) == rights
    assert (rights, RDF.type, DCTERMS.RightsStatement) in graph


def test_the_theme_is_the_classification_concept_under_its_class() -> None:
    graph = export(ENTERPRISES)
    theme = graph.value(dataset(ENTERPRISES), DCAT.theme)
    scheme = URIRef(f"{BASE}/vocab/classification")
    assert theme == URIRef(f"{BASE}/vocab/classification/102")
    assert (theme, RDF.type, SKOS.Concept) in graph
    assert graph.value(theme, SKOS.prefLabel) == Literal("基础信息资源/法人单位", lang="zh")
    assert graph.value(theme, SKOS.inScheme) == scheme
    top = graph.value(theme, SKOS.broader)
    assert graph.value(top, SKOS.prefLabel) == Literal("基础信息资源", lang="zh")
    assert (top, SKOS.topConceptOf, scheme) in graph
    assert graph.value(URIRef(f"{BASE}/catalog"), DCAT.themeTaxonomy) == scheme


def test_keywords_are_the_first_item_names_leaving_out_sensitive_items() -> None:
    graph = export(ENTERPRISES)
    keywords = set(graph.objects(dataset(ENTERPRISES), DCAT.keyword))
    assert keywords == {Literal("统一社会信用代码", lang="zh"), Literal("企业名称", lang="zh")}


def test_keywords_are_capped() -> None:
    entry = make_entry("e-1", "测试目录", items=tuple(item(f"字段{n}") for n in range(30)))
    assert len(set(export(entry).objects(dataset(entry), DCAT.keyword))) == MAX_KEYWORDS


def test_related_resource_codes_are_relations() -> None:
    graph = export(ENTERPRISES)
    assert set(graph.objects(dataset(ENTERPRISES), DCTERMS.relation)) == {
        URIRef(f"{BASE}/catalog/resources/101/000001")
    }


def test_share_type_and_grade_are_node_concepts_with_chinese_labels() -> None:
    graph = export(POPULATION, AIR_QUALITY)
    vocab = f"{BASE}/vocab#"
    share = graph.value(dataset(POPULATION), URIRef(vocab + "shareType"))
    assert graph.value(share, SKOS.prefLabel) == Literal("有条件共享", lang="zh")
    grade = graph.value(dataset(POPULATION), URIRef(vocab + "grade"))
    assert graph.value(grade, SKOS.prefLabel) == Literal("重要数据", lang="zh")
    assert graph.value(dataset(AIR_QUALITY), URIRef(vocab + "grade")) is None


# ---------------------------------------------------------------------------
# Distributions and formats
# ---------------------------------------------------------------------------


def distributions(graph: Graph, entry: EntryOut) -> dict[str, URIRef]:
    """The distributions of an entry's dataset by their titles."""
    return {
        str(graph.value(d, DCTERMS.title)): URIRef(d)
        for d in graph.objects(dataset(entry), DCAT.distribution)
    }


def test_each_data_resource_is_a_distribution_reached_through_the_entry_page() -> None:
    graph = export(ENTERPRISES)
    found = distributions(graph, ENTERPRISES)
    assert set(found) == {"企业登记表（库表）", "年报附件（文件）"}
    for distribution in found.values():
        assert graph.value(distribution, DCAT.accessURL) == dataset(ENTERPRISES)
        assert graph.value(distribution, DCTERMS.format) == FILE_TYPE.XLSX


def test_where_data_resources_live_is_never_exported() -> None:
    text = serialize(export(ENTERPRISES), "turtle")
    assert "qydj_2026" not in text
    assert "/srv/nas" not in text


def test_without_data_resources_each_share_method_is_a_distribution() -> None:
    graph = export(POPULATION)
    assert set(distributions(graph, POPULATION)) == {"接口共享", "文件共享"}


def test_without_resources_or_share_methods_there_is_no_distribution() -> None:
    assert distributions(export(AIR_QUALITY), AIR_QUALITY) == {}


@pytest.mark.parametrize(
    ("detail", "code"),
    [
        ("xlsx", "XLSX"),
        (".CSV", "CSV"),
        ("CSV、JSON", "CSV"),
        ("jpg", "JPEG"),
        ("Excel 2007", None),
    ],
)
def test_format_details_name_eu_file_types(detail: str, code: str | None) -> None:
    assert file_type(detail) == (FILE_TYPE[code] if code else None)


def test_a_known_file_type_is_typed_as_media_type_or_extent() -> None:
    graph = export(POPULATION)
    media = graph.value(next(iter(distributions(graph, POPULATION).values())), DCTERMS.format)
    assert media == FILE_TYPE.JSON
    assert (media, RDF.type, DCTERMS.MediaTypeOrExtent) in graph


@pytest.mark.parametrize(
    ("detail", "path", "label"),
    [
        (
            "达梦数据库",
            "database/%E8%BE%BE%E6%A2%A6%E6%95%B0%E6%8D%AE%E5%BA%93",
            "数据库（达梦数据库）",
        ),
        ("", "database", "数据库"),
    ],
)
def test_other_formats_are_node_media_types_labelled_in_chinese(
    detail: str, path: str, label: str
) -> None:
    entry = make_entry(
        "e-1", "测试目录", format_category=FormatCategory.DATABASE, format_detail=detail
    )
    graph = export(entry)
    media = graph.value(next(iter(distributions(graph, entry).values())), DCTERMS.format)
    assert media == URIRef(f"{BASE}/vocab/format/{path}")
    assert (media, RDF.type, DCTERMS.MediaTypeOrExtent) in graph
    assert graph.value(media, SKOS.prefLabel) == Literal(label, lang="zh")


# ---------------------------------------------------------------------------
# Paging
# ---------------------------------------------------------------------------


def paging(page: Page) -> dict[str, object]:
    graph = build_graph(NODE, [ENTERPRISES], page)
    current = URIRef(page.url(page.number))
    assert (current, RDF.type, HYDRA.PartialCollectionView) in graph
    assert (current, RDF.type, HYDRA.PagedCollection) in graph
    links: dict[str, object] = {}
    for name in ("first", "last", "next", "previous"):
        target = graph.value(current, HYDRA[name])
        assert graph.value(current, HYDRA[f"{name}Page"]) == target, "deprecated twin differs"
        if target is not None:
            links[name] = str(target)
    for name in ("totalItems", "itemsPerPage"):
        count = graph.value(current, HYDRA[name])
        assert isinstance(count, Literal)
        links[name] = count.toPython()
    return links


def ttl_page(number: int) -> str:
    return f"{BASE}/api/v1/catalog/dcat.ttl?page={number}"


def test_the_first_of_three_pages_links_next_and_last_but_no_previous() -> None:
    assert paging(Page(number=1, size=2, total=5, url=page_url(BASE))) == {
        "first": ttl_page(1),
        "last": ttl_page(3),
        "next": ttl_page(2),
        "totalItems": 5,
        "itemsPerPage": 2,
    }


def test_a_middle_page_links_both_ways() -> None:
    links = paging(Page(number=2, size=2, total=5, url=page_url(BASE)))
    assert (links["previous"], links["next"]) == (ttl_page(1), ttl_page(3))


def test_the_last_page_links_previous_but_no_next() -> None:
    links = paging(Page(number=3, size=2, total=6, url=page_url(BASE)))
    assert links["previous"] == ttl_page(2)
    assert "next" not in links


def test_an_empty_catalog_is_one_page() -> None:
    assert paging(Page(number=1, size=20, total=0, url=page_url(BASE))) == {
        "first": ttl_page(1),
        "last": ttl_page(1),
        "totalItems": 0,
        "itemsPerPage": 20,
    }


def test_a_page_past_the_end_points_back_to_the_last_page() -> None:
    links = paging(Page(number=9, size=2, total=3, url=page_url(BASE)))
    assert links["previous"] == ttl_page(2)
    assert "next" not in links


def test_the_route_decides_the_page_addresses() -> None:
    links = paging(Page(number=1, size=1, total=2, url=page_url(BASE + "/", "jsonld")))
    assert links["next"] == f"{BASE}/api/v1/catalog/dcat.jsonld?page=2"


@pytest.mark.parametrize(("number", "size", "total"), [(0, 10, 5), (1, 0, 5), (1, 10, -1)])
def test_a_page_is_checked(number: int, size: int, total: int) -> None:
    with pytest.raises(ValueError, match="页码"):
        Page(number=number, size=size, total=total, url=page_url(BASE))


# ---------------------------------------------------------------------------
# Chinese text
# ---------------------------------------------------------------------------


@RDFLIB_JSONLD_PARSER
@pytest.mark.parametrize("fmt", ["turtle", "json-ld"])
def test_chinese_text_keeps_its_zh_tags_through_both_serialisations(fmt: Format) -> None:
    text = serialize(export(), fmt)
    assert "企业登记信息" in text  # written as characters, not escapes
    parsed = Graph().parse(data=text, format=fmt)
    assert parsed.value(dataset(ENTERPRISES), DCTERMS.title) == Literal("企业登记信息", lang="zh")
    titles = [o for o in parsed.objects(None, DCTERMS.title) if isinstance(o, Literal)]
    assert titles
    assert all(title.language == "zh" for title in titles)
