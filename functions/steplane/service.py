"""The engine's application layer: read the head, decide, commit, send.

Invariants this module keeps:
- DynamoDB is the truth. A message only names an execution and what it expects; the
  head is re-read and the pure interpreter decides.
- Commit before send: a crash after the commit leaves the input unacknowledged; its
  redelivery finds the head carrying its own decision id and re-sends the commands the
  head implies (they are derived from the head, so nothing else is stored).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING

from steplane.definition.loader import Definition, canonical_json
from steplane.errors import (
    ConcurrentDecisionError,
    ExecutionAlreadyExistsError,
    ExecutionNotFoundError,
    PayloadTooLargeError,
    StatesError,
    TaskClosedError,
    WorkflowNotFoundError,
)
from steplane.execution import Caller, Execution
from steplane.interpreter.decisions import Command, Ignore, Rearm, Transition
from steplane.interpreter.engine import decide
from steplane.interpreter.pending import pending_commands
from steplane.interpreter.signals import Abort, Begin, Signal, TaskResult, Wake, WakePurpose
from steplane.interpreter.sweep import next_sweep
from steplane.interpreter.tokens import decode_task_token
from steplane.limits import MAX_PAYLOAD_BYTES, utf8_size
from steplane.messages import (
    AbortMessage,
    LanesMessage,
    OutboundMessage,
    StartRequest,
    StopMessage,
    TaskResultMessage,
    WakeMessage,
)
from steplane.names import check_name
from steplane.names import execution_id as make_execution_id
from steplane.ports import (
    Clock,
    CommitOutcome,
    ExecutionStore,
    MessageBus,
    ObjectStore,
    ObjectStoreError,
)
from steplane.routing import Routes
from steplane.settings import DEFAULT_SETTINGS, Settings
from steplane.states import stoppable

if TYPE_CHECKING:
    from steplane.fanning import FanOutShell
    from steplane.redriving import RedriveChoice

# A sweep stops when less than this is left of its invocation (it is scheduled each minute).
SWEEP_MARGIN_SECONDS = 10.0


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did: executions re-sent, those it could not sweep (id, error), and
    whether it went through everything due (False: it stopped for time)."""

    resent: int = 0
    failed: tuple[tuple[str, str], ...] = ()
    complete: bool = True


class Outcome(StrEnum):
    """What handling one input did (for logs, metrics and tests)."""

    COMMITTED = "committed"  # a transition was applied
    REARMED = "rearmed"  # nothing to commit; messages re-sent (early wake-up, retry due)
    RESENT = "resent"  # a redelivered input found its transition committed; messages re-sent
    DUPLICATE = "duplicate"  # a copy of an input already applied
    IGNORED = "ignored"  # stale for the head (a past version, an old attempt, a finished execution)
    STALE = "stale"  # lost a race to another decision for the same version
    HEARTBEAT = "heartbeat"  # a heartbeat moved a task attempt's deadline on


@dataclass(frozen=True)
class Delivery:
    """An input's decision id and whether the queue says it is a redelivery.

    The decision id is derived from the input's content (see ``content_id``), not from
    the queue's message id: a copy that was dead-lettered and redriven, or sent twice,
    has a new message id but is the same input, and must find its own commit.
    """

    decision_id: str
    redelivered: bool = False


