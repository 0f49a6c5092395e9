"""One state type's whole life behind one protocol; ``decide`` only dispatches to it.

Every state type says what entering it does (``enter``: go on, finish, fail, or park). A
state type that parks (Task, Wait) also answers, from the head alone:
- ``on_task_result`` and ``on_wake``: what a signal does while the execution is parked
  there, as a :data:`Reaction`;
- ``pending``: the messages that must be in flight for it to move on (derived, never
  stored: after a crash they are derived again);
- ``overdue_at`` and ``resend_gap_seconds``: when the sweeper should look at it if it
  has not moved, and how long it waits after each re-send.
A running head that waits for nothing is a chain that yielded before entering its
current state; ``steplane.states.continuation`` answers for it, whatever the
state's type.

A new state type is one module with its lifecycle plus a line in the registry
(``steplane.states``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar, runtime_checkable

from steplane.execution import Execution
from steplane.interpreter.decisions import Command, Ignore, Rearm
from steplane.interpreter.run import Run
from steplane.interpreter.signals import FanIn, ItemsRead, TaskResult, Wake
from steplane.interpreter.steps import Step
from steplane.jsontypes import Json
from steplane.settings import Settings

if TYPE_CHECKING:
    from steplane.states.map_items import ChildInputs, MapRunName, ReadRequest, WriteRequest

S = TypeVar("S")
S_contra = TypeVar("S_contra", contravariant=True)


@dataclass(frozen=True)
class Carry:
    """Go on from the current state with ``step`` (leave it, fail it, park it again)."""

    step: Step


@dataclass(frozen=True)
class Resume:
    """Run on from the current state with the data it holds (a chain that yielded)."""


Reaction = Carry | Resume | Rearm | Ignore

# A task result while no attempt of this execution's current state is pending.
NO_PENDING_TASK = Ignore("the result is for a task attempt that is no longer pending")


class StateLifecycle(Protocol[S_contra]):
    """What every state type does: how entering it goes."""

    def enter(self, name: str, state: S_contra, raw_input: Json, run: Run) -> Step:
        """Enter the state with ``raw_input``."""
        ...


@runtime_checkable
class ParkingLifecycle(StateLifecycle[S_contra], Protocol[S_contra]):
    """A state type that can park the execution (``Park``): what it then waits for, and
    what the signals it waits for do to it."""

    def on_task_result(self, name: str, state: S_contra, result: TaskResult, run: Run) -> Reaction:
        """A worker's result arrived while the execution is parked here."""
        ...

    def on_wake(self, name: str, state: S_contra, wake: Wake, run: Run) -> Reaction:
        """A wake-up for the head's version arrived while the execution is parked here."""
        ...

    def pending(
        self, state: S_contra, execution: Execution, now: datetime, settings: Settings
    ) -> tuple[Command, ...]:
        """The messages that must be in flight for the execution to move on from here."""
        ...

    def overdue_at(self, state: S_contra, execution: Execution, settings: Settings) -> datetime:
        """When the execution, just parked here, is overdue if it has not moved."""
        ...

    def resend_gap_seconds(self, settings: Settings, resent: int) -> int:
        """How long the sweeper waits after its ``resent``-th re-send (0: the first)."""
        ...


@runtime_checkable
class Abandoning(Protocol[S_contra]):
    """A parking state type that leaves work running elsewhere when the execution leaves
    it early (aborted, timed out): what stops that work."""

    def abandoned(
        self, name: str, state: S_contra, execution: Execution, settings: Settings
    ) -> tuple[Command, ...]:
        """The commands that stop what ``execution``, parked here, leaves running."""
        ...


@runtime_checkable
class FanningLifecycle(ParkingLifecycle[S_contra], Protocol[S_contra]):
    """A state type that parks on child executions (Parallel, Map): what each child's
    input is, and what their outcome does to it."""

    def on_fan_in(self, name: str, state: S_contra, fan_in: FanIn, run: Run) -> Reaction:
        """The store's count of the visit's children: all ended, or some failed."""
        ...

    def child_input(
        self, name: str, state: S_contra, parent: Execution, index: int, settings: Settings
    ) -> Json:
        """The input of child ``index`` of the visit ``parent`` is parked on."""
        ...

    def on_items_read(
        self, name: str, state: S_contra, items_read: ItemsRead, run: Run
    ) -> Reaction:
        """A distributed Map's items were read (or could not be): run them."""
        ...

    def child_policy(self, state: S_contra) -> ChildPolicy:
        """What the state's children inherit and how they may be stopped."""
        ...

    def map_run_name(
        self, name: str, state: S_contra, parent: Execution, settings: Settings
    ) -> MapRunName:
        """The name of the Map Run ``parent`` is parked on (a distributed Map's)."""
        ...

    def map_run(self, name: str, state: S_contra, parent: Execution, settings: Settings) -> MapRun:
        """The Map Run ``parent`` is parked on, with what it reads and writes."""
        ...

    def stored_inputs(
        self,
        name: str,
        state: S_contra,
        parent: Execution,
        items_read: list[Json] | None,
        settings: Settings,
    ) -> ChildInputs:
        """A Map Run's child inputs, from the items read (None: the state's input's)."""
        ...


@dataclass(frozen=True)
class ChildPolicy:
    """How a fan-out's children run.

    Attributes:
        own_context: each child is an execution of its own, as a distributed Map's are:
            its own ``$$.Execution`` (name, start, input), and no variable of the scopes
            around it ("distributed map state cannot reference variables in outer
            scopes"). Otherwise it runs within its root execution (a Parallel's branch,
            an inline Map's iteration) and reads the variables around it.
        stoppable: the children are aborted when the state fails (not EXPRESS ones: "If
            you use a child workflow execution of the Express type, you can't stop it").
        max_seconds: how long a child may run before it times out (EXPRESS: 5 minutes).
    """

    own_context: bool = False
    stoppable: bool = True
    max_seconds: int | None = None


@dataclass(frozen=True)
class MapRun:
    """A distributed Map visit's Map Run: its name, what it reads (None: the state's
    input), and where it exports its results (None: into the state's output)."""

    name: MapRunName
    reader: ReadRequest | None = None
    writer: WriteRequest | None = None


class Flowing(Generic[S]):
    """A state that never parks (Pass, Choice, Succeed, Fail): entering it is all it does."""

    def __init__(self, enter: Callable[[str, S, Json, Run], Step]) -> None:
        self._enter = enter

    def enter(self, name: str, state: S, raw_input: Json, run: Run) -> Step:
        """Run the state (see its module)."""
        return self._enter(name, state, raw_input, run)


def doubling_gap(base: int, resent: int, settings: Settings) -> int:
    """``base`` doubled for each re-send so far, up to the sweeper's cap: a task may
    legitimately run longer than its lease (a callback a person answers)."""
    gap: int = min(base * 2 ** min(resent, 32), settings.sweep_max_backoff_seconds)
    return gap


def wake_not_for(wake: Wake, name: str) -> Ignore:
    """A wake-up whose purpose does not apply to state ``name``."""
    return Ignore(f"a {wake.purpose} wake-up does not apply to state {name!r}")


def committed_at(execution: Execution) -> datetime:
    """When ``execution`` was committed (a committed head always says)."""
    assert execution.updated_at is not None, "a committed head carries its commit time"
    return execution.updated_at
