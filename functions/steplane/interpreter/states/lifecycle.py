"""One state type's whole life behind one protocol; ``decide`` only dispatches to it.

A state type answers four questions for the engine, each from the head alone:
- ``enter``: what entering it does (go on, finish, fail, or park waiting for something);
- ``on_task_result`` and ``on_wake``: what a signal does to it while it is the current
  state, as a :data:`Reaction`;
- ``pending``: the messages that must be in flight for it to move on (derived, never
  stored: after a crash they are derived again);
- ``overdue_at`` and ``resend_base_seconds``: when the sweeper should look at it if it
  has not moved, and how far apart its re-sends start.

A new state type is one module with its lifecycle plus a line in the registry
(``steplane.interpreter.states``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from steplane.execution import Execution
from steplane.interpreter.decisions import Command, Ignore, Rearm, WakeAt
from steplane.interpreter.run import Run
from steplane.interpreter.signals import TaskResult, Wake, WakePurpose
from steplane.interpreter.steps import Step
from steplane.jsontypes import Json
from steplane.settings import Settings

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


class StateLifecycle(Protocol[S_contra]):
    """What a state type does over its whole life (see the module docstring)."""

    def enter(self, name: str, state: S_contra, raw_input: Json, run: Run) -> Step:
        """Enter the state with ``raw_input``."""
        ...

    def on_task_result(self, name: str, state: S_contra, result: TaskResult, run: Run) -> Reaction:
        """A worker's result arrived while this state is current."""
        ...

    def on_wake(self, name: str, state: S_contra, wake: Wake, run: Run) -> Reaction:
        """A wake-up for the head's version arrived while this state is current."""
        ...

    def pending(self, state: S_contra, execution: Execution, now: datetime) -> tuple[Command, ...]:
        """The messages that must be in flight for the execution to move on from here."""
        ...

    def overdue_at(self, state: S_contra, execution: Execution, settings: Settings) -> datetime:
        """When the execution, just committed in this state, is overdue if it has not moved."""
        ...

    def resend_base_seconds(self, settings: Settings) -> int:
        """The first gap between two sweeper re-sends (each re-send doubles it)."""
        ...


class Flowing(Generic[S]):
    """A state that never waits for anything outside the decision (Pass, Choice, Succeed,
    Fail). It is the current state of a running head only when a long chain yielded: a
    CONTINUE wake-up then runs on from it."""

    def __init__(self, enter: Callable[[str, S, Json, Run], Step]) -> None:
        self._enter = enter

    def enter(self, name: str, state: S, raw_input: Json, run: Run) -> Step:
        """Run the state (see its module)."""
        return self._enter(name, state, raw_input, run)

    def on_task_result(self, name: str, state: S, result: TaskResult, run: Run) -> Reaction:
        """No task is pending here."""
        return Ignore("the result is for a task attempt that is no longer pending")

    def on_wake(self, name: str, state: S, wake: Wake, run: Run) -> Reaction:
        """A CONTINUE wake-up runs the chain on; any other is not for this state."""
        if wake.purpose is WakePurpose.CONTINUE:
            return Resume()
        return wake_not_for(wake, name)

    def pending(self, state: S, execution: Execution, now: datetime) -> tuple[Command, ...]:
        """The CONTINUE wake-up that carries the chain on."""
        return (WakeAt(now, WakePurpose.CONTINUE, execution.version),)

    def overdue_at(self, state: S, execution: Execution, settings: Settings) -> datetime:
        """The commit plus the grace."""
        return committed_at(execution) + timedelta(seconds=settings.sweep_grace_seconds)

    def resend_base_seconds(self, settings: Settings) -> int:
        """The sweep grace."""
        return settings.sweep_grace_seconds


def wake_not_for(wake: Wake, name: str) -> Ignore:
    """A wake-up whose purpose does not apply to state ``name``."""
    return Ignore(f"a {wake.purpose} wake-up does not apply to state {name!r}")


def committed_at(execution: Execution) -> datetime:
    """When ``execution`` was committed (a committed head always says)."""
    assert execution.updated_at is not None, "a committed head carries its commit time"
    return execution.updated_at
