"""Which row each node of a drawing goes in, and in what order along its row.

A layered (Sugiyama-style) drawing, kept small: cycles are broken by the back edges a
depth-first search from Start finds, each node's row is its longest path from Start along
the other edges, and one pass down the rows orders each by the mean position of its
predecessors (fewer crossings, not the fewest).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

from steplane.graph.structure import Structure

_ON_PATH, _DONE = 1, 2  # a node's mark in the depth-first search: on the path, finished

# The node ids row by row, top first, each row left to right.
Rows: TypeAlias = tuple[tuple[str, ...], ...]


def rows(drawing: Structure) -> Rows:
    """The node ids of ``drawing`` row by row, top first, each row left to right: Start
    alone first, End below every state Start reaches, then the states it does not reach
    (if any) in a row of their own."""
    successors = _successors(drawing)
    order, back = _depth_first(drawing.start, successors)
    forward = {
        node: [target for target in targets if (node, target) not in back]
        for node, targets in successors.items()
    }
    layer = dict.fromkeys(order, 0)
    for node in order:  # a topological order of the forward edges
        for target in forward[node]:
            layer[target] = max(layer[target], layer[node] + 1)
    # End goes below everything, whatever reaches it (or even if nothing does).
    layer.pop(drawing.end, None)
    layer[drawing.end] = max(layer.values()) + 1
    for node in successors:
        layer.setdefault(node, layer[drawing.end] + 1)
    return _ordered(drawing, layer, forward)


def _successors(drawing: Structure) -> dict[str, list[str]]:
    """Each node's targets, in edge order, each once."""
    found: dict[str, list[str]] = {node.id: [] for node in drawing.nodes}
    for edge in drawing.edges:
        if edge.target in found and edge.target not in found[edge.source]:
            found[edge.source].append(edge.target)
    return found


def _depth_first(
    start: str, successors: Mapping[str, Sequence[str]]
) -> tuple[list[str], set[tuple[str, str]]]:
    """The nodes reached from ``start`` in reverse post-order (a topological order once
    the back edges are left out), and the back edges: those to a node on the current
    path. Iterative: a long chain of states must not hit the recursion limit."""
    mark = {start: _ON_PATH}
    finished: list[str] = []
    back: set[tuple[str, str]] = set()
    stack = [(start, iter(successors[start]))]
    while stack:
        node, targets = stack[-1]
        for target in targets:
            seen = mark.get(target)
            if seen is None:
                mark[target] = _ON_PATH
                stack.append((target, iter(successors[target])))
                break
            if seen == _ON_PATH:
                back.add((node, target))
        else:
            stack.pop()
            mark[node] = _DONE
            finished.append(node)
    return finished[::-1], back


def _ordered(
    drawing: Structure, layer: Mapping[str, int], forward: Mapping[str, Sequence[str]]
) -> Rows:
    """The rows, each sorted by its nodes' barycentre: the mean position (0 to 1 along
    its row) of their predecessors in the rows above; a node without one keeps its place.
    Ties keep definition order, so the drawing is the same every time."""
    index = {node.id: position for position, node in enumerate(drawing.nodes)}
    predecessors: dict[str, list[str]] = {node: [] for node in layer}
    for node, targets in forward.items():
        for target in targets:
            predecessors[target].append(node)
    grid: list[list[str]] = [[] for _ in range(max(layer.values()) + 1)]
    for node in sorted(layer, key=index.__getitem__):
        grid[layer[node]].append(node)
    placed: dict[str, float] = {}
    for row in grid:
        own = {node: (i + 0.5) / len(row) for i, node in enumerate(row)}

        def barycentre(node: str, own: dict[str, float] = own) -> tuple[float, int]:
            above = [placed[p] for p in predecessors[node] if p in placed]
            return (sum(above) / len(above) if above else own[node]), index[node]

        row.sort(key=barycentre)
        placed.update({node: (i + 0.5) / len(row) for i, node in enumerate(row)})
    return tuple(tuple(row) for row in grid if row)
