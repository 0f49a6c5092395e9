"""What Parallel and Map share: a visit parks on its child executions (one per branch or
item, on bounded lanes), and resumes once they have all ended or one has failed.

The children themselves are launched and counted by the shell (``steplane.service``,
``StepLanes`` commands derived from the parked head); this module decides, from the head
alone, what each child's input is and what the children's outcome does to the state.
See the README's "Parallel and Map" design.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from steplane.asl.failures import AslError
from steplane.asl.references import select
from steplane.asl.scope import MapItem, Scope
from steplane.definition.model import Catcher, Retrier
from steplane.errors import StatesError
from steplane.execution import Execution, FanOut
from steplane.interpreter.catching import catch_error
from steplane.interpreter.context import context_object, scope
from steplane.interpreter.data_limits import check_state_output
from steplane.interpreter.decisions import (
    AbortChildren,
    Command,
    Ignore,
    Rearm,
    StepLanes,
    WakeAt,
    lane_batches,
)
from steplane.interpreter.results import ResultShaping, shaped_result
from steplane.interpreter.retry import plan_retry
from steplane.interpreter.run import Run
from steplane.interpreter.signals import (
    ChildEnded,
    FanIn,
    ItemsRead,
    TaskResult,
    Wake,
    WakePurpose,
)
from steplane.interpreter.steps import Park, Step, leave, transition_limit_failure
from steplane.jsontypes import Json
from steplane.settings import Settings
from steplane.states.lifecycle import (
    NO_PENDING_TASK,
    Carry,
    ChildPolicy,
    MapRun,
    Reaction,
    committed_at,
    wake_not_for,
)

if TYPE_CHECKING:
    from steplane.states.map_items import ChildInputs, MapRunName

# A parked fan-out is looked at by the sweeper this long after it parked, then less
# often (each re-send doubles the gap): its children move on their own meanwhile.
FAN_OUT_OVERDUE_SECONDS = 900


class FanningState(ResultShaping, Protocol):
    """The fields a Parallel and a Map share (see their models), beyond a result's."""

    @property
    def next(self) -> str | None: ...

    @property
    def input_path(self) -> str | None: ...

    @property
    def retry(self) -> tuple[Retrier, ...]: ...

    @property
    def catch(self) -> tuple[Catcher, ...]: ...


S = TypeVar("S", bound=FanningState)


