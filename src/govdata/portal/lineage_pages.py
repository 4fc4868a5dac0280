"""The lineage page: the graph around a source's or library's table, as SVG."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from govdata.lineage.delivery_nodes import version_ranges
from govdata.lineage.layout import layout
from govdata.lineage.schemas import LineageGraph, LineageNode
from govdata.portal.common import current_caller, login_redirect, page_chrome, run_action
from govdata.portal.rendering import render

router = APIRouter(include_in_schema=False)

KIND_LABELS = {
    "origin": "来源",
    "job": "作业",
    "table": "数据表",
    "library": "库",
    "delivery": "交付",
    "grant": "接收方",
}
FILLS = {
    "origin": "#f4f1e8",
    "job": "#eef3f8",
    "table": "#eaf5ec",
    "library": "#f8edf0",
    "delivery": "#fdf3e3",
    "grant": "#efeaf6",
}


def _versions(node: LineageNode) -> str:
    """The table versions a delivery node read, as short ranges (services read many)."""
    facts = node.delivery
    if facts is None:
        return "—"
    if facts.method == "subscription":
        return "—" if facts.delivered_version is None else f"至 {facts.delivered_version}"
    return version_ranges(facts.versions) or "—"


@router.get("/lineage")
async def lineage_page(request: Request) -> Response:
    caller = await current_caller(request)
    if not caller.actor.is_authenticated:
        return login_redirect(request)
    query = {
        name: request.query_params[name]
        for name in ("source_id", "library_id")
        if request.query_params.get(name)
    }
    graph: LineageGraph = await run_action(request, caller, "lineage_graph", query)
    return render(
        "portal/lineage/graph.html",
        {
            "page": page_chrome(request, caller, "数据血缘", "aggregation"),
            "graph": graph,
            "drawing": layout(graph),
            "kind_labels": KIND_LABELS,
            "deliveries": [
                (node, _versions(node)) for node in graph.nodes if node.kind == "delivery"
            ],
            "fills": FILLS,
        },
    )
