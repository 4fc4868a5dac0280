"""The lineage action: the graph around a source's or a library's table (G5)."""

from __future__ import annotations

from govdata.access.enforce import require_grade
from govdata.access.policy import ReadKind
from govdata.actions import ActionSet, Context
from govdata.aggregation.grading import source_resource
from govdata.aggregation.models import Library
from govdata.aggregation.store import get_source, org_ref
from govdata.errors import NotFound
from govdata.lineage.graph import Graph, library_graph, source_graph
from govdata.lineage.schemas import (
    ColumnOrigin,
    LineageEdge,
    LineageGraph,
    LineageNode,
    LineageQuery,
)

actions = ActionSet("lineage")


def _out(graph: Graph) -> LineageGraph:
    return LineageGraph(
        focus=graph.focus,
        nodes=[
            LineageNode(id=n.id, kind=n.kind, label=n.label, detail=n.detail, href=n.href)
            for n in graph.nodes.values()
        ],
        edges=[LineageEdge(source=e.source, target=e.target) for e in graph.edges],
        columns=[
            ColumnOrigin(column=c.column, dataset=c.dataset, source_column=c.source_column)
            for c in graph.columns
        ],
    )


@actions.register(
    "lineage_graph",
    LineageQuery,
    example={"source_id": "<source id>"},
    summary="Where a source's or library's table comes from and where it goes: origins, "
    "load and build jobs with their latest run, tables, and each column's origin.",
    read_only=True,
)
def lineage_graph(ctx: Context, data: LineageQuery) -> LineageGraph:
    if data.source_id is not None:
        ctx.authorize_somewhere("aggregation:run:read")
        source = get_source(ctx, data.source_id)
        ctx.authorize("aggregation:run:read", org_ref(ctx.session, source.organisation_id))
        # Names, locations and versions: a read of the data's description.
        require_grade(ctx, [source_resource(ctx.session, source)], ReadKind.METADATA)
        return _out(source_graph(ctx.session, ctx.settings, ctx.services.lake, source))
    ctx.authorize_somewhere("library:read")
    library = ctx.session.get(Library, data.library_id)
    if library is None:
        raise NotFound("库不存在", code="library_not_found")
    ctx.authorize("library:read", org_ref(ctx.session, library.organisation_id))
    return _out(library_graph(ctx.session, ctx.settings, ctx.services.lake, library))
