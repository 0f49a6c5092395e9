"""The interfaces the engine's shell talks to; boto3 lives only behind them, in adapters."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Protocol

from steplane.definition.loader import Definition
from steplane.execution import Execution, ExecutionStatus
from steplane.interpreter.decisions import HistoryEvent
from steplane.jsontypes import Json
from steplane.messages import OutboundMessage


class Clock(Protocol):
    """Tells the time. Injected, so tests and the local runtime can skip time."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)


class CommitOutcome(Enum):
    """How a conditional commit ended."""

    COMMITTED = "committed"
    STALE = "stale"  # the head had moved on: another decision won; acknowledge the input
    # Another copy of this same input committed this transition: acknowledge, send nothing
    # (the commands it implies are the winner's to send, with the winner's task nonce).
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class HistoryPage:
    """A page of history events and the token of the next page, if any."""

    events: list[HistoryEvent]
    next_token: str | None


class SweepIndex(Protocol):
    """Finds executions someone must look at, and keeps their items' retention."""

    def due(self, now: datetime, limit: int) -> Iterator[str]:
        """Up to ``limit`` ids of executions due at ``now`` (the index may be stale: re-read)."""
        ...

    def defer(self, head: Execution, sweep_at: datetime) -> None:
        """Record a re-send at ``head``'s version and look again at ``sweep_at``."""
        ...

    def keep_items(self, head: Execution, now: datetime) -> Execution:
        """Extend the retention of ``head``'s items if that is due; the head as it is now."""
        ...


@dataclass(frozen=True)
class LaneRecord:
    """Where one lane of a fan-out is: its current child ``pos`` (``>= total``: the lane
    has ended), how many of its children failed, the first that did, and the items those
    carried (``failed_items``: a Map Run's failed batch counts all its items; None: one
    each)."""

    lane: int
    pos: int
    failed: int = 0
    first_failed: int | None = None
    failed_items: int | None = None
    # Whether this record is the caller's own move (``LaneStore.advance`` succeeded), not
    # the lane as another mover left it: only the mover counts the move.
    moved: bool = field(default=False, compare=False)

    @property
    def items_failed(self) -> int:
        """The items its failed children carried (what tolerated failures count)."""
        return self.failed if self.failed_items is None else self.failed_items


class LaneStore(Protocol):
    """The lanes of fan-outs (see steplane.adapters.dynamodb_lanes)."""

    def get(self, parent_id: str, visit: int, lane: int) -> LaneRecord | None:
        """The lane's record, read strongly consistent (None before its first launch)."""
        ...

    def open(self, parent_id: str, visit: int, lane: int, expiry: int) -> LaneRecord:
        """The lane's record, made at its first child if it is absent."""
        ...

    def advance(
        self,
        parent_id: str,
        visit: int,
        record: LaneRecord,
        lanes: int,
        *,
        failed: bool,
        weight: int = 1,
        expiry: int | None = None,
    ) -> LaneRecord:
        """Move the lane from its ended child to the next, on condition it is where
        ``record`` says (a failed child adds its ``weight`` in items to the lane's
        failures; a lane's first move makes its record, expiring at ``expiry``); the lane
        as it is now."""
        ...

    def all(self, parent_id: str, visit: int) -> list[LaneRecord]:
        """Every lane record of the visit, read strongly consistent."""
        ...

    def count(
        self, parent_id: str, visit: int, *, ended: int, failed: int, expiry: int
    ) -> tuple[int, int]:
        """Add to the visit's count of ended lanes and failed items; the counts now."""
        ...

    def claim_wake(self, parent_id: str, visit: int, expiry: int) -> bool:
        """Claim the visit's fan-in wake-up: True for the first caller only."""
        ...

    def attempt(self, parent_id: str, visit: int, kind: str, expiry: int) -> int:
        """Count one more attempt of ``kind`` (a Map Run's read, its export); the count."""
        ...


class ChildInputStore(Protocol):
    """A Map Run's stored child inputs (see steplane.adapters.dynamodb_inputs)."""

    def put_all(
        self, parent_id: str, visit: int, inputs: list[Json], weights: list[int], expiry: int
    ) -> None:
        """Store each child's input and weight, each only if it is not stored yet
        (InputsChangedError: an earlier read of the visit stored other inputs)."""
        ...

    def get(self, parent_id: str, visit: int, index: int) -> tuple[Json, int]:
        """Child ``index``'s input and weight (KeyError: none stored)."""
        ...

    def get_many(self, parent_id: str, visit: int, indexes: list[int]) -> dict[int, Json]:
        """The stored inputs of ``indexes`` that exist."""
        ...