class FanOutLifecycle(Generic[S]):
    """The life of a Parallel or a Map; its subclass says what its children are."""

    kind = "Parallel"

    # -- what a subclass says ------------------------------------------------------------
    def plan(
        self, name: str, state: S, effective: Scope, run_settings: Settings
    ) -> tuple[int, int]:
        """``(children, lanes)`` for a visit whose effective input is ``effective.data``.

        Raises:
            AslError: the children cannot be worked out (a Map's items are not an array).
        """
        raise NotImplementedError

    def input_of(self, state: S, effective: Scope, index: int) -> Json:
        """The input of child ``index``, from the visit's effective input."""
        raise NotImplementedError

    def started_details(self, total: int) -> dict[str, Json]:
        """The details of the ``...StateStarted`` event."""
        return {}

    def tolerance(self, state: S, effective: Scope) -> tuple[int | None, float | None]:
        """``(count, percentage)`` of failed children the visit tolerates (None: not set).

        Raises:
            AslError: a tolerance read by its Path (or evaluated) that is out of range.
        """
        return None, None

    def reads_items(self, state: S) -> bool:
        """Whether a visit first reads its items (a distributed Map's Map Run)."""
        return False

    def child_policy(self, state: S) -> ChildPolicy:
        """What the children inherit and how they may be stopped (see ChildPolicy)."""
        return ChildPolicy()

    def map_run_name(
        self, name: str, state: S, parent: Execution, settings: Settings
    ) -> MapRunName:
        """The visit's Map Run's name (a distributed Map's; nothing else has one)."""
        raise NotImplementedError(f"a {self.kind} state has no Map Run")

    def map_run(self, name: str, state: S, parent: Execution, settings: Settings) -> MapRun:
        """The visit's Map Run (a distributed Map's; nothing else has one)."""
        raise NotImplementedError(f"a {self.kind} state has no Map Run")

    def stored_inputs(
        self,
        name: str,
        state: S,
        parent: Execution,
        items_read: list[Json] | None,
        settings: Settings,
    ) -> ChildInputs:
        """A Map Run's child inputs (nothing else stores them)."""
        raise NotImplementedError(f"a {self.kind} state stores no inputs")

    def on_items_read(self, name: str, state: S, items_read: ItemsRead, run: Run) -> Reaction:
        """Only a distributed Map reads items."""
        return Ignore(f"a {self.kind} state reads no items")

    def shaped(self, state: S, outputs: list[Json]) -> list[Json]:
        """The children's outputs as the state's result (a Map's ``WriterConfig`` may
        flatten them)."""
        return outputs

    # -- the life ----------------------------------------------------------------------
    def enter(self, name: str, state: S, raw_input: Json, run: Run) -> Step:
        """Work out the children; park on them (or, with none, leave with ``[]``)."""
        entered = visit_scope(run.execution, run.settings, name, raw_input, run.now)
        try:
            fan = self._visit(name, state, entered, run.settings)
        except AslError as error:
            return self._fail(name, state, entered, run, None, error=error.error, cause=error.cause)
        run.emit(f"{self.kind}StateStarted", name, **self.started_details(fan.total))
        if fan.total == 0 and not fan.reading:
            return self._succeed(name, state, entered, (), run, fan=None)
        return Park(fan)

    def _visit(
        self, name: str, state: S, entered: Scope, settings: Settings, fan: FanOut | None = None
    ) -> FanOut:
        """What a visit (the first, or a retry's: ``fan`` then says its attempt) waits on.

        Raises:
            AslError: the children or the tolerance cannot be worked out.
        """
        effective = effective_scope(state, entered)
        total, lanes = self.plan(name, state, effective, settings)
        count, percentage = self.tolerance(state, effective)
        visit = FanOut(total, lanes, tolerated_count=count, tolerated_percentage=percentage)
        if self.reads_items(state):
            # The shell reads the items first (``pending``), then says how many.
            visit = replace(visit, reading=True)
        if fan is None:
            return visit
        return replace(visit, attempt=fan.attempt, retry_counts=fan.retry_counts)

    def child_input(
        self, name: str, state: S, parent: Execution, index: int, settings: Settings
    ) -> Json:
        """The input of the parent's child ``index``, from the parked parent's head alone
        (every child of a visit reads the same effective input)."""
        entered = parked_scope(parent, settings, name)
        return self.input_of(state, effective_scope(state, entered), index)

    def on_fan_in(self, name: str, state: S, fan_in: FanIn, run: Run) -> Reaction:
        """Every child ended (go on with their outputs), or some failed (the state fails
        with the first failure, for its Retry and Catch)."""
        entered = parked_scope(run.execution, run.settings, name)
        fan = run.execution.fan_out
        failure = _failure(fan_in, fan)
        if failure is not None:
            error, cause = failure
            if fan is not None and fan.stored:
                run.emit("MapRunFailed", name, error=error, cause=cause)
            run.emit(f"{self.kind}StateFailed", name, error=error, cause=cause)
            if fan is not None:
                # The others are stopped ("their later results are ignored").
                run.once.append(AbortChildren(run.execution.execution_id, fan_in.visit, fan.lanes))
            return Carry(self._fail(name, state, entered, run, fan, error=error, cause=cause))
        if fan_in.results is None:
            return NO_CHILD_OUTCOME
        if fan is not None and fan.stored:
            run.emit("MapRunSucceeded", name)
        if fan_in.written is not None:
            # The guide: exported, the Map "returns the Map Run ARN and data about the
            # Amazon S3 export location".
            arn = self.map_run_name(name, state, run.execution, run.settings).arn
            exported: Json = {"MapRunArn": arn, "ResultWriterDetails": fan_in.written}
            return Carry(self._leave(name, state, entered, exported, run, fan))
        outputs = self.shaped(state, [_result(child) for child in fan_in.results])
        return Carry(self._leave(name, state, entered, outputs, run, fan))

    def on_task_result(self, name: str, state: S, result: TaskResult, run: Run) -> Reaction:
        """No task of its own is pending: its children's tasks report to them."""
        return NO_PENDING_TASK

    def on_wake(self, name: str, state: S, wake: Wake, run: Run) -> Reaction:
        """A retry's delay is over: its children may be launched now."""
        if wake.purpose is not WakePurpose.RETRY:
            return wake_not_for(wake, name)
        return Rearm(self.pending(state, run.execution, run.now, run.settings))

    def _run_items(
        self, name: str, state: S, items_read: ItemsRead, run: Run, lanes: int
    ) -> Reaction:
        """The items were read into ``items_read.total`` children: run them on ``lanes``
        lanes (the store holds each child's input), or fail the state as reading did."""
        entered = parked_scope(run.execution, run.settings, name)
        fan = run.execution.fan_out
        assert fan is not None, "items are read for a parked visit"
        if items_read.error is not None:
            error, cause = items_read.error, items_read.cause
            return Carry(self._fail(name, state, entered, run, fan, error=error, cause=cause))
        arn = self.map_run_name(name, state, run.execution, run.settings).arn
        run.emit("MapRunStarted", name, mapRunArn=arn)
        # The same visit goes on (not a re-entry): its children are named after it.
        ready = replace(
            fan,
            total=items_read.total,
            lanes=lanes,
            items=items_read.items,
            reading=False,
            stored=True,
        )
        return Carry(Park(ready, reentry=False))

    def pending(
        self, state: S, execution: Execution, now: datetime, settings: Settings
    ) -> tuple[Command, ...]:
        """Launch (or move on) every lane, a batch to a message (``lane_batches``); or, for a
        retry that is not due yet, the wake-up that says when."""
        fan = execution.fan_out
        assert fan is not None, "a fan-out state parks on its children"
        if fan.launch_at is not None and now < fan.launch_at:
            return (WakeAt(fan.launch_at, WakePurpose.RETRY, execution.version),)
        visit = execution.entered_version
        if fan.reading:
            # Lane 0's step reads the items first (steplane.fanning).
            return (StepLanes(execution.execution_id, visit, 0, 0, read=True),)
        return tuple(
            StepLanes(execution.execution_id, visit, first, last)
            for first, last in lane_batches(fan.lanes)
        )

    def overdue_at(self, state: S, execution: Execution, settings: Settings) -> datetime:
        """The children move on their own; the sweeper looks (and re-sends every lane)
        only after a long quiet."""
        fan = execution.fan_out
        start = fan.launch_at if fan is not None and fan.launch_at else committed_at(execution)
        return start + timedelta(seconds=FAN_OUT_OVERDUE_SECONDS)

    def resend_gap_seconds(self, settings: Settings, resent: int) -> int:
        """As long as the first quiet, every time: the children go on meanwhile, and a
        lane whose hint to move on was lost moves on at the next re-send (no backoff)."""
        return FAN_OUT_OVERDUE_SECONDS

    # -- the outcome --------------------------------------------------------------------
    def _succeed(
        self,
        name: str,
        state: S,
        entered: Scope,
        results: tuple[ChildEnded, ...],
        run: Run,
        *,
        fan: FanOut | None,
    ) -> Step:
        """Leave with the children's outputs (``fan``: the visit's, None when it had none)."""
        return self._leave(name, state, entered, [child.output for child in results], run, fan)

    def _leave(  # noqa: PLR0917 - the visit's whole context
        self, name: str, state: S, entered: Scope, result: Json, run: Run, fan: FanOut | None
    ) -> Step:
        """Leave with the state's ``result`` (shaped by ResultSelector, ResultPath, ...)."""
        run.emit(f"{self.kind}StateSucceeded", name)
        try:
            state_output, assigned = shaped_result(state, entered, result)
        except AslError as error:
            return self._fail(name, state, entered, run, fan, error=error.error, cause=error.cause)
        oversize = check_state_output(state_output)
        if oversize is not None:
            limit = StatesError.DATA_LIMIT_EXCEEDED.value
            return self._fail(name, state, entered, run, fan, error=limit, cause=oversize.cause)
        return leave(state.next, state_output, assigned)

    def _fail(
        self,
        name: str,
        state: S,
        entered: Scope,
        run: Run,
        fan: FanOut | None,
        *,
        error: str,
        cause: str | None,
    ) -> Step:
        """Retry (a new visit with new children, after the retrier's delay), else Catch.
        ``fan`` is the visit's (None when it failed before it parked: its first try)."""
        counts = fan.retry_counts if fan is not None else ()
        plan = plan_retry(state.retry, counts, error, run.fraction("jitter"))
        if plan is None:
            return catch_error(state.catch, entered, error=error, cause=cause)
        if run.transitions_left <= 0:
            return transition_limit_failure(run.settings.max_transitions)
        run.transitions += 1  # "each retry will be charged as an additional state transition"
        delay = math.ceil(plan.delay_seconds)
        launch_at = run.now + timedelta(seconds=delay) if delay > 0 else None
        attempt = (fan.attempt if fan is not None else 1) + 1
        try:
            # Worked out again: the retry is a new visit, on the state's input as it is.
            retried = FanOut(0, 0, attempt, plan.retry_counts, launch_at)
            visit = self._visit(name, state, entered, run.settings, retried)
        except AslError as bad:
            return catch_error(state.catch, entered, error=bad.error, cause=bad.cause)
        if visit.total == 0 and not visit.reading:
            # Nothing to run again: the same evaluation of no children would fail the
            # same way, so the error goes on to Catch.
            return catch_error(state.catch, entered, error=error, cause=cause)
        return Park(replace(visit, launch_at=launch_at))


