"""Task: dispatches work to a worker, then handles its result with Retry and Catch."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from steplane.asl.failures import AslError, QueryEvaluationError
from steplane.asl.paths import (
    describe,
)
from steplane.asl.references import read, select
from steplane.asl.scope import Scope
from steplane.asl.templates import Template
from steplane.definition.checks import check_error_lists
from steplane.definition.model import (
    MAX_DELAY_SECONDS,
    MAX_SECONDS,
    Catcher,
    DataFlow,
    Exit,
    Retrier,
    given,
)
from steplane.definition.templated import (
    ArgumentsTemplate,
    CredentialsTemplate,
    HeartbeatSecondsExpression,
    PayloadTemplate,
    TimeoutSecondsExpression,
)
from steplane.errors import Problem, StatesError
from steplane.execution import Execution, TaskAttempt
from steplane.integrations.nested import child_id
from steplane.integrations.resources import ResourceError, ServiceCall, check_resource, classify
from steplane.interpreter.catching import catch_error
from steplane.interpreter.context import context_object, output_of, scope
from steplane.interpreter.data_limits import check_state_output
from steplane.interpreter.decisions import Command, DispatchTask, Rearm, StopExecution, WakeAt
from steplane.interpreter.results import shaped_result
from steplane.interpreter.retry import plan_retry
from steplane.interpreter.run import Run
from steplane.interpreter.signals import TaskResult, Wake, WakePurpose
from steplane.interpreter.steps import Park, Step, leave, transition_limit_failure
from steplane.interpreter.tokens import TokenClaim, encode_task_token
from steplane.jsontypes import Json
from steplane.limits import MAX_QUEUE_DELAY_SECONDS, MAX_WAIT_SECONDS, whole_seconds
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


class TaskState(DataFlow):
    """A unit of work done by a worker: ``Resource``, or the founding ``Service`` + ``Action``."""

    type: Literal["Task"] = Field(alias="Type")
    resource: str | None = Field(None, alias="Resource")
    service: str | None = Field(None, alias="Service")
    action: str | None = Field(None, alias="Action")
    parameters: PayloadTemplate | None = Field(None, alias="Parameters")
    arguments: ArgumentsTemplate | None = Field(None, alias="Arguments")
    result_selector: PayloadTemplate | None = Field(None, alias="ResultSelector")
    result_path: str | None = Field("$", alias="ResultPath")
    timeout_seconds: int | None = Field(None, alias="TimeoutSeconds", ge=1, le=MAX_SECONDS)
    timeout_seconds_path: str | None = Field(None, alias="TimeoutSecondsPath")
    heartbeat_seconds: int | None = Field(None, alias="HeartbeatSeconds", ge=1, le=MAX_SECONDS)
    heartbeat_seconds_path: str | None = Field(None, alias="HeartbeatSecondsPath")
    timeout_expression: TimeoutSecondsExpression | None = Field(None, alias="%TimeoutSeconds")
    heartbeat_expression: HeartbeatSecondsExpression | None = Field(None, alias="%HeartbeatSeconds")
    credentials: CredentialsTemplate | None = Field(None, alias="Credentials")
    retry: tuple[Retrier, ...] = Field((), alias="Retry")
    catch: tuple[Catcher, ...] = Field((), alias="Catch")

    @property
    def route(self) -> str:
        """The key that selects the task queue: the founding Service, else the Resource."""
        return self.service or self.resource or ""

    @property
    def action_name(self) -> str:
        """The action a worker registers for: the founding Action, else the Resource."""
        return self.action or self.resource or ""

    def worker_route(self) -> tuple[str, str] | None:
        """``(route, action)``: what a worker (locally: a registered function) must handle
        for this task; None when none does (a service integration, or a Lambda function
        named only at run time)."""
        try:
            target = classify(self.resource)
        except ResourceError:
            return None
        if isinstance(target, ServiceCall):
            function = self._function_name() if target.service == "lambda" else None
            return (function, function) if function else None
        return self.route, self.action_name

    def _function_name(self) -> str | None:
        """A ``lambda:invoke``'s FunctionName when the definition gives it as a constant."""
        template = self.arguments if self.jsonata else self.parameters
        source = template.source if template is not None else None
        name = source.get("FunctionName") if isinstance(source, dict) else None
        constant = isinstance(name, str) and not name.startswith("{%")
        return name if constant else None

    def exits(self) -> Iterator[Exit]:
        """``Next``, and each Catcher's ``Next`` with the Catcher's ``Assign`` (a caught
        error does not apply the state's own)."""
        yield from super().exits()
        for index, catcher in enumerate(self.catch):
            yield Exit(f"/Catch/{index}/Next", catcher.next, given(catcher.assign))


