"""Searching the published catalog through the action (C7): segmentation, facets, who sees what."""

from __future__ import annotations

import pytest

from govdata.actions import ActionRegistry, Context
from govdata.catalog.indexing import SearchIndexMissing
from govdata.db import Database
from govdata.errors import InvalidInput
from govdata.orgs.models import Organisation
from govdata.services import Services
from tests.catalog.conftest import Run, entry_data, publish
from tests.factories import anonymous


@pytest.fixture
def indexed(
    db: Database,
    search_services: Services,
    as_provider: Run,
    as_reviewer: Run,
    market: Organisation,
    system_id: str,
) -> dict[str, str]:
    """Three published entries of the market regulator, then the index synced from the
    database as the runtime does after each commit."""
    ids = {
        "license": publish(as_provider, as_reviewer, entry_data(market.id, system_id)),
        "food": publish(
            as_provider,
            as_reviewer,
            entry_data(
                market.id,
                system_id,
                code="307001/000002",
                name="食品生产许可证信息",
                abstract="食品生产企业取得的生产许可证及其变更、注销记录。",
                share_type="unconditional",
                share_conditions="",
                open_type="none",
                update_cycle="monthly",
            ),
        ),
        "penalty": publish(
            as_provider,
            as_reviewer,
            entry_data(
                market.id,
                system_id,
                code="208001/000003",
                name="行政处罚决定书信息",
                abstract="市场监管部门作出的行政处罚决定书公开信息。",
                items=[
                    {"name": "处罚决定书文号", "data_type": "C", "length": 64, "grade": "important"}
                ],
            ),
        ),
    }
    search_services.search.sync(db)
    return ids


def test_a_chinese_word_inside_a_name_finds_the_entry(
    indexed: dict[str, str], as_reviewer: Run
) -> None:
    result = as_reviewer("catalog_search", {"q": "执照"})
    assert [hit.id for hit in result.hits] == [indexed["license"]]
    assert "执照" in result.terms


def test_every_word_of_the_query_must_match(indexed: dict[str, str], as_reviewer: Run) -> None:
    assert as_reviewer("catalog_search", {"q": "食品 许可证"}).total == 1
    assert as_reviewer("catalog_search", {"q": "食品 执照"}).total == 0


def test_information_item_names_are_searchable(indexed: dict[str, str], as_reviewer: Run) -> None:
    result = as_reviewer("catalog_search", {"q": "处罚决定书文号"})
    assert [hit.id for hit in result.hits] == [indexed["penalty"]]


def test_facets_count_the_matches_with_chinese_labels(
    indexed: dict[str, str], as_reviewer: Run
) -> None:
    result = as_reviewer("catalog_search", {})
    assert result.total == 3
    share = {f.value: (f.label, f.count) for f in result.facets["share_type"]}
    assert share == {"conditional": ("有条件共享", 2), "unconditional": ("无条件共享", 1)}
    classes = {f.value: f.label for f in result.facets["classification"]}
    assert classes["102"] == "基础信息资源/法人单位"
    grades = {f.value: f.count for f in result.facets["grade"]}
    assert grades == {"general_3": 2, "important": 1}


def test_filters_narrow_the_results_and_mark_the_selected_facet(
    indexed: dict[str, str], as_reviewer: Run
) -> None:
    result = as_reviewer("catalog_search", {"share_type": "unconditional"})
    assert [hit.id for hit in result.hits] == [indexed["food"]]
    selected = [f.value for f in result.facets["share_type"] if f.selected]
    assert selected == ["unconditional"]


def test_the_region_facet_counts_below_this_node(indexed: dict[str, str], as_reviewer: Run) -> None:
    result = as_reviewer("catalog_search", {"region_level": "province"})
    assert [(f.value, f.label, f.count) for f in result.facets["region"]] == [
        ("150000", "内蒙古自治区", 3)
    ]
    assert as_reviewer("catalog_search", {"region": "150000"}).total == 3
    assert as_reviewer("catalog_search", {"region": "110000"}).total == 0


def test_unknown_filter_values_are_refused(indexed: dict[str, str], as_reviewer: Run) -> None:
    with pytest.raises(InvalidInput) as caught:
        as_reviewer("catalog_search", {"grade": "secret", "region": "15"})
    assert set(caught.value.fields) == {"grade", "region"}


def test_callers_who_are_not_signed_in_find_only_open_entries_of_general_data(
    indexed: dict[str, str], registry: ActionRegistry, operator_ctx: Context
) -> None:
    """The penalty entry is marked open but graded important: not listed to the public."""
    result = registry.run("catalog_search", anonymous(operator_ctx), {})
    assert result.open_only
    assert {hit.id for hit in result.hits} == {indexed["license"]}
    asked = registry.run("catalog_search", anonymous(operator_ctx), {"open_type": "none"})
    assert asked.total == 0


def test_a_revision_in_progress_leaves_the_published_version_searchable(
    indexed: dict[str, str],
    as_provider: Run,
    as_reviewer: Run,
    db: Database,
    search_services: Services,
) -> None:
    as_provider("entry_revise", {"id": indexed["license"]})
    search_services.search.sync(db)
    assert as_reviewer("catalog_search", {"q": "营业执照"}).total == 1


def test_search_without_an_index_says_how_to_build_it(as_reviewer: Run) -> None:
    with pytest.raises(SearchIndexMissing) as caught:
        as_reviewer("catalog_search", {"q": "执照"})
    assert caught.value.http_status == 503
    assert "govdata catalog reindex" in caught.value.message


def test_the_index_is_rebuilt_from_the_database(
    indexed: dict[str, str], registry: ActionRegistry, operator_ctx: Context, as_reviewer: Run
) -> None:
    out = registry.run("catalog_reindex", operator_ctx, {})
    assert out.documents == 3
    assert as_reviewer("catalog_search", {"q": "许可证"}).total == 1
