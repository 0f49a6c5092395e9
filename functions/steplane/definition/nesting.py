"""Where a definition nests state machines inside a state: a Parallel's ``Branches``, a
Map's ``ItemProcessor`` (or its legacy ``Iterator``).

The passes over the JSON as written (spelling, typos, each state type's prepare) reach
every state, nested or not, through :func:`raw_states`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from steplane.definition.pointers import escape

# The fields of a state that hold state machines, and how (an array of them, or one).
MACHINE_ARRAYS = ("Branches",)
MACHINE_FIELDS = ("ItemProcessor", "Iterator")


def nested_machines(state: Mapping[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(location, JSON)`` of each machine a state holds as written."""
    for field in MACHINE_ARRAYS:
        machines = state.get(field)
        for index, machine in enumerate(machines if isinstance(machines, list) else ()):
            if isinstance(machine, dict):
                yield f"{where}/{field}/{index}", machine
    for field in MACHINE_FIELDS:
        machine = state.get(field)
        if isinstance(machine, dict):
            yield f"{where}/{field}", machine


def raw_states(
    machine: Mapping[str, Any], where: str = ""
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(location, name, JSON)`` of every state of ``machine`` and of the machines nested
    in them, each state before the ones nested in it."""
    states = machine.get("States")
    for name, state in states.items() if isinstance(states, dict) else ():
        if not isinstance(state, dict):
            continue
        at = f"{where}/States/{escape(name)}"
        yield at, name, state
        for inner_where, inner in nested_machines(state, at):
            yield from raw_states(inner, inner_where)
