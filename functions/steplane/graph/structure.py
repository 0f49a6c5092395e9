"""What a drawing of a definition shows, before it is laid out: a node per state of the
top-level machine, Start and End, and an edge per way out of each state.

A Parallel or a Map is one node: the machines nested in it are not drawn. The ways out
are the states' own ``exits()`` (the validator follows the same ones), told apart by
where they are written (``/Next``, ``/Choices/0/Next``, ``/Default``, ``/Catch/1/Next``),
so no state type is named here.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from steplane.definition.choice_model import ChoiceBranch
from steplane.definition.model import Catcher, StateSpec
from steplane.graph.model import Edge, Node
from steplane.graph.rules import rule_text

if TYPE_CHECKING:
    from steplane.definition.model import MachineSpec

START, END = "Start", "End"


@runtime_checkable
class Catching(Protocol):
    """A state with ``Catch`` (Task, Parallel, Map)."""

    @property
    def catch(self) -> tuple[Catcher, ...]:
        """Its Catchers, in order."""
        ...


@runtime_checkable
class Choosing(Protocol):
    """A state with Choice rules: as written, and parsed (in the same order)."""

    @property
    def choices(self) -> tuple[dict[str, Any], ...]:
        """The rules as written."""
        ...

    @property
    def branches(self) -> tuple[ChoiceBranch, ...]:
        """The rules parsed."""
        ...


@dataclass(frozen=True)
class Structure:
    """The nodes (not laid out: no position or size yet) and edges of a drawing.

    Attributes:
        nodes: Start, then each state in definition order, then End.
        edges: the Start edge, then each state's ways out in definition order (a state's
            own in the order they are written, its End edge last).
        start: the Start node's id.
        end: the End node's id.
    """

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    start: str
    end: str


def structure(machine: MachineSpec) -> Structure:
    """The nodes and edges that draw ``machine`` (its own states; nested machines are
    not expanded)."""
    start = _free_id("__start__", machine.states)
    end = _free_id("__end__", machine.states)
    nodes = [
        Node(start, START, START),
        *(
            Node(name, node_label(name, state), state.type)
            for name, state in machine.states.items()
        ),
        Node(end, END, END),
    ]
    edges = [Edge(start, machine.start_at, "start")]
    for name, state in machine.states.items():
        edges.extend(_edges(name, state, end))
    return Structure(tuple(nodes), tuple(edges), start, end)


def node_label(name: str, state: StateSpec) -> str:
    """A state's label: its name, and for a state holding machines, what they are
    (``Fan out: Parallel (2 branches)``, ``Items: Map``)."""
    nested = [location for location, _ in state.machines()]
    if not nested:
        return name
    branches = sum(1 for location in nested if location.startswith("/Branches/"))
    if branches:
        return f"{name}: {state.type} ({branches} branch{'' if branches == 1 else 'es'})"
    return f"{name}: {state.type}"


def _edges(name: str, state: StateSpec, end: str) -> Iterator[Edge]:
    exits = list(state.exits())
    for way in exits:
        field, *rest = way.location.strip("/").split("/")
        if field == "Choices":
            yield Edge(name, way.target, "choice", _rule_label(state, int(rest[0])))
        elif field == "Default":
            yield Edge(name, way.target, "default", "Default")
        elif field == "Catch" and isinstance(state, Catching):
            errors = state.catch[int(rest[0])].error_equals
            yield Edge(name, way.target, "catch", ", ".join(errors))
        else:
            yield Edge(name, way.target, "next")
    # No way out at all (Succeed, Fail) ends the execution, as does End: true.
    if not exits or getattr(state, "end", None) is True:
        yield Edge(name, end, "end")


def _rule_label(state: StateSpec, index: int) -> str:
    """The short text of rule ``index``; ``rule N`` (counted from 1) when the rules were
    not all parsed."""
    if isinstance(state, Choosing) and len(state.branches) == len(state.choices):
        return rule_text(state.branches[index])
    return f"rule {index + 1}"


def _free_id(wanted: str, taken: Container[str]) -> str:
    """``wanted``, with underscores added until no state has it as its name."""
    while wanted in taken:
        wanted += "_"
    return wanted
