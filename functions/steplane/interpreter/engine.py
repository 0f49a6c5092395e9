"""The pure core: ``decide(definition, execution, signal, now, seed) -> Decision``.

It reads no clock and does no I/O. Pass, Choice, Succeed and Fail states run inside one
decision (no queue hop per state); a decision ends where the execution must wait for
something outside it (a task result, a timer) or where it ends.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from steplane.asl.failures import AslError
from steplane.definition.loader import Definition
from steplane.definition.model import TaskState, WaitState
from steplane.errors import StatesError
from steplane.execution import Execution, ExecutionStatus
from steplane.interpreter.decisions import (
    Command,
    Decision,
    Ignore,
    Rearm,
    Transition,
    WakeAt,
)
from steplane.interpreter.pending import pending_commands
from steplane.interpreter.run import Run
from steplane.interpreter.signals import Begin, Signal, TaskResult, Wake, WakePurpose
from steplane.interpreter.states import ENTER, task_state, wait_state
from steplane.interpreter.steps import (
    Fail,
    Finish,
    Goto,
    Park,
    Step,
    transition_limit_failure,
)
from steplane.interpreter.sweep import sweep_due
from steplane.jsontypes import Json
from steplane.settings import DEFAULT_SETTINGS, Settings

# A Pass/Choice loop must not spin one invocation forever: after this many states the
# decision commits and continues from a wake-up message.
MAX_STATES_PER_DECISION = 250

# What a head forgets when it leaves a parked Task or Wait: nothing is in flight for it.
_NOTHING_PENDING: dict[str, object] = {"task_nonce": None, "due_at": None, "timeout_at": None}


def decide(
    definition: Definition,
    execution: Execution,
    signal: Signal,
    now: datetime,
    seed: str,
    *,
    settings: Settings = DEFAULT_SETTINGS,
) -> Decision:
    """Decide what ``signal`` does to ``execution``. Pure: same arguments, same decision."""
    if execution.status.is_terminal:
        return Ignore(f"execution is already {execution.status}")
    run = Run(definition, execution, now, seed, settings)
    if isinstance(signal, Begin):
        if execution.version != 0:
            return Ignore("execution has already begun")
        run.emit("ExecutionStarted", input=signal.input)
        return _commit(run, _walk(run, definition.machine.start_at, signal.input))
    if isinstance(signal, TaskResult):
        return _on_task_result(run, signal)
    return _on_wake(run, signal)


def _on_task_result(run: Run, result: TaskResult) -> Decision:
    execution = run.execution
    state = _current(run)
    if not isinstance(state, TaskState) or (result.version, result.nonce) != (
        execution.version,
        execution.task_nonce,
    ):
        return Ignore("the result is for a task attempt that is no longer pending")
    name = execution.state or ""
    if execution.timeout_at is not None and run.now >= execution.timeout_at:
        # Too late: the attempt timed out before its result arrived (Step Functions
        # answers such a result with TaskTimedOut). Time it out now.
        return _time_out(run, state, name)
    run.emit("TaskStarted", name, at=result.started_at or run.now, attempt=execution.attempt)
    if result.succeeded:
        step = task_state.succeed(name, state, execution, result.output, run)
    else:
        run.emit("TaskFailed", name, error=result.error, cause=result.cause)
        step = task_state.fail(
            name, state, execution, run, error=result.error or "", cause=result.cause
        )
    return _commit(run, _follow(run, name, step))


def _on_wake(run: Run, wake: Wake) -> Decision:
    execution = run.execution
    if wake.version != execution.version:
        return Ignore("the wake-up is for a version that has passed")
    state, name, now = _current(run), execution.state or "", run.now

    def rearm(keep: Callable[[Command], bool]) -> Rearm:
        pending = pending_commands(run.definition, execution, now)
        return Rearm(tuple(command for command in pending if keep(command)))

    if wake.purpose is WakePurpose.WAIT and isinstance(state, WaitState):
        if execution.due_at is not None and now < execution.due_at:
            return rearm(lambda _: True)
        return _commit(run, _follow(run, name, wait_state.finish(state, execution.data)))
    # A retry wake-up sends what is pending: its next hop while the retry is still beyond
    # SQS's delay cap, else the delayed attempt and that attempt's timeout wake-up (neither
    # was sent before). A timeout wake-up that came early re-arms only itself.
    if wake.purpose is WakePurpose.RETRY and isinstance(state, TaskState):
        return rearm(lambda _: True)
    if wake.purpose is WakePurpose.TIMEOUT and isinstance(state, TaskState):
        if execution.timeout_at is None or now < execution.timeout_at:
            return rearm(lambda command: _has_purpose(command, WakePurpose.TIMEOUT))
        return _time_out(run, state, name)
    if wake.purpose is WakePurpose.CONTINUE and not isinstance(state, TaskState | WaitState):
        return _commit(run, _walk(run, name, execution.data))
    return Ignore(f"a {wake.purpose} wake-up does not apply to state {name!r}")


def _time_out(run: Run, state: TaskState, name: str) -> Transition:
    """The current task attempt ran past its TimeoutSeconds: States.Timeout, then Retry/Catch."""
    run.emit("TaskTimedOut", name, error=StatesError.TIMEOUT.value)
    step = task_state.fail(
        name, state, run.execution, run, error=StatesError.TIMEOUT, cause="task timed out"
    )
    return _commit(run, _follow(run, name, step))


def _has_purpose(command: Command, purpose: WakePurpose) -> bool:
    return isinstance(command, WakeAt) and command.purpose is purpose


def _current(run: Run) -> object:
    name = run.execution.state
    return run.definition.state(name) if name is not None else None


def _walk(run: Run, name: str, raw_input: Json) -> Execution:
    """Enter ``name`` with ``raw_input`` and run states until one parks or the execution ends."""
    for _ in range(MAX_STATES_PER_DECISION):
        if run.transitions_left <= 0:
            return _end_failed(run, transition_limit_failure(run.settings.max_transitions))
        state = run.definition.state(name)
        run.transitions += 1
        run.emit(f"{state.type}StateEntered", name, input=raw_input)
        try:
            step = ENTER[state.type](name, state, raw_input, run)
        except AslError as error:
            step = Fail(error.error, error.cause)
        if not isinstance(step, Goto):
            return _settle(run, name, raw_input, step)
        name, raw_input = _exit(run, name, step)
    # Yield: commit with the next state pending; a CONTINUE wake-up carries on.
    return run.execution.evolve(
        state=name,
        data=raw_input,
        entered_version=run.execution.version + 1,
        attempt=0,
        retry_counts=(),
        **_NOTHING_PENDING,
    )


def _follow(run: Run, name: str, step: Step) -> Execution:
    """Carry on from a step taken in the current (parked) state."""
    if isinstance(step, Goto):
        next_name, output = _exit(run, name, step)
        return _walk(run, next_name, output)
    return _settle(run, name, run.execution.data, step)


def _exit(run: Run, name: str, step: Goto) -> tuple[str, Json]:
    _emit_exited(run, name, step.output)
    return step.next, step.output


def _emit_exited(run: Run, name: str, output: Json) -> None:
    run.emit(f"{run.definition.state(name).type}StateExited", name, output=output)


def _settle(run: Run, name: str, raw_input: Json, step: Step) -> Execution:
    if isinstance(step, Park):
        fields = dict(step.changes)
        if step.reentry:
            fields["entered_version"] = run.execution.version + 1
        return run.execution.evolve(state=name, data=raw_input, **fields)
    if isinstance(step, Finish):
        _emit_exited(run, name, step.output)
        run.emit("ExecutionSucceeded", output=step.output)
        return run.execution.evolve(
            status=ExecutionStatus.SUCCEEDED,
            state=None,
            data=step.output,
            stop_date=run.now,
            **_NOTHING_PENDING,
        )
    assert isinstance(step, Fail)
    return _end_failed(run, step)


def _end_failed(run: Run, failure: Fail) -> Execution:
    run.emit("ExecutionFailed", error=failure.error, cause=failure.cause)
    return run.execution.evolve(
        status=ExecutionStatus.FAILED,
        state=None,
        data=None,
        stop_date=run.now,
        error=failure.error,
        cause=failure.cause,
        **_NOTHING_PENDING,
    )


def _commit(run: Run, execution: Execution) -> Transition:
    """Bump the version, count events and transitions, and derive the commands and the
    sweeper's due time from the new head."""
    committed = execution.evolve(
        version=run.execution.version + 1,
        event_count=run.execution.event_count + len(run.events),
        transitions=run.execution.transitions + run.transitions,
        updated_at=run.now,
        sweep_count=0,
    )
    committed = committed.evolve(sweep_at=sweep_due(run.definition, committed, run.settings))
    return Transition(
        committed, tuple(run.events), pending_commands(run.definition, committed, run.now)
    )
