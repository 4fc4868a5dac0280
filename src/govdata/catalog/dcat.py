"""DCAT-AP export of the published catalog (O6).

Each published catalog entry becomes a ``dcat:Dataset`` in a ``dcat:Catalog`` that stands
for this node; one page of entries is exported at a time, with Hydra paging triples as
ckanext-dcat writes them so that CKAN and udata harvesters can walk the pages. The graph
conforms to the DCAT-AP 3.0.0 and 2.1.1 SHACL shapes validated with RDFS inference.

What is deliberately left out: where a data resource lives (tables, paths, endpoints are
internal to the government network), share and open conditions, and the names of
sensitive information items. Every distribution's ``dcat:accessURL`` is the entry's
page on this node, where access is applied for.

Conformance traps the shapes enforce: every vocabulary value carries its class in the
export itself (``dct:Frequency``, ``dct:RightsStatement``, ``dct:MediaTypeOrExtent``,
``dct:LinguisticSystem``, ``skos:Concept``, ``foaf:Document``), each distribution has at
most one ``dct:format``, and every dataset has a description.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal as TypingLiteral
from urllib.parse import quote

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from govdata.catalog.codes import CLASS_LABELS, parse_classification
from govdata.catalog.schemas import EntryOut, ProviderOut, VersionOut
from govdata.catalog.vocab import (
    FORMAT_CATEGORY_LABELS,
    GRADE_LABELS,
    RESOURCE_KIND_LABELS,
    SHARE_METHOD_LABELS,
    SHARE_TYPE_LABELS,
    FormatCategory,
    Grade,
    OpenType,
    ShareType,
    UpdateCycle,
)

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
FREQUENCY = Namespace(EU_AUTHORITY + "frequency/")
ACCESS_RIGHT = Namespace(EU_AUTHORITY + "access-right/")
FILE_TYPE = Namespace(EU_AUTHORITY + "file-type/")
LANGUAGE = Namespace(EU_AUTHORITY + "language/")

MAX_KEYWORDS = 10

FREQUENCIES = {
    UpdateCycle.REALTIME: FREQUENCY.CONT,
    UpdateCycle.DAILY: FREQUENCY.DAILY,
    UpdateCycle.WEEKLY: FREQUENCY.WEEKLY,
    UpdateCycle.MONTHLY: FREQUENCY.MONTHLY,
    UpdateCycle.QUARTERLY: FREQUENCY.QUARTERLY,
    UpdateCycle.SEMIANNUAL: FREQUENCY.ANNUAL_2,
    UpdateCycle.ANNUAL: FREQUENCY.ANNUAL,
    UpdateCycle.IRREGULAR: FREQUENCY.IRREG,
}

ACCESS_RIGHTS = {
    OpenType.UNCONDITIONAL: ACCESS_RIGHT.PUBLIC,
    OpenType.CONDITIONAL: ACCESS_RIGHT.RESTRICTED,
    OpenType.NONE: ACCESS_RIGHT.NON_PUBLIC,
}

# Codes of the EU file-type authority table that a format detail may name.
FILE_TYPES = frozenset(
    {
        "CSV", "TSV", "XLS", "XLSX", "ODS", "JSON", "XML", "PDF", "DOC", "DOCX", "ODT",
        "TXT", "HTML", "JPEG", "PNG", "TIFF", "GIF", "MP3", "MP4", "ZIP", "RAR", "GEOJSON",
        "SHP", "KML", "DBF", "MDB",
    }
)  # fmt: skip
FILE_TYPE_ALIASES = {"JPG": "JPEG", "TIF": "TIFF", "HTM": "HTML"}

# EU language authority codes of the BCP 47 tags a node may describe itself in.
EU_LANGUAGES = {"zh": "ZHO", "en": "ENG"}

JSONLD_PREFIXES = ("dcat", "dct", "foaf", "skos", "hydra", "xsd", "gd")

Format = TypingLiteral["turtle", "json-ld"]


@dataclass(frozen=True)
class CatalogDescription:
    """This node as a DCAT catalog: what it is called, who runs it and where it is."""

    title: str
    description: str
    publisher: str
    base_url: str
    language: str = "zh"
    modified: date | None = None

    def __post_init__(self) -> None:
        if self.language not in EU_LANGUAGES:
            raise ValueError(f"不支持的目录语言“{self.language}”")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError("目录地址须以 http:// 或 https:// 开头")

    @property
    def base(self) -> str:
        return self.base_url.rstrip("/")


@dataclass(frozen=True)
class Page:
    """Which page of the published catalog is exported; ``url(n)`` addresses page n."""

    number: int
    size: int
    total: int
    url: Callable[[int], str]

    def __post_init__(self) -> None:
        if self.number < 1 or self.size < 1 or self.total < 0:
            raise ValueError("页码和每页条数须为正数，总数不能为负")

    @property
    def last(self) -> int:
        return max(1, math.ceil(self.total / self.size))


def page_url(base_url: str, suffix: str = "ttl") -> Callable[[int], str]:
    """The page addresses of the catalog export route, ``/api/v1/catalog/dcat.<suffix>``."""
    base = base_url.rstrip("/")
    return lambda number: f"{base}/api/v1/catalog/dcat.{suffix}?page={number}"


def entry_iri(base_url: str, entry_id: str) -> URIRef:
    return URIRef(f"{base_url.rstrip('/')}/catalog/entries/{quote(entry_id, safe='')}")


def build_graph(description: CatalogDescription, entries: Sequence[EntryOut], page: Page) -> Graph:
    """The catalog with the published entries of one page, and the page's Hydra links."""
    builder = _Builder(description)
    catalog = builder.catalog()
    for entry in entries:
        if entry.published is not None:
            dataset = builder.dataset(entry, entry.published)
            builder.graph.add((catalog, DCAT.dataset, dataset))
    builder.paging(page)
    return builder.graph


