"""Wait: parks until a time, then passes its input on."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field

from steplane.asl.failures import AslError, QueryEvaluationError
from steplane.asl.references import read, select
from steplane.asl.scope import Scope
from steplane.asl.timestamps import parse_datetime
from steplane.definition.checks import check_path
from steplane.definition.model import MAX_SECONDS, DataFlow
from steplane.definition.templated import SecondsExpression, TimestampExpression
from steplane.errors import Problem, StatesError
from steplane.execution import Execution, WaitUntil
from steplane.interpreter.context import assigned_by, output_of, visit_scope
from steplane.interpreter.decisions import Command, Rearm, WakeAt
from steplane.interpreter.run import Run
from steplane.interpreter.signals import TaskResult, Wake, WakePurpose
from steplane.interpreter.steps import Fail, Park, Step, leave
from steplane.jsontypes import Json
from steplane.limits import MAX_WAIT_SECONDS, whole_seconds
from steplane.settings import Settings
from steplane.states.lifecycle import (
    NO_PENDING_TASK,
    Carry,
    Reaction,
    committed_at,
    doubling_gap,
    wake_not_for,
)
from steplane.states.state_type import StateType


class WaitState(DataFlow):
    """Delays for ``Seconds``, until ``Timestamp``, or by the *Path forms of either."""

    type: Literal["Wait"] = Field(alias="Type")
    seconds: int | None = Field(None, alias="Seconds", ge=0, le=MAX_SECONDS)
    seconds_expression: SecondsExpression | None = Field(None, alias="%Seconds")
    timestamp_expression: TimestampExpression | None = Field(None, alias="%Timestamp")
    timestamp: str | None = Field(None, alias="Timestamp")
    seconds_path: str | None = Field(None, alias="SecondsPath")
    timestamp_path: str | None = Field(None, alias="TimestampPath")


def enter(name: str, state: WaitState, raw_input: Json, run: Run) -> Step:
    """Compute when the Wait ends; park until then (or go straight on if that has passed)."""
    scope = visit_scope(run, name, raw_input)
    effective = raw_input if state.jsonata else select(scope, state.input_path)
    due = _due(state, scope.with_data(effective), run.now)
    if isinstance(due, Fail):
        return due
    if due <= run.now:
        return finish(name, state, raw_input, run, parked=False)
    return Park(WaitUntil(due))


def finish(name: str, state: WaitState, raw_input: Json, run: Run, *, parked: bool) -> Step:
    """Leave the Wait once its time has come: the output is the (effective) input, which
    is also Assign's "$" ("In Choice and Wait state, $ refers to the effective input")."""
    scope = visit_scope(run, name, raw_input, parked=parked)
    if state.jsonata:
        assigned = assigned_by(state.assign, scope)
        return leave(state.next, output_of(state.output, scope, raw_input), assigned)
    scope = scope.with_data(select(scope, state.input_path))
    assigned = assigned_by(state.assign, scope)
    return leave(state.next, select(scope, state.output_path), assigned)


def _due(state: WaitState, scope: Scope, now: datetime) -> datetime | Fail:
    """When the Wait ends; its paths read the effective input (``scope.data``)."""
    if state.seconds is not None:
        return now + timedelta(seconds=state.seconds)
    if state.seconds_expression is not None:
        value = state.seconds_expression.evaluate(scope)
        seconds = whole_seconds(value, minimum=0)
        if seconds is None:
            raise QueryEvaluationError(
                f"Seconds gave {value!r}, not a whole number of seconds from 0 to "
                f"{MAX_WAIT_SECONDS}"
            )
        return now + timedelta(seconds=seconds)
    if state.timestamp_expression is not None:
        stamp = state.timestamp_expression.evaluate(scope)
        when = parse_datetime(stamp) if isinstance(stamp, str) else None
        if when is None:
            raise QueryEvaluationError(f"Timestamp gave {stamp!r}, not an RFC 3339 timestamp")
        return _whole_seconds(when)
    if state.timestamp is not None:
        parsed = parse_datetime(state.timestamp)
        return _whole_seconds(parsed) if parsed is not None else now
    if state.seconds_path is not None:
        # "MUST select a field whose value is a non-negative integer" (1.0 is that integer).
        value = read(scope, state.seconds_path)
        seconds = whole_seconds(value, minimum=0)
        if seconds is None:
            return Fail(
                StatesError.RUNTIME,
                f"SecondsPath {state.seconds_path!r} gave {value!r}, not an integer "
                f"number of seconds from 0 to {MAX_WAIT_SECONDS}",
            )
        return now + timedelta(seconds=seconds)
    stamp = read(scope, state.timestamp_path or "$")
    parsed = parse_datetime(stamp) if isinstance(stamp, str) else None
    if parsed is None:
        return Fail(
            StatesError.RUNTIME,
            f"TimestampPath {state.timestamp_path!r} gave {stamp!r}, not an RFC 3339 timestamp",
        )
    return _whole_seconds(parsed)


