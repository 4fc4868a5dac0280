"""What goes into the search index and what comes out of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

# Facets the catalog is browsed by. ``region`` counts by the provider's
# division at one level (province, city or county); ``classification`` by the
# 类+项 prefix of the classification code; ``department`` by provider id.
FacetName = Literal[
    "region", "department", "classification", "share_type", "open_type", "grade", "update_cycle"
]
FACET_NAMES: tuple[FacetName, ...] = (
    "region",
    "department",
    "classification",
    "share_type",
    "open_type",
    "grade",
    "update_cycle",
)
RegionLevel = Literal["province", "city", "county"]


@dataclass(frozen=True)
class SearchDocument:
    """One published entry as the index sees it."""

    entry_id: str
    resource_code: str
    name: str
    abstract: str
    item_names: tuple[str, ...]
    provider_id: str
    provider_name: str
    # The provider's divisions from the province down: (province, city, county)
    # codes, as many as apply (a provincial department has one).
    region_codes: tuple[str, ...]
    classification_code: str
    share_type: str
    open_type: str
    grade: str | None
    update_cycle: str
    publish_date: date | None


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    # Facet name -> accepted values (OR within a facet, AND across facets).
    # ``region`` values are division codes of any level.
    filters: dict[FacetName, tuple[str, ...]] = field(default_factory=dict)
    facets: tuple[FacetName, ...] = FACET_NAMES
    region_level: RegionLevel = "province"
    offset: int = 0
    limit: int = 20
    facet_size: int = 50


@dataclass(frozen=True)
class SearchHit:
    entry_id: str
    resource_code: str
    name: str
    provider_name: str
    score: float


@dataclass(frozen=True)
class FacetCount:
    value: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetCount]]
    # The words the query text was segmented into, for display and debugging.
    terms: list[str]
