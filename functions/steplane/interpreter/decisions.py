"""What the interpreter decides: imperative values the shell persists, then carries out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from steplane.execution import Execution
from steplane.interpreter.signals import WakePurpose
from steplane.jsontypes import Json


@dataclass(frozen=True)
class HistoryEvent:
    """One history event, in Step Functions' vocabulary (``TaskStateEntered``, ...)."""

    id: int
    type: str
    timestamp: datetime
    state: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DispatchTask:
    """Send the current task attempt to its worker queue, after ``delay_seconds``."""

    route: str
    action: str
    resource: str | None
    token: str
    input: Json
    attempt: int
    idempotency_key: str
    delay_seconds: int = 0
    # When the attempt times out (TimeoutSeconds), if it can.
    deadline: datetime | None = None
    # The role the state's Credentials name, for the worker to assume (see TaskMessage).
    role_arn: str | None = None


@dataclass(frozen=True)
class WakeAt:
    """Come back to this execution at ``due_at`` (the shell re-arms delays beyond 900 s)."""

    due_at: datetime
    purpose: WakePurpose
    version: int


# Lanes one StepLanes or abort message covers: a step of 25 lanes fits one invocation.
LANES_PER_MESSAGE = 25


def lane_batches(lanes: int) -> Iterator[tuple[int, int]]:
    """``(first, last)`` of each message's lanes, ``LANES_PER_MESSAGE`` to a message."""
    for first in range(0, lanes, LANES_PER_MESSAGE):
        yield first, min(first + LANES_PER_MESSAGE, lanes) - 1


@dataclass(frozen=True)
class StepLanes:
    """Move lanes ``first``..``last`` of a fan-out on: launch each lane's next child, or
    record that its child ended (``steplane.service``; idempotent, so a copy is harmless).

    ``parent`` is the execution that fanned out, at its visit ``visit`` of the state;
    ``ended`` is the item whose child just ended on the lane, when a child sends it (the
    lane's record is then expected there, and read only if it is not). ``read``: a
    distributed Map's items are to be read first (lane 0's step does it).
    """

    parent: str
    visit: int
    first: int
    last: int
    ended: int | None = None
    read: bool = False


@dataclass(frozen=True)
class AbortChildren:
    """Stop the running children of ``parent``'s visit ``visit`` (its state was left
    before they all ended): each is aborted, its pending task results then ignored."""

    parent: str
    visit: int
    lanes: int


@dataclass(frozen=True)
class NotifyCaller:
    """A nested execution ended: tell the parent task waiting on it (``caller``, a
    ``states:startExecution.sync`` attempt's token), which reads how it ended."""

    task_token: str
    pattern: str


@dataclass(frozen=True)
class StopExecution:
    """Stop the execution ``execution_id``: a nested execution its parent's
    ``startExecution.sync`` task no longer waits for ("if a states:startExecution.sync
    task is aborted, it will call the Step Functions StopExecution API action")."""

    execution_id: str
    cause: str
    # The attempt that started it: only an execution started for it is stopped.
    task_token: str


Command = DispatchTask | WakeAt | StepLanes | AbortChildren | NotifyCaller | StopExecution


@dataclass(frozen=True)
class Transition:
    """Commit ``execution`` (one version on), append ``events``, then run ``commands``."""

    execution: Execution
    events: tuple[HistoryEvent, ...]
    commands: tuple[Command, ...]


@dataclass(frozen=True)
class Rearm:
    """Nothing to commit; send ``commands`` (a wake that came early, a retry now due)."""

    commands: tuple[Command, ...]


@dataclass(frozen=True)
class Ignore:
    """The signal is stale or a duplicate; acknowledge it and do nothing."""

    reason: str


Decision = Transition | Rearm | Ignore
