"""The lineage graph around one source or library table (requirement G5).

Nodes are the systems data came from (``origin``), the jobs that moved it
(``job``: a source's loads, a library's builds, with their latest run), the
lake tables (``table`` for a source's, ``library`` for a library's) and what
was delivered from a source's table (``delivery`` nodes leading to the
``grant`` node of the grantee, see :mod:`govdata.lineage.delivery_nodes`).
Edges run in the direction data flows. Around a source: its origin, its load
job, its table, each library built from it and its deliveries. Around a
library: each member's origin, load job, table and deliveries, the build job
and the library (a library has no catalog entry of its own, so nothing is
granted or delivered from it directly). Column lineage lists, for the focus
table, where each column comes from (the same :mod:`govdata.lineage.runs`
description the OpenLineage events carry).

Which grants appear is the caller's to decide (``may_see``): the graph is
built only from what the reader may follow.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.aggregation.models import Library, LibraryMember, Run, Source
from govdata.lake.location import StorageLocation
from govdata.lake.tables import LakeTable
from govdata.lineage.deliveries import deliveries_from
from govdata.lineage.delivery_nodes import add_deliveries
from govdata.lineage.graph_model import ColumnSource, Graph, Node
from govdata.lineage.openlineage import RunLineage
from govdata.lineage.runs import build_lineage, load_lineage, source_dataset
from govdata.settings import Settings
from govdata.sharing.models import Grant

GrantFilter = Callable[[Grant], bool]

STATUS_LABELS = {
    "queued": "排队中",
    "running": "运行中",
    "succeeded": "成功",
    "failed": "失败",
    "interrupted": "中断",
}


def _latest_run(
    session: Session, *, source_id: str | None = None, library_id: str | None = None
) -> Run | None:
    query = select(Run).order_by(Run.created_at.desc()).limit(1)
    if source_id is not None:
        query = query.where(Run.source_id == source_id)
    if library_id is not None:
        query = query.where(Run.library_id == library_id)
    return session.scalars(query).first()


def _run_detail(run: Run | None) -> str:
    if run is None:
        return "尚未运行"
    status = STATUS_LABELS.get(run.status, run.status)
    version = f"，写入版本 {run.version}" if run.version is not None else ""
    return f"最近一次：{status}{version}（{run.strategy}）"


def _table_detail(location: StorageLocation, name: str) -> str:
    lake = LakeTable(location, name)
    version = lake.version() if lake.exists() else None
    return "尚未入库" if version is None else f"当前版本 {version}"


def _add_source(
    graph: Graph,
    session: Session,
    location: StorageLocation,
    source: Source,
    may_see: GrantFilter,
) -> str:
    """Origin → load job → table → deliveries of one source; returns the table node's id."""
    namespace, name = source_dataset(source)
    origin = graph.add(
        Node(f"origin:{source.id}", "origin", f"{source.kind} 数据源", f"{namespace} / {name}")
    )
    job = graph.add(
        Node(
            f"job:load:{source.id}",
            "job",
            "归集作业",
            _run_detail(_latest_run(session, source_id=source.id)),
        )
    )
    table = graph.add(
        Node(
            f"table:{source.table_name}",
            "table",
            source.name,
            _table_detail(location, source.table_name),
            href=f"/aggregation/sources/{source.id}",
        )
    )
    graph.link(origin, job)
    graph.link(job, table)
    add_deliveries(graph, table, source.id, deliveries_from(session, source, may_see))
    return table


def _add_library(
    graph: Graph, session: Session, location: StorageLocation, library: Library
) -> str:
    job = graph.add(
        Node(
            f"job:build:{library.id}",
            "job",
            "建库作业",
            _run_detail(_latest_run(session, library_id=library.id)),
        )
    )
    table = graph.add(
        Node(
            f"table:{library.table_name}",
            "library",
            library.name,
            _table_detail(location, library.table_name),
            href=f"/libraries/{library.id}",
        )
    )
    graph.link(job, table)
    return job


def _columns(lineage: RunLineage) -> list[ColumnSource]:
    return [
        ColumnSource(origin.column, f"{namespace} / {name}", field_name)
        for origin in lineage.columns
        for namespace, name, field_name in origin.inputs
    ]


def source_graph(
    session: Session,
    settings: Settings,
    location: StorageLocation,
    source: Source,
    *,
    may_see: GrantFilter,
) -> Graph:
    graph = Graph(focus=f"table:{source.table_name}")
    table = _add_source(graph, session, location, source, may_see)
    libraries = session.scalars(
        select(Library)
        .join(LibraryMember, LibraryMember.library_id == Library.id)
        .where(LibraryMember.source_id == source.id)
        .order_by(Library.name)
    ).all()
    for library in libraries:
        graph.link(table, _add_library(graph, session, location, library))
    run = _latest_run(session, source_id=source.id) or Run(id="", strategy=source.strategy)
    graph.columns = _columns(load_lineage(settings, run, source))
    return graph


def library_graph(
    session: Session,
    settings: Settings,
    location: StorageLocation,
    library: Library,
    *,
    may_see: GrantFilter,
) -> Graph:
    graph = Graph(focus=f"table:{library.table_name}")
    build = _add_library(graph, session, location, library)
    members = session.scalars(
        select(Source)
        .join(LibraryMember, LibraryMember.source_id == Source.id)
        .where(LibraryMember.library_id == library.id)
        .order_by(LibraryMember.priority, LibraryMember.created_at)
    ).all()
    for source in members:
        graph.link(_add_source(graph, session, location, source, may_see), build)
    run = _latest_run(session, library_id=library.id) or Run(id="", strategy="full")
    lake = LakeTable(location, library.table_name)
    graph.columns = _columns(build_lineage(session, settings, run, library, lake))
    return graph
