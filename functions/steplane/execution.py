"""The execution head: the small, versioned record of where an execution stands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from steplane.jsontypes import JsonValue


class _NotLoaded:
    """The value of ``Execution.input`` when the input was not loaded (see there)."""

    def __repr__(self) -> str:
        return "NOT_LOADED"


NOT_LOADED = _NotLoaded()


class ExecutionStatus(StrEnum):
    """Execution statuses, spelled as Step Functions spells them."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"

    @property
    def is_terminal(self) -> bool:
        """Whether nothing more will happen to an execution in this status."""
        return self is not ExecutionStatus.RUNNING


@dataclass(frozen=True)
class TaskAttempt:
    """What a head parked in a Task waits for: one attempt of its task.

    Attributes:
        number: the attempt (1 for the first; each retry adds one).
        retry_counts: the retries used so far, per Retrier of the state.
        nonce: proves a result belongs to this attempt (it is in the attempt's token).
        dispatch_at: when a delayed retry is to be dispatched (None: at once).
        timeout_at: when the attempt times out (TimeoutSeconds), if it can.
        heartbeat_seconds: the attempt's HeartbeatSeconds, if it has one.
        heartbeat_at: when it times out unless a heartbeat comes first (each heartbeat
            moves it on by ``heartbeat_seconds``).
        submitted: a ``.waitForTaskToken`` integration made its call for this attempt;
            the attempt now waits for its token only (a re-sent dispatch calls no more).
    """

    number: int
    retry_counts: tuple[int, ...]
    nonce: str
    dispatch_at: datetime | None = None
    timeout_at: datetime | None = None
    heartbeat_seconds: int | None = None
    heartbeat_at: datetime | None = None
    submitted: bool = False

    def has_timed_out(self, now: datetime) -> bool:
        """Whether the attempt's TimeoutSeconds, or its heartbeat, has lapsed at ``now``."""
        return self.lapsed(now) is not None

    def lapsed(self, now: datetime) -> str | None:
        """``"timeout"`` or ``"heartbeat"`` when that has lapsed at ``now``, else None."""
        if self.timeout_at is not None and now >= self.timeout_at:
            return "timeout"
        if self.heartbeat_at is not None and now >= self.heartbeat_at:
            return "heartbeat"
        return None


@dataclass(frozen=True)
class WaitUntil:
    """What a head parked in a Wait waits for: the moment it ends."""

    due_at: datetime


@dataclass(frozen=True)
class FanOut:
    """What a head parked in a Parallel or a Map waits for: its child executions, one per
    branch or item, run on ``lanes`` lanes (at most that many at once).

    The visit is the head's ``entered_version``: it names the children
    (steplane.names.child_execution_id), so a later visit of the same state has others.

    Attributes:
        total: how many children (branches, items).
        lanes: how many run at once (lane j runs items j, j + lanes, ...).
        attempt: the attempt (1 for the first; each retry of the state adds one).
        retry_counts: the retries used so far, per Retrier of the state.
        launch_at: when a delayed retry's children are to be launched (None: at once).
        reading: a distributed Map's items are being read (``total`` and ``lanes`` are 0
            until they are): the shell reads them, stores each child's input, then tells
            the parent how many there are.
        stored: each child's input is a stored record (a distributed Map's), not worked
            out again from the parent's head.
        tolerated_count, tolerated_percentage: the failed items the visit tolerates
            (``ToleratedFailureCount``/``Percentage``; neither: none).
        items: the items the children carry in all (a Map Run's batches carry several;
            None: one each), of which the tolerated percentage is taken.
    """

    total: int
    lanes: int
    attempt: int = 1
    retry_counts: tuple[int, ...] = ()
    launch_at: datetime | None = None
    reading: bool = False
    stored: bool = False
    tolerated_count: int | None = None
    tolerated_percentage: float | None = None
    items: int | None = None

    @property
    def tolerates_failures(self) -> bool:
        """Whether a failed child leaves the others running (its lane goes on)."""
        return bool(self.tolerated_count) or bool(self.tolerated_percentage)

    def over_tolerance(self, failed: int) -> bool:
        """Whether ``failed`` failed items fail the visit. The guide: the Map Run "fails if
        it exceeds" ToleratedFailureCount; the percentage is "failed or timed out items
        divided by the total number of items" (a failed batch's items all count: "If one
        of the executions fails and the other succeeds, you'll have 50 successful and 50
        failed items"); "If you specify both values, the workflow fails when it exceeds
        either value"; with neither, any failure fails it."""
        if self.tolerated_count is None and self.tolerated_percentage is None:
            return failed > 0
        if self.tolerated_count is not None and failed > self.tolerated_count:
            return True
        percentage = self.tolerated_percentage
        items = self.total if self.items is None else self.items
        return percentage is not None and failed * 100 > percentage * items


