"""Placing a lineage graph on a page: layers left to right, as data flows.

Layer of a node: origins 0, load jobs 1, source tables 2, build jobs and
deliveries 3, libraries and grantees (grant nodes) 4 (empty layers are
dropped): what leaves a table, to a library or to a grantee, sits one column to
its right. Nodes of a layer are stacked top to bottom in the order they were
added; edges are straight lines from the right edge of one box to the left
edge of the next, labelled (the versions delivered) at their middle. The portal draws the result as
server-side SVG: no script, nothing fetched.
"""

from __future__ import annotations

from dataclasses import dataclass

from govdata.lineage.schemas import LineageGraph, LineageNode

BOX_WIDTH = 200
BOX_HEIGHT = 64
LAYER_GAP = 90
ROW_GAP = 24
MARGIN = 12


@dataclass(frozen=True)
class Box:
    node: LineageNode
    x: int
    y: int
    focus: bool

    @property
    def width(self) -> int:
        return BOX_WIDTH

    @property
    def height(self) -> int:
        return BOX_HEIGHT


@dataclass(frozen=True)
class Line:
    x1: int
    y1: int
    x2: int
    y2: int
    label: str = ""

    @property
    def middle(self) -> tuple[int, int]:
        return (self.x1 + self.x2) // 2, (self.y1 + self.y2) // 2


@dataclass(frozen=True)
class Layout:
    boxes: list[Box]
    lines: list[Line]
    width: int
    height: int


LAYERS = {"origin": 0, "table": 2, "delivery": 3, "library": 4, "grant": 4}


def layer_of(node: LineageNode) -> int:
    if node.kind == "job":
        return 3 if node.id.startswith("job:build:") else 1
    return LAYERS.get(node.kind, 2)


def layout(graph: LineageGraph) -> Layout:
    used = sorted({layer_of(node) for node in graph.nodes})
    column = {layer: index for index, layer in enumerate(used)}
    rows: dict[int, int] = {}
    boxes: dict[str, Box] = {}
    for node in graph.nodes:
        index = column[layer_of(node)]
        row = rows.get(index, 0)
        rows[index] = row + 1
        boxes[node.id] = Box(
            node=node,
            x=MARGIN + index * (BOX_WIDTH + LAYER_GAP),
            y=MARGIN + row * (BOX_HEIGHT + ROW_GAP),
            focus=node.id == graph.focus,
        )
    lines = [
        Line(
            x1=boxes[edge.source].x + BOX_WIDTH,
            y1=boxes[edge.source].y + BOX_HEIGHT // 2,
            x2=boxes[edge.target].x,
            y2=boxes[edge.target].y + BOX_HEIGHT // 2,
            label=edge.label,
        )
        for edge in graph.edges
        if edge.source in boxes and edge.target in boxes
    ]
    width = MARGIN * 2 + len(used) * BOX_WIDTH + max(len(used) - 1, 0) * LAYER_GAP
    height = MARGIN * 2 + max(rows.values(), default=0) * (BOX_HEIGHT + ROW_GAP) - ROW_GAP
    return Layout(list(boxes.values()), lines, width, max(height, BOX_HEIGHT + MARGIN * 2))
