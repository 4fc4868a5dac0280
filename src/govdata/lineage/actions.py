"""The lineage action: the graph around a source's or a library's table (G5).

Deliveries appear only under grants the caller may follow in the sharing area
(``sharing:read`` over the grantee or the holder: the parties' officers, their
authorities, auditors), exactly as the sharing area's own lists decide; other
grants are left out without a trace.
"""

from __future__ import annotations

from collections.abc import Callable

from govdata.access.enforce import require_grade
from govdata.access.policy import ReadKind
from govdata.actions import ActionSet, Context
from govdata.aggregation.grading import source_resource
from govdata.aggregation.models import Library
from govdata.aggregation.store import get_source, org_ref
from govdata.errors import NotFound
from govdata.lineage.graph import library_graph, source_graph
from govdata.lineage.graph_model import Graph
from govdata.lineage.schemas import (
    ColumnOrigin,
    LineageEdge,
    LineageGraph,
    LineageNode,
    LineageQuery,
)
from govdata.sharing.models import Grant
from govdata.sharing.store import party_may_read

actions = ActionSet("lineage")


def _out(graph: Graph) -> LineageGraph:
    return LineageGraph(
        focus=graph.focus,
        nodes=[
            LineageNode(
                id=n.id,
                kind=n.kind,
                label=n.label,
                detail=n.detail,
                href=n.href,
                delivery=n.delivery,
            )
            for n in graph.nodes.values()
        ],
        edges=[LineageEdge(source=e.source, target=e.target, label=e.label) for e in graph.edges],
        columns=[
            ColumnOrigin(column=c.column, dataset=c.dataset, source_column=c.source_column)
            for c in graph.columns
        ],
    )


def _grant_filter(ctx: Context) -> Callable[[Grant], bool]:
    def may_see(grant: Grant) -> bool:
        return party_may_read(ctx, grant.grantee_org_id, grant.holder_org_id)

    return may_see


@actions.register(
    "lineage_graph",
    LineageQuery,
    example={"source_id": "<source id>"},
    summary="Where a source's or library's table comes from and where it goes: origins, "
    "load and build jobs with their latest run, tables, each column's origin, and the "
    "deliveries (bulk, service calls summed up, subscriptions) under each grant the "
    "caller may follow.",
    read_only=True,
)
def lineage_graph(ctx: Context, data: LineageQuery) -> LineageGraph:
    if data.source_id is not None:
        ctx.authorize_somewhere("aggregation:run:read")
        source = get_source(ctx, data.source_id)
        ctx.authorize("aggregation:run:read", org_ref(ctx.session, source.organisation_id))
        # Names, locations and versions: a read of the data's description.
        require_grade(ctx, [source_resource(ctx.session, source)], ReadKind.METADATA)
        return _out(
            source_graph(
                ctx.session, ctx.settings, ctx.services.lake, source, may_see=_grant_filter(ctx)
            )
        )
    ctx.authorize_somewhere("library:read")
    library = ctx.session.get(Library, data.library_id)
    if library is None:
        raise NotFound("库不存在", code="library_not_found")
    ctx.authorize("library:read", org_ref(ctx.session, library.organisation_id))
    return _out(
        library_graph(
            ctx.session, ctx.settings, ctx.services.lake, library, may_see=_grant_filter(ctx)
        )
    )