class ObjectStore(Protocol):
    """S3, for a distributed Map's items and results (see steplane.adapters.s3_objects)."""

    def get(self, bucket: str, key: str, version: str | None = None) -> bytes:
        """The object's bytes (ObjectStoreError: it cannot be read)."""
        ...

    def list(self, bucket: str, prefix: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The ``Contents`` entries of the objects under ``prefix``, in key order, at most
        ``limit`` (ObjectStoreError: they cannot be listed)."""
        ...

    def put(self, bucket: str, key: str, body: bytes) -> None:
        """Write the object (ObjectStoreError: it cannot be written)."""
        ...


class InputsChangedError(Exception):
    """A Map Run's items, read again (after a crash), differ from those its first read
    stored: the source changed meanwhile. The message says so."""


class ObjectStoreError(Exception):
    """S3 refused a read or write for a reason a retry will not change (no such bucket or
    key, access denied): the message says which."""


@dataclass(frozen=True)
class ListFilter:
    """What a list asks for (every field optional; the dates bound the start date:
    ``started_after`` inclusive, ``started_before`` exclusive)."""

    workflow: str | None = None
    status: ExecutionStatus | None = None
    business_key: str | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None


@dataclass(frozen=True)
class ListPage:
    """One page of the list, newest first: plain dicts in API shape."""

    executions: list[dict[str, Any]]
    next_token: str | None


class ExecutionListing(Protocol):
    """The executions list (steplane.adapters.dynamodb_listing)."""

    def query(self, wanted: ListFilter, next_token: str | None, max_results: int) -> ListPage:
        """Up to ``max_results`` executions matching ``wanted``, newest first."""
        ...


class WorkflowRegistry(Protocol):
    """Published workflows and their revisions (steplane.adapters.dynamodb_workflows)."""

    def page(
        self, next_token: str | None, max_results: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of workflows by name, and the next page's token."""
        ...

    def describe(self, workflow: str) -> dict[str, Any] | None:
        """A workflow's current definition and its revisions (None: not published)."""
        ...


class StateStatsStore(Protocol):
    """Per-state statistics (steplane.adapters.dynamodb_stats)."""

    def read(self, workflow: str, since: datetime, until: datetime) -> list[tuple[str, Any]]:
        """Every (state, tally) of ``workflow`` in the window's hours."""
        ...


class ExecutionStore(Protocol):
    """Execution heads, their history, and published definitions."""

    @property
    def sweep(self) -> SweepIndex:
        """The sweep index of these executions."""
        ...

    @property
    def lanes(self) -> LaneStore:
        """The lanes of fan-outs."""
        ...

    @property
    def workflows(self) -> WorkflowRegistry:
        """Published workflows."""
        ...

    @property
    def stats(self) -> StateStatsStore:
        """Per-state statistics."""
        ...

    @property
    def listing(self) -> ExecutionListing:
        """The executions list."""
        ...

    @property
    def child_inputs(self) -> ChildInputStore:
        """A Map Run's stored child inputs."""
        ...

    def child_expiry(self, parent: Execution) -> int:
        """``expiresAt`` of an item written now for ``parent`` (a lane record)."""
        ...

    def get_head(self, execution_id: str) -> Execution | None:
        """The head, read strongly consistent, or None."""
        ...

    def pending_attempt(self, execution_id: str) -> tuple[int, str] | None:
        """``(version, nonce)`` of the task attempt a running execution waits for, or None."""
        ...

    def get_heads(self, execution_ids: Sequence[str]) -> dict[str, Execution]:
        """The heads of those of ``execution_ids`` that exist, read strongly consistent."""
        ...

    def execution_input(self, head: Execution) -> Json:
        """The input ``head``'s execution started with."""
        ...

    def record_heartbeat(self, head: Execution, heartbeat_at: datetime) -> bool:
        """Move the pending attempt's heartbeat deadline to ``heartbeat_at``, on condition
        that ``head`` is current; False when it is not (the attempt has closed)."""
        ...

    def claim_call(self, head: Execution, until: datetime, now: datetime) -> bool:
        """Claim the pending attempt's integration call until ``until`` (False: the head
        moved on, the callback's call was made, or a live claim is held elsewhere)."""
        ...

    def record_submitted(self, head: Execution) -> bool:
        """Mark the pending attempt's callback call as made (False: the head moved on)."""
        ...

    def commit(
        self, previous: Execution | None, execution: Execution, events: Sequence[HistoryEvent]
    ) -> CommitOutcome:
        """Append ``events`` and move the head from ``previous`` to ``execution`` (version + 1).

        With ``previous`` None the execution is created, unless one with its id exists
        (then STALE).

        Raises:
            ConcurrentDecisionError: another decision for the same version is in flight.
        """
        ...

    def history(self, head: Execution, next_token: str | None, max_events: int) -> HistoryPage:
        """A page of the history up to ``head`` (read by the caller), oldest first."""
        ...

    def events_newest_first(self, head: Execution) -> Iterator[HistoryEvent]:
        """The execution's events, newest first (read lazily)."""
        ...

    def put_definition(self, definition: Definition) -> None:
        """Store a definition under its content hash (idempotent)."""
        ...

    def get_definition(self, definition_hash: str) -> Definition | None:
        """A stored definition by content hash."""
        ...

    def publish(
        self, workflow: str, definition_hash: str, published_at: datetime | None = None
    ) -> int:
        """Point ``workflow`` at a stored definition (a new revision, unless it is the
        current one); the revision."""
        ...

    def resolve_workflow(self, workflow: str) -> str | None:
        """The definition hash ``workflow`` points at, or None."""
        ...


class MessageBus(Protocol):
    """Sends queue messages."""

    def send(self, messages: Sequence[OutboundMessage]) -> None:
        """Send every message (a buffering bus may wait for :meth:`flush`), or raise."""
        ...

    def flush(self) -> None:
        """Send whatever is buffered now (nothing to do for a bus that does not buffer)."""
        ...
