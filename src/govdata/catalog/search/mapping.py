"""How catalog documents and queries map onto tantivy.

The schema, the indexed form of a :class:`SearchDocument`, the query for a
:class:`SearchQuery`, the facet counts and the hits. Text fields hold words
segmented in Python (:mod:`.tokenize`), joined by spaces and split again by
tantivy's whitespace tokenizer; facets are raw fast fields counted by terms
aggregations.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import cast

import tantivy

from govdata.catalog.search.model import (
    FacetCount,
    FacetName,
    RegionLevel,
    SearchDocument,
    SearchHit,
    SearchQuery,
)
from govdata.catalog.search.tokenize import index_words, joined

_WORDS = "words"  # the whitespace tokenizer of the segmented text fields

# Text fields searched by every query word, with their boosts.
_TEXT_FIELDS: tuple[tuple[str, float], ...] = (
    ("name", 3.0),
    ("provider_name", 1.5),
    ("items", 1.0),
    ("abstract", 1.0),
)
_RESOURCE_CODE_BOOST = 10.0
_REGION_LEVELS: tuple[RegionLevel, ...] = ("province", "city", "county")
_FACET_FIELDS: dict[FacetName, str] = {
    "department": "department",
    "classification": "classification",
    "share_type": "share_type",
    "open_type": "open_type",
    "grade": "grade",
    "update_cycle": "update_cycle",
}
# Stored in a facet field that has no value (a provincial department's city, an
# ungraded entry): every facet column is then dense, which tantivy counts several
# times faster than a sparse one. Never returned as a facet value.
_NONE = "-"
# Candidates each index segment contributes to a terms aggregation. Counts are
# exact while no segment holds more distinct values of a facet than this; only
# ``department`` can, and then a rarely used department may be counted short,
# as in any sharded terms aggregation. Counting every department exactly costs
# several times more on a national catalog.
_FACET_SEGMENT_SIZE = 1_000


def region_level(code: str) -> RegionLevel:
    """The level of a GB/T 2260 division code: ``xx0000`` province, ``xxxx00`` city."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def _region_field(level: RegionLevel) -> str:
    return f"region_{level}"


