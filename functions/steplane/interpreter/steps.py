"""What running one state yields: go on, finish, fail, or park until a signal arrives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from steplane.errors import TRANSITION_LIMIT_EXCEEDED
from steplane.execution import FanOut, TaskAttempt, WaitUntil
from steplane.jsontypes import Json

# What leaving a state assigns to variables (its Assign field's values), if anything.
Assigned = Mapping[str, Json] | None


@dataclass(frozen=True)
class Goto:
    """Leave the state with ``output``; it becomes the raw input of ``next``."""

    next: str
    output: Json
    assigned: Assigned = None


@dataclass(frozen=True)
class Finish:
    """Leave the state and end the execution successfully with ``output``."""

    output: Json
    assigned: Assigned = None


@dataclass(frozen=True)
class Fail:
    """The state failed with an ASL error that nothing in this state handles."""

    error: str | None
    cause: str | None


def transition_limit_failure(limit: int) -> Fail:
    """The failure of an execution that made ``limit`` transitions and needs another."""
    return Fail(
        TRANSITION_LIMIT_EXCEEDED,
        f"the execution made {limit} state transitions, its limit (STEPLANE_MAX_TRANSITIONS, "
        "steplane run --max-transitions); a loop that never ends? Raise the limit if the "
        "workflow really needs more",
    )


@dataclass(frozen=True)
class Park:
    """Stay in the state until what ``waiting`` names (a task result, a moment) arrives.

    ``reentry`` is False for a retry: the state visit (and its idempotency key) goes on.
    """

    waiting: TaskAttempt | WaitUntil | FanOut
    reentry: bool = True


Step = Goto | Finish | Fail | Park


def leave(next_state: str | None, output: Json, assigned: Assigned = None) -> Goto | Finish:
    """Go to ``next_state``, or finish when the state has ``End: true``."""
    if next_state is None:
        return Finish(output, assigned)
    return Goto(next_state, output, assigned)