@dataclass(frozen=True)
class ChildOf:
    """Where a child execution belongs: the parent, the state and visit that fanned it
    out, and its place there (branch or item ``index``, on lane ``index % lanes``).

    ``weight``: the items it carries (a Map Run's batch: its size). ``own_context``: it is
    an execution of its own (a Map Run's child): its ``$$.Execution`` input is its own
    input, not its root's. ``context``: the execution whose input is its
    ``$$.Execution.Input`` when that is neither its own nor its root's (a branch inside a
    Map Run's child: the Map Run's child).
    """

    execution_id: str
    state: str
    visit: int
    index: int
    lanes: int
    total: int
    weight: int = 1
    own_context: bool = False
    context: str | None = None

    def input_source(self, child_id: str) -> str:
        """The execution whose first history item holds this child's
        ``$$.Execution.Input``."""
        if self.own_context:
            return child_id
        return self.context or child_id.split("/", 1)[0]

    @property
    def lane(self) -> int:
        """The lane the child runs on."""
        return self.index % self.lanes


@dataclass(frozen=True)
class Caller:
    """The task a nested execution reports its end to: a parent's
    ``states:startExecution.sync`` (or ``.sync:2``) attempt, by its token."""

    task_token: str
    pattern: str


@dataclass(frozen=True)
class Consumed:
    """What the engine's own transitions of an execution consumed so far (its cost): the
    DynamoDB write units of their history items and heads, the strongly consistent head
    reads that decided them, and the messages they sent (each one handler invocation).
    Payload items, fan-out bookkeeping, sweeps and workers' own work are not counted."""

    write_units: int = 0
    read_units: int = 0
    messages: int = 0


# What a running head waits for: a task attempt, a moment, its children, or nothing (a
# long Pass/Choice chain that yielded, or an execution that has ended).
Waiting = TaskAttempt | WaitUntil | FanOut | None


@dataclass(frozen=True)
class Execution:
    """The execution head. Every change produces a new value with ``version + 1``.

    ``data`` is the raw input of the current state while running (ResultPath merges a
    task result into it) and the execution output once it has succeeded.
    """

    execution_id: str
    workflow: str
    name: str
    definition_hash: str
    input_hash: str
    start_date: datetime
    status: ExecutionStatus = ExecutionStatus.RUNNING
    version: int = 0
    state: str | None = None
    data: JsonValue = None
    # The current state was entered at this version: the anchor of the task idempotency key.
    entered_version: int = 0
    # ... and at this moment ($$.State.EnteredTime).
    entered_at: datetime | None = None
    # The workflow variables ($name), as the states assigned them so far.
    variables: Mapping[str, JsonValue] = field(default_factory=dict)
    # What the current state waits for (see Waiting).
    waiting: Waiting = None
    # When the execution times out (the definition's top-level TimeoutSeconds), if it can.
    deadline: datetime | None = None
    # A child execution's place (a Parallel's branch, a Map's item); None for the others.
    parent: ChildOf | None = None
    # A nested execution's waiting parent task (states:startExecution.sync), if any.
    caller: Caller | None = None
    event_count: int = 0
    stop_date: datetime | None = None
    error: str | None = None
    cause: str | None = None
    # Names the input that produced this version, so a redelivered copy of that input is
    # recognised after a crash and the version's follow-up messages are sent again.
    decision_id: str | None = None
    # When this version was committed (the deciding clock's reading).
    updated_at: datetime | None = None
    # States entered so far, retries included: what the transition limit counts.
    transitions: int = 0
    # When the sweeper should look at this execution: the moment its expected progress is
    # overdue (steplane.interpreter.sweep). None once it has ended.
    sweep_at: datetime | None = None
    # How often the sweeper has re-sent this version's commands (its re-sends back off).
    sweep_count: int = 0
    # Storage bookkeeping the core only carries: the execution's items other than the
    # head are kept (DynamoDB TTL) at least until then (steplane.adapters.dynamodb_store).
    children_expire_at: datetime | None = None
    # What operators find the execution by (the start request's ``businessKey``), if given.
    business_key: str | None = None
    # How often it was redriven ($$.Execution.RedriveCount), and when last.
    redrive_count: int = 0
    redriven_at: datetime | None = None
    # What its transitions consumed so far (steplane.pricing prices it).
    consumed: Consumed = field(default_factory=Consumed)
    # The execution's input ($$.Execution.Input). Never stored in the head item: the
    # engine loads it from the history only for definitions that read it.
    input: JsonValue | _NotLoaded = field(default=NOT_LOADED, compare=False, repr=False)

    @property
    def input_loaded(self) -> bool:
        """Whether ``input`` holds the execution's input (see ``input``)."""
        return self.input is not NOT_LOADED

    @property
    def task_attempt(self) -> TaskAttempt | None:
        """The pending task attempt, if the head waits for one."""
        return self.waiting if isinstance(self.waiting, TaskAttempt) else None

    @property
    def fan_out(self) -> FanOut | None:
        """The children the head waits for, if it is parked in a Parallel or a Map."""
        return self.waiting if isinstance(self.waiting, FanOut) else None

    @property
    def due_at(self) -> datetime | None:
        """When the head's wait ends: a Wait's end, or a delayed retry's dispatch."""
        if isinstance(self.waiting, WaitUntil):
            return self.waiting.due_at
        if isinstance(self.waiting, FanOut):
            return self.waiting.launch_at
        return self.waiting.dispatch_at if self.waiting is not None else None