def enter(name: str, state: TaskState, raw_input: Json, run: Run) -> Step:
    """Enter a Task: park with attempt 1 dispatched. An input that cannot be built (a
    JSONata Arguments or TimeoutSeconds that fails) is the state's error, for its Catch
    (a JSONPath path that selects nothing is States.Runtime, which no Catcher matches)."""
    try:
        return _dispatch(
            name, state, run, raw_input, attempt=1, retry_counts=(), delay=0.0, reentry=True
        )
    except AslError as error:
        context = context_object(run.execution, run.settings, name, run.now)
        raw = scope(raw_input, context, run.execution, run.nonce("catch"))
        return catch(state, run, raw, error=error.error, cause=error.cause)


def _dispatch(
    name: str,
    state: TaskState,
    run: Run,
    raw_input: Json,
    *,
    attempt: int,
    retry_counts: tuple[int, ...],
    delay: float,
    reentry: bool,
) -> Step:
    """Park on attempt ``attempt``, after checking that its input can be built (InputPath
    and Parameters fail the state before anything is sent)."""
    due = run.now + timedelta(seconds=delay) if delay > 0 else None
    nonce = run.nonce(f"task:{attempt}")
    entered_at = run.now if reentry else (run.execution.entered_at or run.now)
    # TimeoutSeconds and HeartbeatSeconds (or their Path and JSONata forms) read the
    # state's raw input, in the attempt's Context Object.
    context = context_object(run.execution, run.settings, name, entered_at, retry_count=attempt - 1)
    raw, start = scope(raw_input, context, run.execution, nonce, entered_at), due or run.now
    seconds = timeout_seconds(state, raw)
    if state.heartbeat_expression is not None:
        heartbeat: int | None = _expression_seconds(
            raw, state.heartbeat_expression, "HeartbeatSeconds"
        )
    else:
        heartbeat = _positive_seconds(
            raw, state.heartbeat_seconds, state.heartbeat_seconds_path, "HeartbeatSecondsPath"
        )
    waiting = TaskAttempt(
        attempt,
        retry_counts,
        nonce,
        due,
        timeout_at=start + timedelta(seconds=seconds) if seconds else None,
        heartbeat_seconds=heartbeat,
        heartbeat_at=start + timedelta(seconds=heartbeat) if heartbeat else None,
    )
    # The head this decision commits: the input is built from it at every send, so it is
    # built from it here too, to fail the state now rather than at the send.
    parked = replace(
        run.execution,
        state=name,
        data=raw_input,
        waiting=waiting,
        version=run.execution.version + 1,
        entered_at=entered_at,
    )
    task_input(state, parked, run.settings)
    details: dict[str, Any] = {
        "resource": state.route,
        "action": state.action_name,
        "attempt": attempt,
        "delaySeconds": math.ceil(delay),
    }
    role = role_arn(state, parked, run.settings)
    if role is not None:  # as Step Functions records TaskScheduled's taskCredentials
        details["taskCredentials"] = {"roleArn": role}
    run.emit("TaskScheduled", name, **details)
    return Park(waiting, reentry=reentry)


