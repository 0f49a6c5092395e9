"""The drawing of a definition: nodes, edges and the whole graph, and their JSON shape."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

# What an edge stands for: "start" leaves the Start node, "next" is a state's Next, "choice"
# a Choice rule's Next, "default" a Choice's Default, "catch" a Catcher's Next, and "end"
# goes to the End node (End: true, a Succeed, a Fail).
EdgeKind = Literal["start", "next", "choice", "default", "catch", "end"]
Point = tuple[int, int]


@dataclass(frozen=True)
class Node:
    """A box of the drawing: a state, or the synthetic Start or End node.

    Attributes:
        id: the state's name; for Start and End, an id no state has (``__start__``, ...).
        label: the text shown in the box.
        type: the state's ``Type`` ("Task", "Choice", ...), or "Start" / "End".
        x: the left edge, in pixels from the left of the graph.
        y: the top edge, in pixels from the top of the graph (the graph reads top-down).
        width: the box's width, in pixels.
        height: the box's height, in pixels.
        layer: the row the box is in, 0 for Start.
    """

    id: str
    label: str
    type: str
    x: int = 0
    y: int = 0
    width: int = 0
    height: int = 0
    layer: int = 0


@dataclass(frozen=True)
class Edge:
    """A way from one node to another.

    Attributes:
        source: the id of the node it leaves.
        target: the id of the node it goes to.
        kind: what it stands for (see ``EdgeKind``).
        label: the text shown beside it (a rule, the errors caught, "Default"), or None.
        points: the polyline to draw, from the source to the target (laid out edges only).
    """

    source: str
    target: str
    kind: EdgeKind
    label: str | None = None
    points: tuple[Point, ...] = ()


@dataclass(frozen=True)
class Graph:
    """A laid-out drawing: its nodes and edges, and its size in pixels."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    width: int
    height: int

    def node(self, node_id: str) -> Node:
        """The node ``node_id``.

        Raises:
            KeyError: no node has that id.
        """
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)


def to_json(graph: Graph, outcomes: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The graph as JSON, for a client that draws it.

    Args:
        graph: a laid-out graph (see ``layout``).
        outcomes: each visited state's outcome (see ``outcomes``), put on its node as
            ``"outcome"``; nodes without one have no such key.

    Returns:
        ``{"nodes": [{"id", "label", "type", "x", "y", "width", "height", "outcome"?}],
        "edges": [{"source", "target", "kind", "label"?, "points": [[x, y], ...]}],
        "width", "height"}``.
    """
    given = outcomes or {}
    nodes = [
        {
            "id": node.id,
            "label": node.label,
            "type": node.type,
            "x": node.x,
            "y": node.y,
            "width": node.width,
            "height": node.height,
            **({"outcome": given[node.id]} if node.id in given else {}),
        }
        for node in graph.nodes
    ]
    edges = [
        {
            "source": edge.source,
            "target": edge.target,
            "kind": edge.kind,
            **({"label": edge.label} if edge.label is not None else {}),
            "points": [[x, y] for x, y in edge.points],
        }
        for edge in graph.edges
    ]
    return {"nodes": nodes, "edges": edges, "width": graph.width, "height": graph.height}
