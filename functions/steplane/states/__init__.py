"""The state types, one module each (model, lifecycle, own checks: see ``state_type``),
and their registration. A new state type is a module and a line in ``REGISTERED``.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from pydantic import Field

from steplane.definition.model import MachineSpec, StateSpec
from steplane.execution import Execution
from steplane.states import (
    choice_state,
    fail_state,
    map_state,
    parallel_state,
    pass_state,
    succeed_state,
    task_state,
    wait_state,
)
from steplane.states.continuation import CONTINUATION
from steplane.states.lifecycle import (
    Abandoning,
    FanningLifecycle,
    ParkingLifecycle,
    StateLifecycle,
)
from steplane.states.state_type import StateType

# In the order messages list them ("expected one of Task, Pass, ...").
REGISTERED: tuple[StateType[Any], ...] = (
    task_state.TYPE,
    pass_state.TYPE,
    choice_state.TYPE,
    wait_state.TYPE,
    succeed_state.TYPE,
    fail_state.TYPE,
    parallel_state.TYPE,
    map_state.TYPE,
)

STATE_TYPES: dict[str, StateType[Any]] = {kind.name: kind for kind in REGISTERED}

if TYPE_CHECKING:
    from steplane.definition.loader import Definition

    # What every state model is; the union below is built from the registry, which a
    # type checker cannot follow.
    State: TypeAlias = StateSpec
else:
    # One model per Type, picked by the "Type" field (pydantic's tagged union).
    State = Annotated[reduce(or_, (kind.model for kind in REGISTERED)), Field(discriminator="type")]

# The state types that can park (checked once here: a runtime protocol check per decision
# costs more than the rest of a transition).
PARKING: dict[str, ParkingLifecycle[Any]] = {
    kind.name: kind.lifecycle for kind in REGISTERED if isinstance(kind.lifecycle, ParkingLifecycle)
}


class Branch(MachineSpec):
    """A Parallel's branch: ``StartAt`` and its ``States``."""

    states: dict[str, State] = Field(alias="States", min_length=1)


class ItemProcessor(Branch):
    """A Map's ``ItemProcessor`` (or legacy ``Iterator``): the machine each item runs,
    and how (``ProcessorConfig``)."""

    processor_config: map_state.ProcessorConfig | None = Field(None, alias="ProcessorConfig")


# The state types that leave work running when the execution leaves them early.
ABANDONING: dict[str, Abandoning[Any]] = {
    kind.name: kind.lifecycle for kind in REGISTERED if isinstance(kind.lifecycle, Abandoning)
}

# The state types that park on child executions.
FANNING: dict[str, FanningLifecycle[Any]] = {
    kind.name: kind.lifecycle for kind in REGISTERED if isinstance(kind.lifecycle, FanningLifecycle)
}


def stoppable(definition: Definition, fanned_by: str) -> bool:
    """Whether the children the state ``fanned_by`` fans out can be stopped (aborted when
    it fails, or when their parent has left it): not a Map Run's EXPRESS children."""
    state = definition.state(fanned_by)
    fanning = FANNING.get(state.type)
    return fanning is None or fanning.child_policy(state).stoppable


def lifecycle_of(state: StateSpec) -> StateLifecycle[Any]:
    """The lifecycle of a definition's state."""
    return STATE_TYPES[state.type].lifecycle


def parked_in(state: StateSpec, execution: Execution) -> ParkingLifecycle[Any]:
    """What answers for a running head in ``state``: the state's lifecycle while the head is
    parked there, the continuation while it waits for nothing (a chain that yielded)."""
    if execution.waiting is None:
        return CONTINUATION
    lifecycle = PARKING.get(state.type)
    assert lifecycle is not None, f"a {state.type} state never parks"
    return lifecycle