def task_input(state: TaskState, execution: Execution, settings: Settings) -> Json:
    """What the worker receives for the pending attempt: the effective input (InputPath),
    through Parameters when given, whose ``$$.Task.Token`` is the attempt's token and
    ``$$.State.RetryCount`` its retries so far.

    Raises:
        AslError: InputPath or Parameters cannot be applied (``States.Runtime``).
    """
    templated = state.parameters is not None or state.arguments is not None
    raw = attempt_scope(execution, settings, with_token=templated)
    if state.jsonata:  # Arguments (default: the state's input) read $states.input
        return output_of(state.arguments, raw, execution.data)
    effective = select(raw, state.input_path)
    if state.parameters is None:
        return effective
    return state.parameters.evaluate(raw.with_data(effective))


def role_arn(state: TaskState, execution: Execution, settings: Settings) -> str | None:
    """The role the state's Credentials name for the pending attempt: given, or read from
    the effective input (as Parameters read it).

    Raises:
        AslError: the expression fails, or gives anything but a role ARN (States.Runtime).
    """
    if state.credentials is None:
        return None
    raw = attempt_scope(execution, settings)
    # JSONata reads $states.input; JSONPath the effective input (after InputPath).
    effective = raw if state.jsonata else raw.with_data(select(raw, state.input_path))
    value = state.credentials.evaluate(effective)
    role = value.get("RoleArn") if isinstance(value, dict) else None
    if not isinstance(role, str) or _ROLE_ARN.fullmatch(role) is None:
        raise AslError(
            f"Credentials gave RoleArn {role!r}, not an IAM role ARN "
            "(arn:aws:iam::<account>:role/<name>)"
        )
    return role


_ROLE_ARN = re.compile(r"arn:[a-z-]+:iam::\d{12}:role/[\w+=,.@/-]{1,512}")


def attempt_scope(execution: Execution, settings: Settings, *, with_token: bool = False) -> Scope:
    """The scope of the pending attempt, from the head alone: ``$`` is the state's raw
    input, ``$$.State.RetryCount`` the attempt's retries, ``$$.Task.Token`` its token
    (in Parameters only); the attempt's nonce seeds UUID and MathRandom."""
    pending = _attempt(execution)
    context = context_object(
        execution,
        settings,
        execution.state or "",
        execution.entered_at or execution.start_date,
        retry_count=pending.number - 1,
        task_token=_token(execution) if with_token else None,
    )
    entered = execution.entered_at or execution.start_date
    return scope(execution.data, context, execution, pending.nonce, entered)


def _token(execution: Execution) -> str:
    pending = _attempt(execution)
    return encode_task_token(TokenClaim(execution.execution_id, execution.version, pending.nonce))


def timeout_seconds(state: TaskState, raw: Scope) -> int | None:
    """The attempt's TimeoutSeconds: given, or read by TimeoutSecondsPath from the state's
    input, where it "MUST select a field whose value is a positive integer" (else the
    state fails with States.Runtime)."""
    if state.timeout_expression is not None:
        return _expression_seconds(raw, state.timeout_expression, "TimeoutSeconds")
    return _positive_seconds(
        raw, state.timeout_seconds, state.timeout_seconds_path, "TimeoutSecondsPath"
    )


def _expression_seconds(raw: Scope, expression: Template, field: str) -> int:
    """A JSONata TimeoutSeconds or HeartbeatSeconds (else States.QueryEvaluationError)."""
    return _as_seconds(expression.evaluate(raw), f"{field} gave", QueryEvaluationError)


def _positive_seconds(raw: Scope, given: int | None, path: str | None, field: str) -> int | None:
    """A number of seconds given as is, or read by ``path`` from the state's input, where
    it "MUST select a field whose value is a positive integer" (else States.Runtime)."""
    if path is None:
        return given
    return _as_seconds(read(raw, path), f"{field} {path!r} selected", AslError)


def _as_seconds(value: Json, source: str, failure: type[AslError]) -> int:
    """``value`` as a positive whole number of seconds, or ``failure`` naming its source."""
    seconds = whole_seconds(value, minimum=1)
    if seconds is not None:
        return seconds
    raise failure(
        f"{source} {describe(value)}, not a positive whole number of seconds up to "
        f"{MAX_WAIT_SECONDS}"
    )


