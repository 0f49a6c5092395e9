"""Where each box and line of a definition's drawing goes, in pixels, top to bottom."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from steplane.graph.layers import rows
from steplane.graph.model import Edge, Graph, Node, Point
from steplane.graph.structure import structure

if TYPE_CHECKING:
    from steplane.definition.loader import Definition

# Sizes in pixels. A label's width is estimated from its length (no font is measured:
# the layout must not depend on what renders it); every width is even, so a centre is a
# whole pixel.
CHARACTER_WIDTH = 8
LABEL_PADDING = 32
MIN_WIDTH = 80
NODE_HEIGHT = 40
NODE_GAP = 32  # between boxes of a row
ROW_GAP = 56  # between rows
MARGIN = 24
LANE_GAP = 16  # between the lanes of the back edges, right of the boxes


def layout(definition: Definition) -> Graph:
    """Lay out a drawing of ``definition``'s top-level machine.

    A node per state, plus Start and End; a Parallel or a Map is one node (the machines
    nested in it are not drawn). Rows go down from Start, a node's row being its longest
    path from Start once the back edges that close loops are set aside; End is below
    every state Start reaches, and states nothing reaches are in a last row of their own.
    An edge goes straight from the bottom centre of its source to the top centre of its
    target, except one that goes up or stays on its row (a loop back, a self loop, an
    edge out of an unreachable state): it leaves by the right side of its source, runs
    down or up a lane of its own right of every box, and comes in by the right side of
    its target.

    Args:
        definition: a loaded definition (``load_definition``).

    Returns:
        The nodes with their positions and sizes, the edges with their points, and the
        graph's size; the same definition always gives the same graph.
    """
    drawing = structure(definition.machine)
    grid = rows(drawing)
    unplaced = {node.id: node for node in drawing.nodes}
    widths = {node_id: _width(node.label) for node_id, node in unplaced.items()}
    row_widths = [sum(widths[n] for n in row) + NODE_GAP * (len(row) - 1) for row in grid]
    content = max(row_widths)
    nodes: list[Node] = []
    for layer, (row, row_width) in enumerate(zip(grid, row_widths, strict=True)):
        x = MARGIN + (content - row_width) // 2
        y = MARGIN + layer * (NODE_HEIGHT + ROW_GAP)
        for node_id in row:
            width = widths[node_id]
            node = unplaced[node_id]
            nodes.append(replace(node, x=x, y=y, width=width, height=NODE_HEIGHT, layer=layer))
            x += width + NODE_GAP
    placed = {node.id: node for node in nodes}
    edges: list[Edge] = []
    lanes = 0
    for edge in drawing.edges:
        source, target = placed[edge.source], placed[edge.target]
        if target.layer > source.layer:
            points = _straight(source, target)
        else:
            lanes += 1
            points = _around(source, target, MARGIN + content + lanes * LANE_GAP)
        edges.append(replace(edge, points=points))
    width = 2 * MARGIN + content + lanes * LANE_GAP
    height = 2 * MARGIN + len(grid) * NODE_HEIGHT + (len(grid) - 1) * ROW_GAP
    return Graph(tuple(nodes), tuple(edges), width, height)


def _width(label: str) -> int:
    width = max(MIN_WIDTH, CHARACTER_WIDTH * len(label) + LABEL_PADDING)
    return width + width % 2


def _straight(source: Node, target: Node) -> tuple[Point, ...]:
    """Bottom centre of ``source`` to top centre of ``target``."""
    return (
        (source.x + source.width // 2, source.y + source.height),
        (target.x + target.width // 2, target.y),
    )


def _around(source: Node, target: Node, lane: int) -> tuple[Point, ...]:
    """Out of ``source``'s right side, along the lane at ``lane``, into ``target``'s right
    side; a third of the way down the source and two thirds down the target, so a self
    loop's two ends do not meet."""
    leave = source.y + source.height // 3
    arrive = target.y + 2 * target.height // 3
    return (
        (source.x + source.width, leave),
        (lane, leave),
        (lane, arrive),
        (target.x + target.width, arrive),
    )
