"""A definition as a Mermaid flowchart (``flowchart TD``), its states coloured by outcome."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from steplane.graph.model import Edge, Node
from steplane.graph.outcomes import OUTCOMES
from steplane.graph.structure import END, START, structure

if TYPE_CHECKING:
    from steplane.definition.loader import Definition

INDENT = "    "
# Each shape as its opening and closing brackets; any type not named is a rectangle.
SHAPES = {
    START: ("([", "])"),  # stadium
    END: ("([", "])"),
    "Task": ("(", ")"),  # rounded
    "Choice": ("{", "}"),  # rhombus
    "Parallel": ("[[", "]]"),  # subroutine
    "Map": ("[[", "]]"),
}
RECTANGLE = ("[", "]")
ARROWS = {"catch": "-.->"}  # dashed: the way taken only on an error
ARROW = "-->"
CLASS_STYLES = {
    "succeeded": "fill:#d4f7d4,stroke:#2e7d32",
    "failed": "fill:#f9d4d4,stroke:#c62828",
    "caught": "fill:#fde9c8,stroke:#ef6c00",
    "retried": "fill:#fff6c2,stroke:#f9a825",
    "running": "fill:#d4e6f9,stroke:#1565c0",
}
# Mermaid reads "#name;" and "#123;" in a quoted label as character codes, and a label's
# text as HTML: these characters are written as codes, so a state named anything shows as
# written (a quote would end the label, "#" could start a code, "<" a tag, "`" Markdown).
_ESCAPES = str.maketrans(
    {
        '"': "#quot;",
        "#": "#35;",
        "&": "#38;",
        "<": "#60;",
        ">": "#62;",
        "`": "#96;",
        "|": "#124;",
        "\n": " ",
        "\r": " ",
    }
)


def to_mermaid(definition: Definition, outcomes: Mapping[str, str] | None = None) -> str:
    """A Mermaid flowchart of ``definition``'s top-level machine.

    A node per state, plus Start and End; a Parallel or a Map is one node (its nested
    machines are not drawn). Node ids are ``s0``, ``s1``, ... in definition order
    (``sStart`` and ``sEnd`` for Start and End), whatever the states are called; each
    label is the state's name, quoted and escaped. Choice rules, Defaults and Catchers
    label their edges; a Catcher's edge is dashed.

    Args:
        definition: a loaded definition (``load_definition``).
        outcomes: each visited state's outcome (see ``outcomes``): adds a ``classDef`` per
            outcome and a ``class`` line putting each visited state in its own.

    Returns:
        The flowchart's text, one statement a line, ending with a newline; the same
        arguments always give the same text.
    """
    drawing = structure(definition.machine)
    ids = {drawing.start: "sStart", drawing.end: "sEnd"}
    states = [node for node in drawing.nodes if node.id not in ids]
    ids.update({node.id: f"s{index}" for index, node in enumerate(states)})
    lines = ["flowchart TD"]
    lines.extend(INDENT + _node(ids[node.id], node) for node in drawing.nodes)
    lines.extend(INDENT + _edge(ids, edge) for edge in drawing.edges)
    if outcomes is not None:
        lines.extend(_classes(ids, [node.id for node in states], outcomes))
    return "\n".join(lines) + "\n"


def escape(text: str) -> str:
    """``text`` for inside a quoted Mermaid label."""
    return text.translate(_ESCAPES)


def _node(node_id: str, node: Node) -> str:
    opening, closing = SHAPES.get(node.type, RECTANGLE)
    return f'{node_id}{opening}"{escape(node.label)}"{closing}'


def _edge(ids: Mapping[str, str], edge: Edge) -> str:
    arrow = ARROWS.get(edge.kind, ARROW)
    label = f'|"{escape(edge.label)}"|' if edge.label is not None else ""
    return f"{ids[edge.source]} {arrow}{label} {ids[edge.target]}"


def _classes(ids: Mapping[str, str], states: list[str], outcomes: Mapping[str, str]) -> list[str]:
    lines = [f"{INDENT}classDef {name} {style}" for name, style in CLASS_STYLES.items()]
    for outcome in OUTCOMES:
        members = [ids[name] for name in states if outcomes.get(name) == outcome]
        if members:
            lines.append(f"{INDENT}class {','.join(members)} {outcome}")
    return lines