# A fan-in that shows neither every child ended nor a failure: nothing to do yet.
NO_CHILD_OUTCOME = Rearm(())

# The guide names the error only ("Step Functions returns a
# States.ExceedToleratedFailureThreshold error when the Map Run fails because the
# specified threshold is exceeded"); the cause is worded after it.
THRESHOLD_CAUSE = "The specified tolerated failure threshold was exceeded"


def _result(child: ChildEnded) -> Json:
    """A child's part of the state's result: its output; a failure the visit tolerated is
    its execution result (the guide, of the results: "If a child workflow execution
    fails, Step Functions returns its execution result unchanged")."""
    if child.succeeded:
        return child.output
    failed: dict[str, Json] = {"Error": child.error, "Cause": child.cause}
    if child.status is not None:
        failed["Status"] = child.status
    return failed


def _failure(fan_in: FanIn, fan: FanOut | None) -> tuple[str, str | None] | None:
    """The visit's error and cause, when the fan-in shows it failed.

    A Map Run (and any Map given a tolerance) fails with
    ``States.ExceedToleratedFailureThreshold`` ("The default percentage value is zero,
    which means that the workflow fails if any one of its child workflow executions
    fails"); a Parallel or an inline Map fails with its first failed child's error.
    """
    if fan_in.error is not None:
        return fan_in.error, fan_in.cause
    if not fan_in.failures:
        return None
    tolerance = fan is not None and (
        fan.stored or fan.tolerated_count is not None or fan.tolerated_percentage is not None
    )
    if tolerance:
        return StatesError.EXCEED_TOLERATED_FAILURE_THRESHOLD.value, THRESHOLD_CAUSE
    first = fan_in.failures[0]
    return first.error or StatesError.TASK_FAILED.value, first.cause