def schema() -> tantivy.Schema:
    """Stored: entry id, resource code, name and provider (for hits). Indexed: the
    segmented text fields, and one raw fast field per facet (one per region level)."""
    builder = tantivy.SchemaBuilder()
    for raw in ("entry_id", "resource_code"):
        builder.add_text_field(raw, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field("display", stored=True)
    for text, _boost in _TEXT_FIELDS:
        builder.add_text_field(text, tokenizer_name=_WORDS, index_option="freq")
    facet_fields = [*map(_region_field, _REGION_LEVELS), *_FACET_FIELDS.values()]
    for facet in facet_fields:
        builder.add_text_field(facet, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("classification_path", tokenizer_name="raw", index_option="basic")
    return builder.build()


def prepare(index: tantivy.Index) -> tantivy.Index:
    # Tokenizers are not stored with the index: every opened index needs it.
    words = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
    index.register_tokenizer(_WORDS, words.filter(tantivy.Filter.remove_long(120)).build())
    index.config_reader("manual")
    return index


def _classification_prefixes(code: str) -> list[str]:
    """类+项, then each longer level present (目, 细目): a filter may name any of them."""
    return [code[:length] for length in (3, 6, 9) if len(code) >= length]


def _segmented(text: str) -> str:
    return joined(index_words(text))


# Provider and item names repeat across thousands of entries (姓名, 统一社会信用代码,
# the same bureau): segmenting each distinct one once makes a rebuild much faster.
_segmented_repeating = functools.lru_cache(maxsize=65_536)(_segmented)


def document(doc: SearchDocument) -> tantivy.Document:
    """The indexed form of one entry."""
    out = tantivy.Document()
    out.add_text("entry_id", doc.entry_id)
    out.add_text("resource_code", doc.resource_code)
    display = json.dumps([doc.name, doc.provider_name], ensure_ascii=False)
    out.add_bytes("display", display.encode())
    out.add_text("name", _segmented(doc.name))
    out.add_text("provider_name", _segmented_repeating(doc.provider_name))
    out.add_text("items", " ".join(map(_segmented_repeating, doc.item_names)))
    out.add_text("abstract", _segmented(doc.abstract))
    regions = (*doc.region_codes, _NONE, _NONE, _NONE)
    for level, code in zip(_REGION_LEVELS, regions, strict=False):
        out.add_text(_region_field(level), code or _NONE)
    for prefix in _classification_prefixes(doc.classification_code):
        out.add_text("classification_path", prefix)
    facets = {
        "department": doc.provider_id,
        "classification": doc.classification_code[:3],
        "share_type": doc.share_type,
        "open_type": doc.open_type,
        "grade": doc.grade,
        "update_cycle": doc.update_cycle,
    }
    for field, value in facets.items():
        out.add_text(field, value or _NONE)
    return out


def facet_groups(facets: Sequence[FacetName], groups: int) -> list[tuple[FacetName, ...]]:
    """The facets dealt out to ``groups`` aggregations, one per counting thread."""
    dealt = [tuple(facets[start::groups]) for start in range(groups)]
    return [group for group in dealt if group]


def matcher(
    schema: tantivy.Schema,
    words: Sequence[str],
    filters: dict[FacetName, tuple[str, ...]],
) -> tantivy.Query:
    """Every word in some text field (or the resource code), and every filter."""
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for word in words:
        alternatives = [
            tantivy.Query.boost_query(
                tantivy.Query.term_query(schema, field, word, index_option="freq"), boost
            )
            for field, boost in _TEXT_FIELDS
        ]
        if "/" in word:  # only a resource code has a slash
            code = tantivy.Query.term_query(schema, "resource_code", word, index_option="basic")
            alternatives.append(tantivy.Query.boost_query(code, _RESOURCE_CODE_BOOST))
        either = [(tantivy.Occur.Should, alternative) for alternative in alternatives]
        clauses.append((tantivy.Occur.Must, tantivy.Query.boolean_query(either)))
    for facet, values in filters.items():
        if values:
            # Filters narrow the result without changing its ranking.
            accepted = tantivy.Query.const_score_query(_filter(schema, facet, values), 0.0)
            clauses.append((tantivy.Occur.Must, accepted))
    if not clauses:
        return tantivy.Query.all_query()
    if len(clauses) == 1:
        return clauses[0][1]  # unwrapped, tantivy scores it noticeably faster
    return tantivy.Query.boolean_query(clauses)


def _filter(schema: tantivy.Schema, facet: FacetName, values: tuple[str, ...]) -> tantivy.Query:
    if facet == "region":
        by_level: dict[RegionLevel, list[str]] = {}
        for code in values:
            by_level.setdefault(region_level(code), []).append(code)
        levels = [
            (tantivy.Occur.Should, _any_of(schema, _region_field(level), codes))
            for level, codes in by_level.items()
        ]
        return tantivy.Query.boolean_query(levels)
    if facet == "classification":
        return _any_of(schema, "classification_path", values)
    if facet not in _FACET_FIELDS:
        raise ValueError(f"未知的分面：{facet}")
    return _any_of(schema, _FACET_FIELDS[facet], values)


def _any_of(schema: tantivy.Schema, field: str, values: Sequence[str]) -> tantivy.Query:
    if len(values) == 1:
        # A term query intersects by skipping; a term set first collects every
        # matching document (a third slower on a common value).
        return tantivy.Query.term_query(schema, field, values[0], index_option="basic")
    return tantivy.Query.term_set_query(schema, field, list(values))


def _facet_field(facet: FacetName, level: RegionLevel) -> str:
    if facet == "region":
        return _region_field(level)
    if facet not in _FACET_FIELDS:
        raise ValueError(f"未知的分面：{facet}")
    return _FACET_FIELDS[facet]


def facet_counts(
    searcher: tantivy.Searcher,
    matcher: tantivy.Query,
    query: SearchQuery,
    facets: tuple[FacetName, ...],
) -> dict[str, list[FacetCount]]:
    """The largest ``query.facet_size`` values of each of ``facets`` among the matches."""
    if query.facet_size <= 0:
        return {facet: [] for facet in facets}
    aggregations = {
        facet: {
            "terms": {
                "field": _facet_field(facet, query.region_level),
                # One more, in case the "no value" bucket is among them.
                "size": query.facet_size + 1,
                "segment_size": max(_FACET_SEGMENT_SIZE, 10 * (query.facet_size + 1)),
            }
        }
        for facet in facets
    }
    counted = searcher.aggregate(matcher, aggregations)
    counts: dict[str, list[FacetCount]] = {}
    for facet in facets:
        buckets = counted.get(facet, {}).get("buckets", [])
        counts[facet] = [
            FacetCount(value=str(bucket["key"]), count=int(bucket["doc_count"]))
            for bucket in buckets
            if bucket["key"] != _NONE
        ][: query.facet_size]
    return counts


def hit(searcher: tantivy.Searcher, score: float, address: tantivy.DocAddress) -> SearchHit:
    """A hit from the stored fields of a matched document."""
    stored = searcher.doc(address)
    name, provider_name = json.loads(cast(bytes, stored.get_first("display")))
    return SearchHit(
        entry_id=str(stored.get_first("entry_id")),
        resource_code=str(stored.get_first("resource_code")),
        name=name,
        provider_name=provider_name,
        score=float(score),
    )
