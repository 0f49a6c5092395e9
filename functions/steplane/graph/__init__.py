"""A definition as a graph to draw: laid out in pixels (:func:`layout`, :func:`to_json`),
or as Mermaid text (:func:`to_mermaid`), with an execution's outcome per state
(:func:`outcomes`). Pure: no AWS, no I/O, no clock.
"""

from __future__ import annotations

from steplane.graph.layout import layout
from steplane.graph.mermaid import to_mermaid
from steplane.graph.model import Edge, EdgeKind, Graph, Node, to_json
from steplane.graph.outcomes import Outcome, StateOutcome, outcomes, state_outcomes

__all__ = [
    "Edge",
    "EdgeKind",
    "Graph",
    "Node",
    "Outcome",
    "StateOutcome",
    "layout",
    "outcomes",
    "state_outcomes",
    "to_json",
    "to_mermaid",
]
