"""The lineage graph as built: nodes, edges (in the direction data flows), column origins."""

from __future__ import annotations

from dataclasses import dataclass, field

from govdata.lineage.schemas import LineageDelivery


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # origin | job | table | library | delivery | grant
    label: str
    detail: str = ""
    href: str | None = None
    # Sharing facts of a delivery or grant node.
    delivery: LineageDelivery | None = None


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""


@dataclass(frozen=True)
class ColumnSource:
    column: str
    dataset: str
    source_column: str


@dataclass
class Graph:
    focus: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    columns: list[ColumnSource] = field(default_factory=list)

    def add(self, node: Node) -> str:
        self.nodes.setdefault(node.id, node)
        return node.id

    def link(self, source: str, target: str, label: str = "") -> None:
        edge = Edge(source, target, label)
        if edge not in self.edges:
            self.edges.append(edge)