def succeed(name: str, state: TaskState, execution: Execution, output: Json, run: Run) -> Step:
    """The worker succeeded: place its result (ResultPath), then OutputPath, and move on."""
    run.emit("TaskSucceeded", name, output=output)
    try:
        raw = attempt_scope(execution, run.settings)
        state_output, assigned = shaped_result(state, raw, output)
    except AslError as error:
        return fail(name, state, execution, run, error=error.error, cause=error.cause)
    return _leave_checked(name, state, execution, run, state_output=state_output, assigned=assigned)


def _leave_checked(
    name: str,
    state: TaskState,
    execution: Execution,
    run: Run,
    *,
    state_output: Json,
    assigned: dict[str, Json] | None,
) -> Step:
    """Leave with ``state_output`` unless it is over the limits (this state's error)."""
    # An output over the limits is this state's error: its own Retry and Catch see it
    # (only States.ALL and States.TaskFailed skip it; it can be named explicitly).
    oversize = check_state_output(state_output)
    if oversize is not None:
        limit = StatesError.DATA_LIMIT_EXCEEDED.value
        return fail(name, state, execution, run, error=limit, cause=oversize.cause)
    return leave(state.next, state_output, assigned)


def fail(
    name: str, state: TaskState, execution: Execution, run: Run, *, error: str, cause: str | None
) -> Step:
    """The attempt failed with ``error``: Retry is consulted first, then Catch.

    "When a state reports an error, Step Functions ... first consults the Retry field;
    if the retry policy is exhausted (or none matches), it applies the Catch field."
    """
    pending = _attempt(execution)
    plan = plan_retry(state.retry, pending.retry_counts, error, run.fraction("jitter"))
    if plan is not None and run.transitions_left <= 0:
        # A retry is a transition the execution may not make; it ends here, uncaught.
        return transition_limit_failure(run.settings.max_transitions)
    if plan is not None:
        run.transitions += 1  # "each retry will be charged as an additional state transition"
        try:
            return _dispatch(
                name,
                state,
                run,
                execution.data,
                attempt=pending.number + 1,
                retry_counts=plan.retry_counts,
                delay=plan.delay_seconds,
                reentry=False,
            )
        except AslError as bad_input:  # this attempt's input cannot be built
            raw = attempt_scope(execution, run.settings)
            return catch(state, run, raw, error=bad_input.error, cause=bad_input.cause)
    return catch(state, run, attempt_scope(execution, run.settings), error=error, cause=cause)


def catch(state: TaskState, run: Run, raw: Scope, *, error: str, cause: str | None) -> Step:
    """The first of the state's Catchers that matches ``error`` handles it (see
    :func:`steplane.interpreter.catching.catch_error`)."""
    return catch_error(state.catch, raw, error=error, cause=cause)


