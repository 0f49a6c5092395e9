"""What can happen to an execution: the inputs of :func:`steplane.interpreter.engine.decide`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from steplane.jsontypes import Json


@dataclass(frozen=True)
class Begin:
    """The execution starts with ``input``."""

    input: Json


@dataclass(frozen=True)
class TaskResult:
    """A worker finished the attempt identified by ``version`` and ``nonce``.

    ``error`` is None for a success (then ``output`` is the result).
    """

    version: int
    nonce: str
    started_at: datetime | None = None
    output: Json = None
    error: str | None = None
    cause: str | None = None

    @property
    def succeeded(self) -> bool:
        """Whether the task succeeded."""
        return self.error is None


class WakePurpose(StrEnum):
    """Why a delayed wake-up message was sent."""

    WAIT = "wait"  # a Wait state's time is up
    RETRY = "retry"  # a retry delayed beyond SQS's 900 s is due for dispatch
    TIMEOUT = "timeout"  # a task attempt's TimeoutSeconds has passed
    HEARTBEAT = "heartbeat"  # a task attempt's heartbeat deadline (if not moved on) is due
    CONTINUE = "continue"  # a long Pass/Choice chain yielded; carry on
    # The definition's top-level TimeoutSeconds has passed (whatever the version).
    EXECUTION_TIMEOUT = "execution-timeout"
    # A fan-out's children may all have ended, or one failed: count them.
    FAN_IN = "fan-in"


@dataclass(frozen=True)
class Wake:
    """A delayed message came back for ``version``."""

    version: int
    purpose: WakePurpose


@dataclass(frozen=True)
class ChildEnded:
    """How one child execution of a fan-out ended: its output, or its error and cause."""

    index: int
    succeeded: bool
    output: Json = None
    error: str | None = None
    cause: str | None = None
    # How it ended (FAILED, TIMED_OUT, ABORTED), when the shell read it.
    status: str | None = None


@dataclass(frozen=True)
class FanIn:
    """The children of the fan-out the head visits (``visit``), as the store shows them:
    every one ended (``results``, in index order), or failures (``failures``, in the
    order the shell found them; their ``failed`` count in all)."""

    visit: int
    results: tuple[ChildEnded, ...] | None = None
    failures: tuple[ChildEnded, ...] = ()
    failed: int = 0
    # Where a distributed Map's ResultWriter wrote the children's results (its
    # ``ResultWriterDetails``), when it has one.
    written: dict[str, Json] | None = None
    # The visit itself failed (its ResultWriter could not write): the error and cause.
    error: str | None = None
    cause: str | None = None


@dataclass(frozen=True)
class ItemsRead:
    """A distributed Map's items for the visit ``visit`` were read and each child's input
    stored: ``total`` children carrying ``items`` items (more when batched); or they
    could not be (``error``)."""

    visit: int
    total: int = 0
    items: int = 0
    error: str | None = None
    cause: str | None = None


@dataclass(frozen=True)
class Abort:
    """Stop the execution now (a child whose parent left its fan-out): it ends ABORTED."""

    error: str | None = None
    cause: str | None = None


@dataclass(frozen=True)
class Redrive:
    """Run an execution that ended FAILED, TIMED_OUT or ABORTED again, from ``state`` with
    ``input`` (by default the state that did not succeed and the input it was entered
    with: the shell finds them in the history). ``details``: what the
    ``ExecutionRedriven`` event records beyond the redrive count (an operator's choices)."""

    state: str
    input: Json
    details: Mapping[str, Json] = field(default_factory=dict)


Signal = Begin | TaskResult | Wake | FanIn | ItemsRead | Abort | Redrive