def _whole_seconds(moment: datetime) -> datetime:
    # "Step Functions considers the time value up to seconds and truncates milliseconds."
    return moment.replace(microsecond=0)


class WaitLifecycle:
    """A Wait parks until its time, kept by a WAIT wake-up (re-armed while it is early)."""

    def enter(self, name: str, state: WaitState, raw_input: Json, run: Run) -> Step:
        """See :func:`enter`."""
        return enter(name, state, raw_input, run)

    def on_task_result(self, name: str, state: WaitState, result: TaskResult, run: Run) -> Reaction:
        """No task is pending in a Wait."""
        return NO_PENDING_TASK

    def on_wake(self, name: str, state: WaitState, wake: Wake, run: Run) -> Reaction:
        """The WAIT wake-up ends the Wait once its time has come; early, it is re-armed."""
        if wake.purpose is not WakePurpose.WAIT:
            return wake_not_for(wake, name)
        execution = run.execution
        if execution.due_at is not None and run.now < execution.due_at:
            return Rearm(self.pending(state, execution, run.now, run.settings))
        try:
            return Carry(finish(name, state, execution.data, run, parked=True))
        except AslError as error:
            return Carry(Fail(error.error, error.cause))

    def pending(
        self, state: WaitState, execution: Execution, now: datetime, settings: Settings
    ) -> tuple[Command, ...]:
        """The WAIT wake-up at the Wait's end."""
        return (WakeAt(execution.due_at or now, WakePurpose.WAIT, execution.version),)

    def overdue_at(self, state: WaitState, execution: Execution, settings: Settings) -> datetime:
        """The Wait's end plus the grace."""
        grace = timedelta(seconds=settings.sweep_grace_seconds)
        return (execution.due_at or committed_at(execution)) + grace

    def resend_gap_seconds(self, settings: Settings, resent: int) -> int:
        """Doubling from the sweep grace."""
        return doubling_gap(settings.sweep_grace_seconds, resent, settings)


LIFECYCLE = WaitLifecycle()


def check(names: Collection[str], where: str, wait: WaitState) -> Iterator[Problem]:
    """Exactly one of its four ways to say when, and a valid one."""
    given = [
        f
        for f, v in (
            ("Seconds", wait.seconds),
            ("Timestamp", wait.timestamp),
            ("SecondsPath", wait.seconds_path),
            ("TimestampPath", wait.timestamp_path),
            ("Seconds", wait.seconds_expression),
            ("Timestamp", wait.timestamp_expression),
        )
        if v is not None
    ]
    if len(given) != 1:
        yield Problem(
            where,
            "a Wait needs exactly one of Seconds, Timestamp, SecondsPath, "
            f"TimestampPath (found {len(given)})",
        )
    if wait.timestamp is not None and parse_datetime(wait.timestamp) is None:
        yield Problem(f"{where}/Timestamp", f"{wait.timestamp!r} is not an RFC 3339 timestamp")
    for field, value in (
        ("SecondsPath", wait.seconds_path),
        ("TimestampPath", wait.timestamp_path),
    ):
        if value is not None:
            yield from check_path(f"{where}/{field}", value)


TYPE = StateType("Wait", WaitState, LIFECYCLE, check=check)