def serialize(graph: Graph, fmt: Format) -> str:
    """Turtle, or JSON-LD compacted with the prefixes of the vocabularies used."""
    if fmt == "turtle":
        return graph.serialize(format="turtle")
    context = {prefix: str(ns) for prefix, ns in graph.namespaces() if prefix in JSONLD_PREFIXES}
    return graph.serialize(format="json-ld", context=context, auto_compact=True)


def file_type(detail: str) -> URIRef | None:
    """The EU file type a format detail such as ``xlsx`` or ``CSV、JSON`` names first, if any.

    A format category alone (电子表格, 接口, ...) never decides one file type.
    """
    for token in re.findall(r"[A-Za-z0-9_]+", detail):
        code = FILE_TYPE_ALIASES.get(token.upper(), token.upper())
        if code in FILE_TYPES:
            return FILE_TYPE[code]
    return None


class _Builder:
    def __init__(self, description: CatalogDescription) -> None:
        self.description = description
        self.base = description.base
        self.lang = description.language
        self.gd = Namespace(f"{self.base}/vocab#")
        graph = Graph()
        for prefix, namespace in (
            ("dcat", DCAT),
            ("dct", DCTERMS),
            ("foaf", FOAF),
            ("skos", SKOS),
            ("xsd", XSD),
            ("hydra", HYDRA),
            ("gd", self.gd),
            ("freq", FREQUENCY),
            ("access", ACCESS_RIGHT),
            ("filetype", FILE_TYPE),
            ("lang", LANGUAGE),
        ):
            graph.bind(prefix, namespace, replace=True)
        self.graph = graph

    def text(self, value: str) -> Literal:
        return Literal(value, lang=self.lang)

    def typed(self, node: URIRef, cls: URIRef) -> URIRef:
        self.graph.add((node, RDF.type, cls))
        return node

    def catalog(self) -> URIRef:
        d, g = self.description, self.graph
        catalog = self.typed(URIRef(f"{self.base}/catalog"), DCAT.Catalog)
        g.add((catalog, DCTERMS.title, self.text(d.title)))
        g.add((catalog, DCTERMS.description, self.text(d.description)))
        publisher = self.typed(URIRef(f"{self.base}/catalog#publisher"), FOAF.Agent)
        g.add((publisher, FOAF.name, self.text(d.publisher)))
        g.add((catalog, DCTERMS.publisher, publisher))
        homepage = self.typed(URIRef(f"{self.base}/"), FOAF.Document)
        g.add((catalog, FOAF.homepage, homepage))
        language = self.typed(LANGUAGE[EU_LANGUAGES[d.language]], DCTERMS.LinguisticSystem)
        g.add((catalog, DCTERMS.language, language))
        g.add((catalog, DCAT.themeTaxonomy, self.scheme("classification", "政务信息资源分类")))
        if d.modified is not None:
            g.add((catalog, DCTERMS.modified, Literal(d.modified)))
        return catalog

    def dataset(self, entry: EntryOut, version: VersionOut) -> URIRef:
        g = self.graph
        dataset = self.typed(entry_iri(self.base, entry.id), DCAT.Dataset)
        g.add((dataset, DCTERMS.identifier, Literal(version.resource_code)))
        g.add((dataset, DCTERMS.title, self.text(version.name)))
        g.add((dataset, DCTERMS.description, self.text(self.abstract(entry, version))))
        g.add((dataset, DCTERMS.publisher, self.agent(entry.provider)))
        if version.publish_date is not None:
            g.add((dataset, DCTERMS.issued, Literal(version.publish_date)))
        frequency = self.typed(FREQUENCIES[version.update_cycle], DCTERMS.Frequency)
        g.add((dataset, DCTERMS.accrualPeriodicity, frequency))
        rights = self.typed(ACCESS_RIGHTS[version.open_type], DCTERMS.RightsStatement)
        g.add((dataset, DCTERMS.accessRights, rights))
        g.add((dataset, DCAT.theme, self.classification(version.classification_code)))
        keywords = [item.name for item in version.items if not item.sensitive]
        for keyword in keywords[:MAX_KEYWORDS]:
            g.add((dataset, DCAT.keyword, self.text(keyword)))
        for code in version.related_codes:
            related = URIRef(f"{self.base}/catalog/resources/{quote(code)}")
            g.add((dataset, DCTERMS.relation, related))
        g.add((dataset, self.gd.shareType, self.share_type(version.share_type)))
        if version.grade is not None:
            g.add((dataset, self.gd.grade, self.grade(version.grade)))
        self.distributions(dataset, version)
        return dataset

    def abstract(self, entry: EntryOut, version: VersionOut) -> str:
        if version.abstract.strip():
            return version.abstract
        label = parse_classification(version.classification_code).label
        return f"“{version.name}”是{entry.provider.name}编目的政务信息资源（{label}）。"

    def agent(self, provider: ProviderOut) -> URIRef:
        agent = URIRef(f"{self.base}/organisations/{quote(provider.id, safe='')}")
        self.typed(agent, FOAF.Agent)
        self.graph.add((agent, FOAF.name, self.text(provider.name)))
        if provider.credit_code:
            self.graph.add((agent, DCTERMS.identifier, Literal(provider.credit_code)))
        return agent

    def distributions(self, dataset: URIRef, version: VersionOut) -> None:
        """One distribution per data resource, or per share method if none is registered."""
        titles = [f"{r.name}（{RESOURCE_KIND_LABELS[r.kind]}）" for r in version.resources] or [
            f"{SHARE_METHOD_LABELS[method]}共享" for method in version.share_methods
        ]
        media = self.media_type(version.format_category, version.format_detail)
        for number, title in enumerate(titles, start=1):
            distribution = self.typed(URIRef(f"{dataset}#distribution-{number}"), DCAT.Distribution)
            self.graph.add((dataset, DCAT.distribution, distribution))
            self.graph.add((distribution, DCAT.accessURL, dataset))
            self.graph.add((distribution, DCTERMS.title, self.text(title)))
            self.graph.add((distribution, DCTERMS.format, media))

    def media_type(self, category: FormatCategory, detail: str) -> URIRef:
        """An EU file type when the detail names one, else this node's format concept."""
        known = file_type(detail)
        if known is not None:
            return self.typed(known, DCTERMS.MediaTypeOrExtent)
        label = FORMAT_CATEGORY_LABELS[category]
        iri = f"{self.base}/vocab/format/{category.value}"
        if detail.strip():
            iri += "/" + quote(detail.strip(), safe="")
            label = f"{label}（{detail.strip()}）"
        media = self.typed(URIRef(iri), DCTERMS.MediaTypeOrExtent)
        self.graph.add((media, SKOS.prefLabel, self.text(label)))
        return media

    def scheme(self, name: str, title: str) -> URIRef:
        scheme = self.typed(URIRef(f"{self.base}/vocab/{name}"), SKOS.ConceptScheme)
        self.graph.add((scheme, DCTERMS.title, self.text(title)))
        return scheme

    def concept(self, scheme: URIRef, notation: str, label: str) -> URIRef:
        concept = self.typed(URIRef(f"{scheme}/{notation}"), SKOS.Concept)
        self.graph.add((concept, SKOS.prefLabel, self.text(label)))
        self.graph.add((concept, SKOS.notation, Literal(notation)))
        self.graph.add((concept, SKOS.inScheme, scheme))
        return concept

    def classification(self, code: str) -> URIRef:
        """The 类+项 concept of a classification code, narrower than its 类."""
        parsed = parse_classification(code)
        scheme = self.scheme("classification", "政务信息资源分类")
        top = self.concept(scheme, parsed.class_code, CLASS_LABELS[parsed.class_code])
        self.graph.add((top, SKOS.topConceptOf, scheme))
        item = self.concept(scheme, parsed.facet_key, parsed.label)
        self.graph.add((item, SKOS.broader, top))
        return item

    def share_type(self, share_type: ShareType) -> URIRef:
        scheme = self.scheme("share-type", "共享类型")
        return self.concept(scheme, share_type.value, SHARE_TYPE_LABELS[share_type])

    def grade(self, grade: Grade) -> URIRef:
        scheme = self.scheme("grade", "数据分级")
        return self.concept(scheme, grade.value, GRADE_LABELS[grade])

    def paging(self, page: Page) -> None:
        """Hydra paging on the current page, with the terms ckanext-dcat writes.

        The page is both a ``hydra:PartialCollectionView`` (first/last/next/previous,
        current Hydra) and a ``hydra:PagedCollection`` (firstPage/lastPage/nextPage/
        previousPage, deprecated but what older harvesters look for), and carries
        ``hydra:totalItems`` and ``hydra:itemsPerPage``. Links are IRIs, as Hydra ranges
        them.
        """
        g = self.graph
        current = URIRef(page.url(page.number))
        self.typed(current, HYDRA.PartialCollectionView)
        self.typed(current, HYDRA.PagedCollection)
        links = {"first": 1, "last": page.last}
        if page.number < page.last:
            links["next"] = page.number + 1
        if page.number > 1:
            links["previous"] = min(page.number - 1, page.last)
        for name, number in links.items():
            target = URIRef(page.url(number))
            g.add((current, HYDRA[name], target))
            g.add((current, HYDRA[f"{name}Page"], target))
        g.add((current, HYDRA.totalItems, Literal(page.total)))
        g.add((current, HYDRA.itemsPerPage, Literal(page.size)))