class TaskLifecycle:
    """A Task parks on an attempt: dispatched now or after a retry delay, timed out by a
    TIMEOUT wake-up, answered by a worker's result for exactly that attempt."""

    def enter(self, name: str, state: TaskState, raw_input: Json, run: Run) -> Step:
        """See :func:`enter`."""
        return enter(name, state, raw_input, run)

    def on_task_result(self, name: str, state: TaskState, result: TaskResult, run: Run) -> Reaction:
        """Record the result of the pending attempt (only it: version and nonce match)."""
        execution = run.execution
        pending = execution.task_attempt
        if pending is None or (result.version, result.nonce) != (execution.version, pending.nonce):
            return NO_PENDING_TASK
        if pending.has_timed_out(run.now):
            # Too late: the attempt timed out before its result arrived (Step Functions
            # answers such a result with TaskTimedOut). Time it out now.
            return self._time_out(name, state, run)
        run.emit("TaskStarted", name, at=result.started_at or run.now, attempt=pending.number)
        if result.succeeded:
            return Carry(succeed(name, state, execution, result.output, run))
        run.emit("TaskFailed", name, error=result.error, cause=result.cause)
        error, cause = result.error or "", result.cause
        return Carry(fail(name, state, execution, run, error=error, cause=cause))

    def on_wake(self, name: str, state: TaskState, wake: Wake, run: Run) -> Reaction:
        """A RETRY wake-up sends what is pending: its next hop while the retry is still
        beyond SQS's delay cap, else the delayed attempt and that attempt's timeout
        wake-up (neither was sent before). A TIMEOUT wake-up times the attempt out, or,
        early, re-arms only itself."""
        execution, now = run.execution, run.now
        if wake.purpose is WakePurpose.RETRY:
            return Rearm(self.pending(state, execution, now, run.settings))
        if wake.purpose not in (WakePurpose.TIMEOUT, WakePurpose.HEARTBEAT):
            return wake_not_for(wake, name)
        if not _attempt(execution).has_timed_out(now):
            # Early (SQS delays at most 900 s), or a heartbeat moved the deadline on:
            # re-arm this wake-up for the moment the head names now.
            pending = self.pending(state, execution, now, run.settings)
            return Rearm(tuple(c for c in pending if _is_purpose(c, wake.purpose)))
        return self._time_out(name, state, run)

    def pending(
        self, state: TaskState, execution: Execution, now: datetime, settings: Settings
    ) -> tuple[Command, ...]:
        """The attempt's dispatch and its timeout wake-up; a retry further away than SQS
        can delay travels as re-armed RETRY wake-ups instead (the timeout wake-up is sent
        with the attempt itself, not hop after hop)."""
        pending, version = _attempt(execution), execution.version
        due = pending.dispatch_at or now
        delay = max(0.0, (due - now).total_seconds())
        if delay > MAX_QUEUE_DELAY_SECONDS:
            return (WakeAt(due, WakePurpose.RETRY, version),)
        commands: list[Command] = [dispatch_command(state, execution, math.ceil(delay), settings)]
        if pending.timeout_at is not None:
            commands.append(WakeAt(pending.timeout_at, WakePurpose.TIMEOUT, version))
        if pending.heartbeat_at is not None:
            commands.append(WakeAt(pending.heartbeat_at, WakePurpose.HEARTBEAT, version))
        return tuple(commands)

    def overdue_at(self, state: TaskState, execution: Execution, settings: Settings) -> datetime:
        """The dispatch (now, or when a retry delay ends) plus the task lease, or the
        timeout plus the grace if that comes first. The lease is how a lost task message
        is noticed, so a task running longer than the lease is dispatched again (same
        token and idempotency key: workers already get SQS's at-least-once delivery);
        waiting for its timeout instead would fail an attempt that never ran."""
        pending, committed = _attempt(execution), committed_at(execution)
        dispatched = max(pending.dispatch_at or committed, committed)
        due = dispatched + timedelta(seconds=settings.task_lease_seconds)
        # Not the heartbeat deadline: a heartbeat moves it with no commit, so the sweeper
        # would find a live task overdue. A lost HEARTBEAT wake-up is re-sent with the
        # rest at the lease.
        if pending.timeout_at is not None:
            due = min(due, pending.timeout_at + timedelta(seconds=settings.sweep_grace_seconds))
        return due

    def resend_gap_seconds(self, settings: Settings, resent: int) -> int:
        """Doubling from the task lease: a task may legitimately run that long."""
        return doubling_gap(settings.task_lease_seconds, resent, settings)

    def abandoned(
        self, name: str, state: TaskState, execution: Execution, settings: Settings
    ) -> tuple[Command, ...]:
        """A ``startExecution.sync`` attempt left without its child's end stops the child
        ("if a states:startExecution.sync task is aborted, it will call the Step
        Functions StopExecution API action"); other tasks leave nothing to stop."""
        pending = execution.task_attempt
        target = classify(state.resource)
        nested = isinstance(target, ServiceCall) and target.waits_for_execution
        if pending is None or not nested:
            return ()
        try:
            parameters = task_input(state, execution, settings)
        except AslError:
            return ()  # its input cannot be built: no child was started
        child = child_id(parameters, idempotency_key(execution), pending.number)
        if child is None:
            return ()
        cause = f"its parent {execution.execution_id} left the state {name!r} waiting for it"
        return (StopExecution(child, cause, _token(execution)),)

    def _time_out(self, name: str, state: TaskState, run: Run) -> Carry:
        """The attempt ran past its TimeoutSeconds (States.Timeout) or went longer than
        HeartbeatSeconds without a heartbeat (States.HeartbeatTimeout); then Retry/Catch."""
        attempt = _attempt(run.execution)
        run.once.extend(self.abandoned(name, state, run.execution, run.settings))
        if attempt.lapsed(run.now) == "heartbeat":
            error = StatesError.HEARTBEAT_TIMEOUT.value
            cause = f"no heartbeat for {attempt.heartbeat_seconds} s (HeartbeatSeconds)"
            run.emit("TaskTimedOut", name, error=error, cause=cause)
        else:
            error, cause = StatesError.TIMEOUT.value, "task timed out"
            run.emit("TaskTimedOut", name, error=error)
        return Carry(fail(name, state, run.execution, run, error=error, cause=cause))


