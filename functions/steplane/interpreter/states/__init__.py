"""One module per state type, each with its whole lifecycle, and the registry that maps
state types to them (see ``lifecycle``). A new state type is a module and a line here."""

from __future__ import annotations

from typing import Any

from steplane.execution import Execution
from steplane.interpreter.states import (
    choice_state,
    fail_state,
    pass_state,
    succeed_state,
    task_state,
    wait_state,
)
from steplane.interpreter.states.continuation import CONTINUATION
from steplane.interpreter.states.lifecycle import ParkingLifecycle, StateLifecycle

# Keyed by the ASL "Type"; each lifecycle takes its own state model (the registry is the
# one place that pairs them, by the definition model's type name).
LIFECYCLES: dict[str, StateLifecycle[Any]] = {
    "Task": task_state.LIFECYCLE,
    "Pass": pass_state.LIFECYCLE,
    "Choice": choice_state.LIFECYCLE,
    "Wait": wait_state.LIFECYCLE,
    "Succeed": succeed_state.LIFECYCLE,
    "Fail": fail_state.LIFECYCLE,
}


# The lifecycles whose states can park (checked once here: a runtime protocol check per
# decision costs more than the rest of a transition).
PARKING: dict[str, ParkingLifecycle[Any]] = {
    kind: lifecycle
    for kind, lifecycle in LIFECYCLES.items()
    if isinstance(lifecycle, ParkingLifecycle)
}


def lifecycle_of(state: Any) -> StateLifecycle[Any]:
    """The lifecycle of a definition's state (by its ``type``)."""
    return LIFECYCLES[state.type]


def parked_in(state: Any, execution: Execution) -> ParkingLifecycle[Any]:
    """What answers for a running head in ``state``: the state's lifecycle while the head is
    parked there, the continuation while it waits for nothing (a chain that yielded)."""
    if execution.waiting is None:
        return CONTINUATION
    lifecycle = PARKING.get(state.type)
    assert lifecycle is not None, f"a {state.type} state never parks"
    return lifecycle