def visit_scope(
    execution: Execution, settings: Settings, name: str, data: Json, entered: datetime
) -> Scope:
    """The scope of a visit entered at ``entered``; its seed is the visit's own, so every
    child computing the effective input computes the same (``States.UUID`` included)."""
    context = context_object(execution, settings, name, entered)
    seed = f"{execution.execution_id}|{execution.version + 1}|fan-out"
    return scope(data, context, execution, seed, entered)


def parked_scope(execution: Execution, settings: Settings, name: str) -> Scope:
    """The scope of the visit the head is parked on, from the head alone."""
    fan = execution.fan_out
    entered = execution.entered_at or execution.start_date
    context = context_object(
        execution,
        settings,
        name,
        entered,
        retry_count=(fan.attempt - 1) if fan is not None else 0,
    )
    seed = f"{execution.execution_id}|{execution.entered_version}|fan-out"
    return scope(execution.data, context, execution, seed, entered)


def effective_scope(state: FanningState, entered: Scope) -> Scope:
    """The scope whose ``$`` is the state's effective input (InputPath applied; a JSONata
    state's is its input)."""
    if state.jsonata:
        return entered
    return entered.with_data(select(entered, state.input_path))


def item_scope(effective: Scope, index: int, value: Json, source: str = "STATE_DATA") -> Scope:
    """``effective`` with ``$$.Map.Item`` set (the guide: in ``ItemSelector`` "the Context
    Object ... Map.Item.Index ... Map.Item.Value")."""
    # Salted with the index: States.UUID() or $uuid() in ItemSelector differ per item.
    return effective.with_map_item(MapItem(index, value, source)).salted(f"item:{index}")