def dispatch_command(
    state: TaskState, execution: Execution, delay_seconds: int, settings: Settings
) -> DispatchTask:
    """The message that sends the current task attempt to its worker."""
    pending = _attempt(execution)
    return DispatchTask(
        route=state.route,
        action=state.action_name,
        resource=state.resource,
        token=_token(execution),
        input=task_input(state, execution, settings),
        attempt=pending.number,
        idempotency_key=idempotency_key(execution),
        delay_seconds=delay_seconds,
        deadline=pending.timeout_at,
        role_arn=role_arn(state, execution, settings),
    )


def idempotency_key(execution: Execution) -> str:
    """The task's idempotency key: stable across redeliveries and retries of this state
    visit."""
    return f"{execution.execution_id}/{execution.state}/{execution.entered_version}"


def _attempt(execution: Execution) -> TaskAttempt:
    """The attempt a head parked in a Task waits for (a Task head always has one)."""
    pending = execution.task_attempt
    assert pending is not None, f"{execution.execution_id} is in a Task with no attempt"
    return pending


def _is_purpose(command: Command, purpose: WakePurpose) -> bool:
    return isinstance(command, WakeAt) and command.purpose is purpose


def check(names: Collection[str], where: str, task: TaskState) -> Iterator[Problem]:
    """Its route, its Retry and Catch lists, and HeartbeatSeconds below TimeoutSeconds."""
    yield from check_route(where, task.resource, task.service, task.action)
    yield from check_resource(where, task.resource)
    yield from check_error_lists(f"{where}/Retry", task.retry)
    yield from check_error_lists(f"{where}/Catch", task.catch)
    for index, retrier in enumerate(task.retry):
        if retrier.max_delay_seconds is not None and retrier.max_delay_seconds > MAX_DELAY_SECONDS:
            yield Problem(f"{where}/Retry/{index}/MaxDelaySeconds", "is above one year")
    heartbeat, timeout = task.heartbeat_seconds, task.timeout_seconds
    if heartbeat is not None and timeout is not None and heartbeat >= timeout:
        # The spec: "If provided, the "HeartbeatSeconds" interval MUST be smaller than
        # the "TimeoutSeconds" value."
        yield Problem(
            f"{where}/HeartbeatSeconds",
            f"must be smaller than TimeoutSeconds ({timeout}), got {heartbeat}",
        )


def check_route(where: str, resource: object, service: object, action: object) -> Iterator[Problem]:
    """``Resource``, or the founding ``Service`` and ``Action`` together; not both."""
    has_service = service is not None or action is not None
    if resource is None and not has_service:
        yield Problem(where, "a Task needs Resource (or Service and Action)")
    if resource is not None and has_service:
        yield Problem(where, "give Resource or Service + Action, not both")
    if has_service and (service is None or action is None):
        missing = "Service" if service is None else "Action"
        yield Problem(where, f"Service and Action go together; {missing} is missing")


def _check_raw(raw: Mapping[str, Any], where: str) -> Iterator[Problem]:
    yield from check_route(where, raw.get("Resource"), raw.get("Service"), raw.get("Action"))


LIFECYCLE = TaskLifecycle()
TYPE = StateType("Task", TaskState, LIFECYCLE, check=check, check_raw=_check_raw)
