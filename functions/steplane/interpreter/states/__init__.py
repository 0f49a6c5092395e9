"""One module per state type, each with its whole lifecycle, and the registry that maps
state types to them (see ``lifecycle``). A new state type is a module and a line here."""

from __future__ import annotations

from typing import Any

from steplane.interpreter.states import (
    choice_state,
    fail_state,
    pass_state,
    succeed_state,
    task_state,
    wait_state,
)
from steplane.interpreter.states.lifecycle import StateLifecycle

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


def lifecycle_of(state: Any) -> StateLifecycle[Any]:
    """The lifecycle of a definition's state (by its ``type``)."""
    return LIFECYCLES[state.type]