def content_id(body: str) -> str:
    """A decision id for a queued input: a digest of its body, the same for every copy."""
    return "m:" + hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def input_hash(value: object) -> str:
    """Hash an execution input; a repeated start compares inputs by this."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


class Engine:
    """Starts and advances executions. Stateless between calls; safe to call concurrently."""

    def __init__(
        self,
        store: ExecutionStore,
        bus: MessageBus,
        routes: Routes,
        clock: Clock,
        new_id: Callable[[], str],
        *,
        settings: Settings = DEFAULT_SETTINGS,
        objects: Callable[[], ObjectStore] | None = None,
    ) -> None:
        self._store = store
        self._bus = bus
        self._routes = routes
        self._clock = clock
        self._new_id = new_id
        self._settings = settings
        # S3 for a distributed Map's ItemReader and ResultWriter, made on first use.
        self._objects = objects or _no_objects
        self._definitions: dict[str, Definition] = {}

    def start(self, request: StartRequest, caller: Caller | None = None) -> tuple[Execution, bool]:
        """Start an execution, idempotently by name. Returns (head, created).

        ``caller``: the parent task a nested execution reports its end to
        (``states:startExecution.sync``); an existing execution keeps its own.

        Same name and same input returns the existing execution; same name and a
        different input raises ExecutionAlreadyExistsError (HTTP 409).

        Raises:
            InvalidNameError: the workflow or execution name breaks the naming rule.
            PayloadTooLargeError: the input is above the 256 KiB limit.
            WorkflowNotFoundError: the workflow is not published.
            ExecutionAlreadyExistsError: the name is taken by a start with another input.
        """
        # Step Functions' naming rule: no ':' above all, since an execution id is
        # "{workflow}:{name}" (a 400 InvalidName, as StartExecution answers).
        check_name(request.workflow, "workflow name")
        if request.name is not None:
            check_name(request.name, "execution name")
        size = utf8_size(canonical_json(request.input))
        if size > MAX_PAYLOAD_BYTES:
            raise PayloadTooLargeError("the execution input", size, MAX_PAYLOAD_BYTES)
        definition_hash = self._store.resolve_workflow(request.workflow)
        if definition_hash is None:
            raise WorkflowNotFoundError(request.workflow)
        name = request.name or self._new_id()
        execution_id = make_execution_id(request.workflow, name)
        fresh = Execution(
            execution_id=execution_id,
            workflow=request.workflow,
            name=name,
            definition_hash=definition_hash,
            input_hash=input_hash(request.input),
            start_date=self._clock.now(),
            input=request.input,
            caller=caller,
            business_key=request.business_key,
        )
        # The input is part of the begin decision's id: two starts of one name with
        # different inputs are different decisions, so the second can never take over the
        # first's history item (H#1) while the first is between its two writes.
        begin_id = f"begin:{fresh.input_hash}"
        existing = self._store.get_head(execution_id)
        if existing is None:
            created = self._create(fresh, request, begin_id)
            if created is not None:
                return created, True
            existing = self._require(execution_id)  # a concurrent start with this name won
        if existing.input_hash != fresh.input_hash:
            raise ExecutionAlreadyExistsError(execution_id)
        if existing.decision_id == begin_id:
            # Still where it began: a retried start may follow one that died before sending.
            self._resend(existing, self.definition(existing.definition_hash), self._clock.now())
        return existing, False

    def _create(self, fresh: Execution, request: StartRequest, begin_id: str) -> Execution | None:
        """Commit an execution's first transition and send its commands (None: lost a race)."""
        # Created by its first transition: one head write, never a head without history.
        definition, now = self.definition(fresh.definition_hash), self._clock.now()
        decision = decide(
            definition,
            fresh,
            Begin(request.input),
            now,
            self._seed(begin_id),
            settings=self._settings,
        )
        assert isinstance(decision, Transition), "Begin always moves a new execution"
        created = replace(decision.execution, decision_id=begin_id)
        try:
            outcome = self._store.commit(None, created, decision.events)
        except ConcurrentDecisionError as error:
            if error.holder == begin_id:
                raise  # a copy of this same start is committing: retry, it will be found
            # A start of this name with another input holds H#1 and is still committing.
            raise ExecutionAlreadyExistsError(fresh.execution_id) from error
        if outcome is not CommitOutcome.COMMITTED:
            return None
        self._send(created, decision.commands, now)
        return created

    def accept_callback(self, message: TaskResultMessage) -> None:
        """Queue a callback's result for the attempt its token names, if it is still open.

        The result is committed by the TaskResultQueue consumer, like a worker's: one
        commit path, whose SQS redelivery heals a crash at any point.

        Raises:
            InvalidTaskTokenError: the token does not decode.
            ExecutionNotFoundError: it names no execution.
            TaskClosedError: the attempt already completed, failed or timed out.
            PayloadTooLargeError: the result is above the 256 KiB limit.
        """
        self.open_attempt(message.task_token)
        body = message.to_json()
        if (size := utf8_size(body)) > MAX_PAYLOAD_BYTES:
            raise PayloadTooLargeError("the task result", size, MAX_PAYLOAD_BYTES)
        self._bus.send([OutboundMessage(queue_url=self._routes.task_result_queue_url, body=body)])

    def heartbeat(self, task_token: str) -> None:
        """Record a heartbeat of the attempt ``task_token`` names: its HeartbeatSeconds
        count again from now (its TimeoutSeconds does not move: "The Timeout of a task
        ... is its maximum allowed duration, regardless of the number of
        SendTaskHeartbeat requests received"). An attempt without HeartbeatSeconds
        accepts heartbeats and nothing changes.

        Raises:
            InvalidTaskTokenError: the token does not decode.
            ExecutionNotFoundError: it names no execution.
            TaskClosedError: the attempt already completed, failed or timed out.
        """
        head = self.open_attempt(task_token)
        pending = head.task_attempt
        assert pending is not None  # open_attempt found it open
        if pending.heartbeat_seconds is None:
            return
        beat = self._clock.now() + timedelta(seconds=pending.heartbeat_seconds)
        if not self._store.record_heartbeat(head, beat):
            raise TaskClosedError(head.execution_id)  # it moved on meanwhile

    def open_attempt(self, task_token: str) -> Execution:
        """The head, when the task attempt ``task_token`` names is still open: its
        execution runs, waits for that very attempt (version and nonce), and the attempt
        has not timed out.

        Raises:
            InvalidTaskTokenError: the token does not decode.
            ExecutionNotFoundError: it names no execution.
            TaskClosedError: the attempt already completed, failed or timed out (a
                timed-out attempt's wake-up is on its way).
        """
        claim = decode_task_token(task_token)
        head = self._require(claim.execution_id)
        pending = head.task_attempt
        if head.status.is_terminal or pending is None:
            raise TaskClosedError(claim.execution_id)
        if (head.version, pending.nonce) != (claim.version, claim.nonce):
            raise TaskClosedError(claim.execution_id)
        if pending.has_timed_out(self._clock.now()):
            raise TaskClosedError(claim.execution_id)
        return head

    @cached_property
    def _fan_out(self) -> FanOutShell:
        """The shell of Parallel and Map, built (and imported) when a fan-out first needs
        it: most workflows never do, and every handler's cold start would pay for it."""
        from steplane.fanning import FanOutShell  # noqa: PLC0415 - on first fan-out

        return FanOutShell(
            self._store,
            send=self._send,
            settings=self._settings,
            definition=self.definition,
            with_input=self._with_input,
            seed=self._seed,
            objects=self._objects,
            resend=self._resend,
        )

    def wake(self, message: WakeMessage, delivery: Delivery) -> Outcome:
        """A delayed wake-up came back (Wait over, retry due, timeout, continue), or a
        fan-out's children may have ended (then the store's count is what decides)."""
        head = self._require(message.execution_id)
        if message.purpose is WakePurpose.FAN_IN:
            if head.decision_id == delivery.decision_id:
                # This wake already moved the parent; its sends may not have gone out.
                return self._apply(head, Wake(message.version, message.purpose), delivery)
            if message.version != head.version:
                return Outcome.IGNORED
            fan_in = self._fan_out.fan_in(head)
            if fan_in is None:
                return Outcome.IGNORED
            return self._apply(head, fan_in, delivery)
        return self._apply(head, Wake(message.version, message.purpose), delivery)

    def abort_children(self, message: AbortMessage) -> Outcome:
        """Stop the running children of a fan-out the parent has left."""
        aborted = self._fan_out.abort(message, self._clock.now())
        return Outcome.COMMITTED if aborted else Outcome.IGNORED

    def stop_execution(
        self, execution_id: str, error: str | None = None, cause: str | None = None
    ) -> Execution:
        """Stop an execution (StopExecution): it ends ABORTED with ``error`` and ``cause``;
        what it was waiting for (a task's result, a timer) is ignored when it comes, and
        what it started is stopped (its Parallel's and Map's children, a nested
        ``.sync`` execution). An execution that has ended is left as it is.

        Raises:
            ExecutionNotFoundError: no execution has this id.
            ConcurrentDecisionError: it kept moving under the stop (retryable).
        """
        for _ in range(3):  # it may move meanwhile: stop what it is now
            head = self._require(execution_id)
            if head.status.is_terminal:
                return head
            delivery = Delivery(decision_id=f"stop:{self._new_id()}")
            outcome = self._apply(head, Abort(error=error, cause=cause), delivery)
            if outcome is Outcome.COMMITTED:
                return self._require(execution_id)
        raise ConcurrentDecisionError(execution_id, head.version)

    def redrive_execution(self, execution_id: str, choice: RedriveChoice) -> Execution:
        """Redrive an execution that ended FAILED, TIMED_OUT or ABORTED
        (steplane.redriving); its head once redriven."""
        from steplane.redriving import RedriveShell  # noqa: PLC0415 - operators' path only

        shell = RedriveShell(
            self._store,
            self._clock,
            self._settings,
            definition=self.definition,
            seed=self._seed,
            new_id=self._new_id,
            send=lambda head, commands: self._send(head, commands, self._clock.now()),
        )
        return shell.redrive(execution_id, choice)

    def stop(self, message: StopMessage, delivery: Delivery) -> Outcome:
        """Stop a nested execution its parent left: it ends ABORTED. Only the execution
        that attempt started: one of that name started otherwise is left alone."""
        head = self._store.get_head(message.execution_id)
        if head is None:
            return Outcome.IGNORED  # never started (the parent left before its call)
        if head.decision_id != delivery.decision_id:  # else: this stop's own commit
            if head.status.is_terminal or head.caller is None:
                return Outcome.IGNORED
            if head.caller.task_token != message.task_token:
                return Outcome.IGNORED
        return self._apply(head, Abort(cause=message.cause), delivery)

    def step_lanes(self, message: LanesMessage) -> Outcome:
        """Move a fan-out's lanes on: launch the children due, count the ended ones."""
        moved = self._fan_out.step_lanes(message, self._clock.now())
        return Outcome.COMMITTED if moved else Outcome.IGNORED

    def task_result(self, message: TaskResultMessage, delivery: Delivery) -> Outcome:
        """Record a worker's result for exactly the attempt its token names, then advance."""
        if message.status == "HEARTBEAT":
            try:
                self.heartbeat(message.task_token)
            except TaskClosedError:
                return Outcome.IGNORED  # late: the attempt has closed; nothing to keep alive
            return Outcome.HEARTBEAT
        claim = decode_task_token(message.task_token)
        head = self._require(claim.execution_id)
        error = None
        if message.status == "FAILED":
            # A failure that names no error is Step Functions' generic task failure.
            error = message.error or StatesError.TASK_FAILED.value
        signal = TaskResult(
            claim.version, claim.nonce, message.started_at, message.output, error, message.cause
        )
        return self._apply(head, signal, delivery)

    def definition(self, definition_hash: str) -> Definition:
        """A pinned definition, cached for the life of the process (hashes are immutable)."""
        cached = self._definitions.get(definition_hash)
        if cached is None:
            cached = self._store.get_definition(definition_hash)
            if cached is None:
                raise WorkflowNotFoundError(definition_hash)
            self._definitions[definition_hash] = cached
        return cached

    def _apply(self, head: Execution, signal: Signal, delivery: Delivery) -> Outcome:
        definition = self.definition(head.definition_hash)
        head = self._with_input(head, definition)
        now = self._clock.now()
        if head.decision_id == delivery.decision_id:
            # This input already committed this head. The process that committed it may
            # have died before sending: a redelivery, or a copy arriving long after the
            # commit (a dead-lettered input redriven with a new message id), sends again
            # (receivers ignore duplicates). A fresh duplicate does not, to save messages.
            if delivery.redelivered or self._is_old(head, now):
                self._resend(head, definition, now)
                return Outcome.RESENT
            return Outcome.DUPLICATE
        if not isinstance(signal, Abort) and self._orphaned(head, definition):
            # Its parent has left the visit (or the task) it belongs to (the abort sent
            # then may have been lost): whatever arrived, the child stops here.
            signal = Abort(cause=_ORPHANED) if head.caller is not None else Abort()
        decision = decide(
            definition,
            head,
            signal,
            now,
            self._seed(delivery.decision_id),
            settings=self._settings,
        )
        if isinstance(decision, Ignore):
            return Outcome.IGNORED
        if isinstance(decision, Rearm):
            self._send(head, decision.commands, now)
            return Outcome.REARMED
        assert isinstance(decision, Transition)
        committed = replace(decision.execution, decision_id=delivery.decision_id)
        outcome = self._store.commit(head, committed, decision.events)
        if outcome is CommitOutcome.STALE:
            return Outcome.STALE
        if outcome is CommitOutcome.DUPLICATE:
            return Outcome.DUPLICATE  # the copy that committed sends, with its own nonce
        self._send(committed, decision.commands, now)
        return Outcome.COMMITTED

    def _orphaned(self, head: Execution, definition: Definition) -> bool:
        """Whether ``head`` is a running child whose parent no longer waits on it (one
        strongly consistent read, for children that can be stopped only: an EXPRESS
        child of a Map Run runs to its end), or a nested execution whose parent's
        ``startExecution.sync`` attempt has closed (its stop may have been lost)."""
        if head.caller is not None and not head.status.is_terminal:
            return not self._caller_waits(head.caller)
        place = head.parent
        if place is None or head.status.is_terminal:
            return False
        if not stoppable(definition, place.state):
            return False
        parent = self._store.get_head(place.execution_id)
        if parent is None or parent.status.is_terminal or parent.fan_out is None:
            return True
        return parent.entered_version != place.visit

    def _caller_waits(self, caller: Caller) -> bool:
        """Whether the parent task ``caller`` names still waits (its attempt is open): a
        read of three attributes of the parent's head."""
        claim = decode_task_token(caller.task_token)
        return self._store.pending_attempt(claim.execution_id) == (claim.version, claim.nonce)

    def sweep(self, limit: int = 1000, time_left: Callable[[], float] | None = None) -> SweepReport:
        """Re-send what overdue executions imply; keep their items' retention.

        Safe beside everything else: it only re-sends commands derived from the head
        (receivers ignore duplicates) and records the re-send on condition of the version.
        One execution that cannot be swept (its definition gone, a send refused) is
        reported and looked at again later; it never stops the others. The sweep stops
        early when ``time_left()`` (seconds) drops under SWEEP_MARGIN_SECONDS: the next
        one, a minute later, starts from another shard.
        """
        now, report = self._clock.now(), SweepReport()
        for execution_id in self._store.sweep.due(now, limit):
            if time_left is not None and time_left() < SWEEP_MARGIN_SECONDS:
                return replace(report, complete=False)
            try:
                resent = self._sweep_one(execution_id, now)
            except Exception as error:  # one execution's fault is reported, not raised
                report = replace(report, failed=(*report.failed, (execution_id, repr(error))))
                continue
            report = replace(report, resent=report.resent + int(resent))
        return report

    def _sweep_one(self, execution_id: str, now: datetime) -> bool:
        """Sweep one execution: True when its commands were re-sent."""
        head = self._store.get_head(execution_id)
        if head is None:
            return False
        head = self._store.sweep.keep_items(head, now)
        if head.status.is_terminal or head.sweep_at is None or head.sweep_at > now:
            return False  # the index entry was stale, or only retention was due
        if head.caller is not None and not self._caller_waits(head.caller):
            # A nested execution whose parent left it, parked where nothing steps it (a
            # callback): its stop was lost. It ends here rather than wait for nobody.
            orphaned = Delivery(decision_id=f"orphan:{head.version}")
            self._apply(head, Abort(cause=_ORPHANED), orphaned)
            self._bus.flush()
            return True
        try:
            definition = self.definition(head.definition_hash)
            self._resend(head, definition, now)
            self._bus.flush()  # sent before the re-send is recorded: a crash re-sends again
        except Exception:
            # Look again after the usual backoff rather than every minute; the failure is
            # reported by the caller.
            self._store.sweep.defer(head, next_sweep(None, head, now, self._settings))
            raise
        self._store.sweep.defer(head, next_sweep(definition, head, now, self._settings))
        return True

    def _is_old(self, head: Execution, now: datetime) -> bool:
        if head.updated_at is None:
            return False
        return (now - head.updated_at).total_seconds() >= self._settings.sweep_grace_seconds

    def _seed(self, decision_id: str) -> str:
        # The seed makes task tokens' nonces: an unguessable part keeps a token from being
        # forged by anyone who knows the execution id and the message id.
        return f"{decision_id}|{self._new_id()}"

    def _resend(self, head: Execution, definition: Definition, now: datetime) -> None:
        """Send again what ``head`` implies is in flight (receivers ignore duplicates)."""
        head = self._with_input(head, definition)
        self._send(head, pending_commands(definition, head, now, self._settings), now)

    def _with_input(self, head: Execution, definition: Definition) -> Execution:
        """``head`` with its input loaded, when the definition reads ``$$.Execution.Input``
        (a running execution only: an ended one decides nothing)."""
        if not definition.reads_execution_input or head.input_loaded or head.status.is_terminal:
            return head
        return replace(head, input=self._store.execution_input(head))

    def _send(self, head: Execution, commands: tuple[Command, ...], now: datetime) -> None:
        messages = self._routes.to_messages(head.execution_id, head.state, commands, now)
        if messages:
            self._bus.send(messages)

    def _require(self, execution_id: str) -> Execution:
        head = self._store.get_head(execution_id)
        if head is None:
            raise ExecutionNotFoundError(execution_id)
        return head


_ORPHANED = "its parent no longer waits for it (the task that started it was left)"


def _no_objects() -> ObjectStore:
    """The engine was built without S3: a Map Run that reads or writes S3 fails with
    that said, not with a crash."""
    raise ObjectStoreError("this engine has no S3 client (Engine(objects=...) was not given)")
