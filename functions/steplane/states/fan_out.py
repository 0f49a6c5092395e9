"""What Parallel and Map share: a visit parks on its child executions (one per branch or
item, on bounded lanes), and resumes once they have all ended or one has failed.

The children themselves are launched and counted by the shell (``steplane.service``,
``StepLanes`` commands derived from the parked head); this module decides, from the head
alone, what each child's input is and what the children's outcome does to the state.
See the README's "Parallel and Map" design.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

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
    Rearm,
    StepLanes,
    WakeAt,
    lane_batches,
)
from steplane.interpreter.results import ResultShaping, shaped_result
from steplane.interpreter.retry import plan_retry
from steplane.interpreter.run import Run
from steplane.interpreter.signals import ChildEnded, FanIn, TaskResult, Wake, WakePurpose
from steplane.interpreter.steps import Park, Step, leave, transition_limit_failure
from steplane.jsontypes import Json
from steplane.settings import Settings
from steplane.states.lifecycle import (
    NO_PENDING_TASK,
    Carry,
    Reaction,
    committed_at,
    wake_not_for,
)

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

    # -- the life ----------------------------------------------------------------------
    def enter(self, name: str, state: S, raw_input: Json, run: Run) -> Step:
        """Work out the children; park on them (or, with none, leave with ``[]``)."""
        entered = visit_scope(run.execution, run.settings, name, raw_input, run.now)
        try:
            total, lanes = self.plan(name, state, effective_scope(state, entered), run.settings)
        except AslError as error:
            return self._fail(name, state, entered, run, None, error=error.error, cause=error.cause)
        run.emit(f"{self.kind}StateStarted", name, **self.started_details(total))
        if total == 0:
            return self._succeed(name, state, entered, (), run, fan=None)
        return Park(FanOut(total=total, lanes=lanes))

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
        if fan_in.failures:
            first = fan_in.failures[0]
            run.emit(f"{self.kind}StateFailed", name, error=first.error, cause=first.cause)
            if fan is not None:
                # The others are stopped ("their later results are ignored").
                run.once.append(AbortChildren(run.execution.execution_id, fan_in.visit, fan.lanes))
            error = first.error or StatesError.TASK_FAILED.value
            return Carry(self._fail(name, state, entered, run, fan, error=error, cause=first.cause))
        if fan_in.results is None:
            return NO_CHILD_OUTCOME
        return Carry(self._succeed(name, state, entered, fan_in.results, run, fan=fan))

    def on_task_result(self, name: str, state: S, result: TaskResult, run: Run) -> Reaction:
        """No task of its own is pending: its children's tasks report to them."""
        return NO_PENDING_TASK

    def on_wake(self, name: str, state: S, wake: Wake, run: Run) -> Reaction:
        """A retry's delay is over: its children may be launched now."""
        if wake.purpose is not WakePurpose.RETRY:
            return wake_not_for(wake, name)
        return Rearm(self.pending(state, run.execution, run.now, run.settings))

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
        outputs = [child.output for child in results]
        run.emit(f"{self.kind}StateSucceeded", name)
        try:
            state_output, assigned = shaped_result(state, entered, outputs)
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
            total, lanes = self.plan(name, state, effective_scope(state, entered), run.settings)
        except AslError as bad:
            return catch_error(state.catch, entered, error=bad.error, cause=bad.cause)
        if total == 0:
            # Nothing to run again: the same evaluation of no children would fail the
            # same way, so the error goes on to Catch.
            return catch_error(state.catch, entered, error=error, cause=cause)
        return Park(FanOut(total, lanes, attempt, plan.retry_counts, launch_at))


# A fan-in that shows neither every child ended nor a failure: nothing to do yet.
NO_CHILD_OUTCOME = Rearm(())


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


def item_scope(effective: Scope, index: int, value: Json) -> Scope:
    """``effective`` with ``$$.Map.Item`` set (the guide: in ``ItemSelector`` "the Context
    Object ... Map.Item.Index ... Map.Item.Value")."""
    # Salted with the index: States.UUID() or $uuid() in ItemSelector differ per item.
    return effective.with_map_item(MapItem(index, value)).salted(f"item:{index}")
