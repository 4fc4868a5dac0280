"""The catalog search index: Chinese words, facets, filters, paging and generations."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import tantivy

from govdata.catalog.search.index import CatalogIndex, IndexBusy, IndexMissing
from govdata.catalog.search.mapping import region_level
from govdata.catalog.search.model import FacetCount, SearchDocument, SearchHit, SearchQuery
from govdata.catalog.search.tokenize import index_words, query_words, search_mode_words

HANGZHOU_XIHU = ("330000", "330100", "330106")
HANGZHOU_BINJIANG = ("330000", "330100", "330108")
ZHEJIANG = ("330000",)
SHENZHEN = ("440000", "440300")
KARAMAY = ("650000", "650200")


def entry(entry_id: str, name: str, **fields: object) -> SearchDocument:
    document = SearchDocument(
        entry_id=entry_id,
        resource_code=f"102001/{int(entry_id.removeprefix('e')):06d}",
        name=name,
        abstract="",
        item_names=(),
        provider_id="org-xihu-market",
        provider_name="杭州市西湖区市场监督管理局",
        region_codes=HANGZHOU_XIHU,
        classification_code="102001",
        share_type="unconditional",
        open_type="none",
        grade="general_1",
        update_cycle="daily",
        publish_date=date(2026, 1, 5),
    )
    return replace(document, **fields)  # type: ignore[arg-type]


CATALOG = (
    entry(
        "e1",
        "企业营业执照登记信息",
        abstract="登记机关核发营业执照的记录。",
        item_names=("统一社会信用代码", "企业名称", "法定代表人"),
        grade="general_2",
    ),
    entry(
        "e2",
        "居民身份证信息",
        item_names=("姓名", "公民身份号码"),
        provider_id="org-zj-police",
        provider_name="浙江省公安厅",
        region_codes=ZHEJIANG,
        classification_code="101001001",
        resource_code="101001001/000001",
        share_type="conditional",
        grade="important",
        update_cycle="realtime",
    ),
    entry(
        "e3",
        "社会保险参保信息",
        item_names=("姓名", "险种类型", "参保日期"),
        provider_id="org-karamay-hrss",
        provider_name="克拉玛依市人力资源和社会保障局",
        region_codes=KARAMAY,
        classification_code="203002",
        share_type="conditional",
        open_type="conditional",
        grade=None,
        update_cycle="monthly",
    ),
    entry(
        "e4",
        "不动产登记信息",
        abstract="包括权利人、坐落和不动产单元号，可用于核验企业营业执照住所。",
        provider_id="org-binjiang-land",
        provider_name="杭州市滨江区自然资源局",
        region_codes=HANGZHOU_BINJIANG,
        classification_code="103001",
        open_type="unconditional",
        update_cycle="monthly",
    ),
    entry(
        "e5",
        "企业年度报告信息",
        item_names=("统一社会信用代码", "企业名称", "资产总额"),
        provider_id="org-shenzhen-market",
        provider_name="深圳市市场监督管理局",
        region_codes=SHENZHEN,
        classification_code="102002",
        grade="general_2",
    ),
)


def ids(hits: list[SearchHit]) -> set[str]:
    return {hit.entry_id for hit in hits}


@pytest.fixture
def index(tmp_path: Path) -> Iterator[CatalogIndex]:
    catalog_index = CatalogIndex(tmp_path / "search")
    catalog_index.rebuild(CATALOG)
    yield catalog_index
    catalog_index.close()


def found(index: CatalogIndex, text: str = "", **query: object) -> set[str]:
    return ids(index.search(SearchQuery(text=text, **query)).hits)  # type: ignore[arg-type]


# ---- segmentation ------------------------------------------------------------


def test_index_words_contain_the_words_inside_a_longer_word() -> None:
    words = index_words("企业营业执照登记信息")
    assert {"企业", "营业执照", "营业", "执照", "登记", "信息"} <= set(words)


def test_index_words_contain_every_word_of_jiebas_search_mode() -> None:
    text = "中华人民共和国居民身份证申领登记信息"
    assert set(search_mode_words(text)) <= set(index_words(text))


def test_index_words_contain_a_word_that_straddles_the_precise_segmentation() -> None:
    assert "社会保障" in index_words("人力资源和社会保障局")
    assert "克拉玛依" in index_words("克拉玛依市")


def test_index_words_are_words_not_single_character_ngrams() -> None:
    words = index_words("营业执照")
    assert not any(len(word) == 1 for word in words)


def test_index_words_keep_single_character_words_of_the_precise_segmentation() -> None:
    assert "人" in index_words("法定代表人")


def test_words_drop_punctuation_and_whitespace_and_lower_case_latin() -> None:
    assert index_words("GIS 数据，（API）") == ["gis", "数据", "api"]
    assert query_words("GIS，API") == ["gis", "api"]


def test_query_words_are_the_precise_segmentation() -> None:
    assert query_words("企业营业执照登记信息") == ["企业", "营业执照", "登记", "信息"]


def test_query_words_drop_function_words_and_repeats() -> None:
    assert query_words("企业的登记信息和企业") == ["企业", "登记", "信息"]


def test_a_resource_code_in_a_query_stays_whole() -> None:
    assert query_words("101001/000001 身份证") == ["101001/000001", "身份证"]


# ---- matching ---------------------------------------------------------------


def test_a_word_inside_a_name_finds_the_entry(index: CatalogIndex) -> None:
    assert found(index, "营业执照") == {"e1", "e4"}
    assert found(index, "执照") == {"e1", "e4"}
    assert found(index, "身份证") == {"e2"}


def test_a_word_straddling_the_providers_segmentation_finds_it(index: CatalogIndex) -> None:
    assert found(index, "社会保障") == {"e3"}
    assert found(index, "克拉玛依") == {"e3"}


def test_every_query_word_must_match(index: CatalogIndex) -> None:
    assert found(index, "企业 登记") == {"e1", "e4"}
    assert found(index, "企业登记信息") == {"e1", "e4"}
    assert found(index, "营业执照 深圳") == set()


def test_words_match_in_abstract_items_and_provider_name(index: CatalogIndex) -> None:
    assert found(index, "坐落") == {"e4"}
    assert found(index, "资产总额") == {"e5"}
    assert found(index, "公安厅") == {"e2"}


def test_one_query_may_combine_words_from_different_fields(index: CatalogIndex) -> None:
    assert found(index, "年度报告 深圳 资产") == {"e5"}


def test_latin_text_matches_whatever_its_case(tmp_path: Path) -> None:
    catalog_index = CatalogIndex(tmp_path)
    catalog_index.rebuild([entry("e1", "GIS地图服务")])
    assert found(catalog_index, "gis") == {"e1"}
    assert found(catalog_index, "Gis 地图") == {"e1"}


def test_a_resource_code_matches_exactly(index: CatalogIndex) -> None:
    assert found(index, "101001001/000001") == {"e2"}
    assert found(index, "101001001/000002") == set()


def test_a_match_in_the_name_ranks_above_a_match_in_the_abstract(index: CatalogIndex) -> None:
    hits = index.search(SearchQuery(text="营业执照")).hits
    assert [hit.entry_id for hit in hits] == ["e1", "e4"]
    assert hits[0].score > hits[1].score


def test_a_hit_carries_the_entrys_code_name_and_provider(index: CatalogIndex) -> None:
    (hit,) = index.search(SearchQuery(text="身份证")).hits
    assert (hit.entry_id, hit.resource_code, hit.name, hit.provider_name) == (
        "e2",
        "101001001/000001",
        "居民身份证信息",
        "浙江省公安厅",
    )


def test_empty_text_matches_every_entry(index: CatalogIndex) -> None:
    result = index.search(SearchQuery())
    assert result.total == 5
    assert result.terms == []


def test_the_result_names_the_query_words(index: CatalogIndex) -> None:
    assert index.search(SearchQuery(text="企业的登记信息")).terms == ["企业", "登记", "信息"]


# ---- filters ----------------------------------------------------------------


def test_region_level_is_read_from_the_division_code() -> None:
    assert [region_level(code) for code in ("330000", "330100", "330106")] == [
        "province",
        "city",
        "county",
    ]


def test_a_province_filter_matches_entries_of_all_its_divisions(index: CatalogIndex) -> None:
    assert found(index, filters={"region": ("330000",)}) == {"e1", "e2", "e4"}


def test_a_city_filter_matches_its_city_and_counties(index: CatalogIndex) -> None:
    assert found(index, filters={"region": ("330100",)}) == {"e1", "e4"}


def test_a_county_filter_matches_that_county_only(index: CatalogIndex) -> None:
    assert found(index, filters={"region": ("330108",)}) == {"e4"}


def test_region_values_of_different_levels_are_alternatives(index: CatalogIndex) -> None:
    assert found(index, filters={"region": ("330106", "650000")}) == {"e1", "e3"}


def test_a_classification_filter_matches_any_level_of_the_code(index: CatalogIndex) -> None:
    assert found(index, filters={"classification": ("102",)}) == {"e1", "e5"}
    assert found(index, filters={"classification": ("101001",)}) == {"e2"}
    assert found(index, filters={"classification": ("101001001",)}) == {"e2"}


def test_the_department_filter_matches_the_provider(index: CatalogIndex) -> None:
    assert found(index, filters={"department": ("org-zj-police", "org-shenzhen-market")}) == {
        "e2",
        "e5",
    }


def test_the_share_open_grade_and_cycle_filters_match_their_values(index: CatalogIndex) -> None:
    assert found(index, filters={"share_type": ("conditional",)}) == {"e2", "e3"}
    assert found(index, filters={"open_type": ("unconditional", "conditional")}) == {"e3", "e4"}
    assert found(index, filters={"grade": ("important",)}) == {"e2"}
    assert found(index, filters={"update_cycle": ("monthly",)}) == {"e3", "e4"}


def test_filters_on_different_facets_must_all_hold(index: CatalogIndex) -> None:
    filters = {"region": ("330000",), "share_type": ("unconditional",), "grade": ("general_2",)}
    assert found(index, filters=filters) == {"e1"}


def test_filters_combine_with_words(index: CatalogIndex) -> None:
    assert found(index, "营业执照", filters={"classification": ("103",)}) == {"e4"}


def test_an_empty_filter_does_not_restrict(index: CatalogIndex) -> None:
    assert len(found(index, filters={"grade": ()})) == 5


def test_filters_do_not_change_the_ranking(index: CatalogIndex) -> None:
    plain = index.search(SearchQuery(text="营业执照")).hits
    filtered = index.search(SearchQuery(text="营业执照", filters={"region": ("330000",)})).hits
    assert [hit.score for hit in filtered] == [hit.score for hit in plain]


# ---- facets -----------------------------------------------------------------


def counts(index: CatalogIndex, facet: str, **query: object) -> dict[str, int]:
    result = index.search(SearchQuery(**query))  # type: ignore[arg-type]
    return {bucket.value: bucket.count for bucket in result.facets[facet]}


def test_the_region_facet_counts_provinces_by_default(index: CatalogIndex) -> None:
    assert counts(index, "region") == {"330000": 3, "440000": 1, "650000": 1}


def test_the_region_facet_counts_at_the_requested_level(index: CatalogIndex) -> None:
    assert counts(index, "region", region_level="city") == {"330100": 2, "440300": 1, "650200": 1}
    assert counts(index, "region", region_level="county") == {"330106": 1, "330108": 1}


def test_the_classification_facet_counts_class_and_item(index: CatalogIndex) -> None:
    assert counts(index, "classification") == {"102": 2, "101": 1, "203": 1, "103": 1}


def test_the_department_facet_counts_providers(index: CatalogIndex) -> None:
    assert counts(index, "department")["org-xihu-market"] == 1
    assert sum(counts(index, "department").values()) == 5


def test_the_vocabulary_facets_count_their_values(index: CatalogIndex) -> None:
    assert counts(index, "share_type") == {"unconditional": 3, "conditional": 2}
    assert counts(index, "open_type") == {"none": 3, "conditional": 1, "unconditional": 1}
    assert counts(index, "update_cycle") == {"daily": 2, "monthly": 2, "realtime": 1}


def test_an_entry_without_a_grade_is_not_counted_in_the_grade_facet(index: CatalogIndex) -> None:
    assert counts(index, "grade") == {"general_2": 2, "general_1": 1, "important": 1}


def test_facets_count_the_matching_entries_only(index: CatalogIndex) -> None:
    assert counts(index, "region", text="企业") == {"330000": 2, "440000": 1}
    assert counts(index, "share_type", filters={"region": ("330100",)}) == {"unconditional": 2}


def test_buckets_come_largest_first_and_at_most_facet_size(index: CatalogIndex) -> None:
    result = index.search(SearchQuery(facet_size=1))
    assert result.facets["region"] == [FacetCount("330000", 3)]


def test_an_unknown_facet_is_refused(index: CatalogIndex) -> None:
    with pytest.raises(ValueError, match="未知的分面"):
        index.search(SearchQuery(facets=("colour",)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="未知的分面"):
        index.search(SearchQuery(filters={"colour": ("red",)}))  # type: ignore[dict-item]


def test_an_entry_of_a_national_provider_has_no_region(tmp_path: Path) -> None:
    catalog_index = CatalogIndex(tmp_path)
    catalog_index.rebuild([entry("e1", "全国企业登记信息", region_codes=()), CATALOG[1]])
    assert counts(catalog_index, "region") == {"330000": 1}
    assert found(catalog_index, filters={"region": ("330000",)}) == {"e2"}


def test_only_the_requested_facets_are_counted(index: CatalogIndex) -> None:
    result = index.search(SearchQuery(facets=("grade",)))
    assert set(result.facets) == {"grade"}


# ---- paging -----------------------------------------------------------------


def test_pages_follow_the_ranking_and_the_total_counts_every_match(index: CatalogIndex) -> None:
    everything = [hit.entry_id for hit in index.search(SearchQuery(limit=10)).hits]
    first = index.search(SearchQuery(limit=2))
    second = index.search(SearchQuery(offset=2, limit=2))
    last = index.search(SearchQuery(offset=4, limit=2))
    paged = [hit.entry_id for page in (first, second, last) for hit in page.hits]
    assert paged == everything
    assert [first.total, second.total, last.total] == [5, 5, 5]
    assert len(last.hits) == 1


def test_a_page_past_the_end_is_empty_but_keeps_the_total(index: CatalogIndex) -> None:
    result = index.search(SearchQuery(text="企业", offset=10))
    assert (result.total, result.hits) == (3, [])


def test_a_zero_limit_returns_only_the_total_and_facets(index: CatalogIndex) -> None:
    result = index.search(SearchQuery(limit=0))
    assert (result.total, result.hits) == (5, [])
    assert result.facets["region"]


# ---- incremental updates ------------------------------------------------------


def test_upsert_replaces_the_document_with_the_same_entry_id(index: CatalogIndex) -> None:
    index.upsert([replace(CATALOG[0], name="企业名称变更信息", abstract="")])
    assert found(index, "营业执照") == {"e4"}
    assert found(index, "名称变更") == {"e1"}
    assert index.document_count() == 5


def test_upsert_adds_a_new_document(index: CatalogIndex) -> None:
    index.upsert([entry("e6", "食品经营许可信息")])
    assert found(index, "食品") == {"e6"}
    assert index.document_count() == 6


def test_delete_removes_documents_by_entry_id(index: CatalogIndex) -> None:
    index.delete(["e1", "no-such-entry"])
    assert found(index, "营业执照") == {"e4"}
    assert index.document_count() == 4


def test_another_instance_sees_an_update_on_its_next_search(
    index: CatalogIndex, tmp_path: Path
) -> None:
    reader = CatalogIndex(tmp_path / "search")
    assert found(reader, "食品") == set()
    index.upsert([entry("e6", "食品经营许可信息")])
    assert found(reader, "食品") == {"e6"}
    reader.close()


def test_a_writer_in_another_process_makes_updates_fail_as_busy(
    index: CatalogIndex, tmp_path: Path
) -> None:
    with (tmp_path / "search" / "writer.lock").open("ab") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(IndexBusy, match="另一个进程正在写入"):
            index.upsert([entry("e6", "食品经营许可信息")])
        with pytest.raises(IndexBusy):
            index.rebuild(CATALOG)


def test_a_tantivy_writer_holding_the_generation_makes_updates_fail_as_busy(
    index: CatalogIndex, tmp_path: Path
) -> None:
    (generation,) = (tmp_path / "search" / "generations").iterdir()
    writer = tantivy.Index.open(str(generation)).writer(heap_size=15_000_000, num_threads=1)
    try:
        with pytest.raises(IndexBusy):
            index.delete(["e1"])
    finally:
        writer.wait_merging_threads()
    index.delete(["e1"])
    assert index.document_count() == 4


# ---- generations ----------------------------------------------------------------


def test_a_rebuild_reports_what_it_built(tmp_path: Path) -> None:
    stats = CatalogIndex(tmp_path).rebuild(CATALOG)
    assert stats.documents == 5
    assert stats.directory.parent == tmp_path / "generations"
    assert stats.size_bytes > 0
    assert stats.seconds >= 0


def test_readers_see_the_old_generation_until_the_new_one_is_swapped_in(
    index: CatalogIndex, tmp_path: Path
) -> None:
    reader = CatalogIndex(tmp_path / "search")
    during: list[set[str]] = []

    def progress(done: int) -> None:
        during.append(found(reader, "营业执照"))

    CatalogIndex(tmp_path / "search").rebuild([entry("e9", "营业执照变更信息")], progress=progress)
    assert during == [{"e1", "e4"}]
    assert found(reader, "营业执照") == {"e9"}
    assert found(CatalogIndex(tmp_path / "search"), "营业执照") == {"e9"}
    reader.close()


def test_a_rebuild_removes_old_generations_that_no_reader_holds(
    index: CatalogIndex, tmp_path: Path
) -> None:
    generations = tmp_path / "search" / "generations"
    reader = CatalogIndex(tmp_path / "search")
    reader.document_count()
    index.rebuild(CATALOG)
    assert len(list(generations.iterdir())) == 2  # the reader still holds the first
    reader.document_count()  # moves on, letting the first go
    assert len(list(generations.iterdir())) == 1
    reader.close()


def test_a_generation_newer_than_the_live_one_is_never_collected(
    index: CatalogIndex, tmp_path: Path
) -> None:
    being_built = tmp_path / "search" / "generations" / "99991231T000000000000Z-1"
    being_built.mkdir()  # as if another process were building it right now
    index.rebuild(CATALOG)
    assert being_built.is_dir()


def test_a_failed_rebuild_keeps_the_live_generation(index: CatalogIndex, tmp_path: Path) -> None:
    def broken() -> Iterator[SearchDocument]:
        yield entry("e9", "半途而废")
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        index.rebuild(broken())
    assert index.document_count() == 5
    assert len(list((tmp_path / "search" / "generations").iterdir())) == 1


def test_a_missing_index_says_how_to_build_it(tmp_path: Path) -> None:
    catalog_index = CatalogIndex(tmp_path / "nothing-here")
    assert not catalog_index.exists()
    with pytest.raises(IndexMissing, match="govdata catalog reindex"):
        catalog_index.search(SearchQuery(text="营业执照"))
    with pytest.raises(IndexMissing):
        catalog_index.upsert([entry("e1", "企业登记信息")])


def test_an_index_exists_once_built(index: CatalogIndex) -> None:
    assert index.exists()
    assert index.document_count() == 5
