"""The lineage graph around a source and a library (G5)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from govdata.actions import Context
from govdata.lineage.layout import BOX_WIDTH, layout
from tests.aggregation.conftest import (
    CLEAN_ROWS,
    POPULATION_HEADER,
    Run,
    population_columns,
    write_csv,
)
from tests.catalog.conftest import region_department


def _loaded_source_in_a_library(
    as_provider: Run,
    as_reviewer: Run,
    entry_id: str,
    inbox: Path,
    run_now: Callable[..., Any],
    ctx: Context,
) -> tuple[Any, Any]:
    write_csv(inbox, "people.csv", [POPULATION_HEADER.replace(",address,", ",zz,"), *CLEAN_ROWS])
    source = as_provider(
        "source_register",
        {
            "entry_id": entry_id,
            "name": "户籍人口",
            "kind": "csv",
            "location": "people.csv",
            "columns": population_columns(address="zz"),
        },
    )
    assert run_now(source.id).status == "succeeded"
    region = region_department(ctx.session, "政务服务与数据管理局")
    library = as_reviewer(
        "library_create",
        {
            "organisation_id": region.id,
            "kind": "base",
            "code": "population",
            "name": "人口基础库",
            "standard": "population",
        },
    )
    as_reviewer("library_add_member", {"library_id": library.id, "source_id": source.id})
    as_reviewer("library_build", {"id": library.id})
    ctx.session.commit()
    return source, library


def test_a_sources_graph_runs_from_its_file_through_its_load_to_its_table_and_library(
    as_provider: Run,
    as_reviewer: Run,
    entry_id: str,
    inbox: Path,
    run_now: Callable[..., Any],
    agg_operator: Context,
) -> None:
    source, library = _loaded_source_in_a_library(
        as_provider, as_reviewer, entry_id, inbox, run_now, agg_operator
    )

    graph = as_provider("lineage_graph", {"source_id": source.id})

    kinds = {node.id: node.kind for node in graph.nodes}
    assert graph.focus == f"table:{source.table_name}"
    assert kinds == {
        f"origin:{source.id}": "origin",
        f"job:load:{source.id}": "job",
        f"table:{source.table_name}": "table",
        f"job:build:{library.id}": "job",
        f"table:{library.table_name}": "library",
    }
    assert [(e.source, e.target) for e in graph.edges] == [
        (f"origin:{source.id}", f"job:load:{source.id}"),
        (f"job:load:{source.id}", f"table:{source.table_name}"),
        (f"job:build:{library.id}", f"table:{library.table_name}"),
        (f"table:{source.table_name}", f"job:build:{library.id}"),
    ]
    origin = next(n for n in graph.nodes if n.kind == "origin")
    assert origin.detail == "file / people.csv"
    load = next(n for n in graph.nodes if n.id == f"job:load:{source.id}")
    assert "成功" in load.detail and "版本 1" in load.detail
    by_column = {c.column: c.source_column for c in graph.columns}
    assert by_column["address"] == "zz"
    assert by_column["id_number"] == "id_number"


def test_a_librarys_graph_shows_its_members_and_where_each_column_comes_from(
    as_provider: Run,
    as_reviewer: Run,
    entry_id: str,
    inbox: Path,
    run_now: Callable[..., Any],
    agg_operator: Context,
) -> None:
    source, library = _loaded_source_in_a_library(
        as_provider, as_reviewer, entry_id, inbox, run_now, agg_operator
    )

    graph = as_reviewer("lineage_graph", {"library_id": library.id})

    assert graph.focus == f"table:{library.table_name}"
    assert {n.kind for n in graph.nodes} == {"origin", "job", "table", "library"}
    columns = {c.column: (c.dataset, c.source_column) for c in graph.columns}
    assert columns["id_number"][1] == "id_number"
    assert columns["id_number"][0].endswith(f"/ {source.table_name}")
    drawing = layout(graph)
    x_of = {box.node.kind: box.x for box in drawing.boxes}
    assert x_of["origin"] < x_of["table"] < x_of["library"]
    assert drawing.width >= 5 * BOX_WIDTH
    assert len(drawing.lines) == len(graph.edges)


def test_asking_for_neither_or_both_tables_is_refused(as_provider: Run) -> None:
    import pytest  # noqa: PLC0415

    from govdata.errors import InvalidInput  # noqa: PLC0415

    for data in ({}, {"source_id": "a", "library_id": "b"}):
        with pytest.raises(InvalidInput):
            as_provider("lineage_graph", data)
