"""The pure core: ``decide(definition, execution, signal, now, seed) -> Decision``.

It reads no clock and does no I/O. Pass, Choice, Succeed and Fail states run inside one
decision (no queue hop per state); a decision ends where the execution must wait for
something outside it (a task result, a timer) or where it ends.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from steplane.asl.failures import AslError
from steplane.asl.variables import merged
from steplane.definition.loader import Definition
from steplane.definition.model import StateSpec
from steplane.errors import StatesError
from steplane.execution import Execution, ExecutionStatus
from steplane.interpreter.decisions import (
    AbortChildren,
    Decision,
    Ignore,
    NotifyCaller,
    Rearm,
    StepLanes,
    Transition,
)
from steplane.interpreter.pending import deadline_wake, pending_commands
from steplane.interpreter.run import Run
from steplane.interpreter.signals import (
    Abort,
    Begin,
    FanIn,
    ItemsRead,
    Redrive,
    Signal,
    TaskResult,
    Wake,
    WakePurpose,
)
from steplane.interpreter.steps import (
    Assigned,
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
from steplane.states import ABANDONING, FANNING, lifecycle_of, parked_in
from steplane.states.lifecycle import (
    NO_PENDING_TASK,
    Carry,
    FanningLifecycle,
    Reaction,
    Resume,
)

# What RedriveExecution restarts: "failed, aborted, or timed out executions".
REDRIVABLE = frozenset({ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT, ExecutionStatus.ABORTED})

# A Pass/Choice loop must not spin one invocation forever: after this many states the
# decision commits and continues from a wake-up message.
MAX_STATES_PER_DECISION = 250


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
    if isinstance(signal, Redrive):
        if execution.status not in REDRIVABLE:
            return Ignore(f"a {execution.status} execution cannot be redriven")
        return _redrive(Run(definition, execution, now, seed, settings), signal)
    if execution.status.is_terminal:
        return Ignore(f"execution is already {execution.status}")
    run = Run(definition, execution, now, seed, settings)
    if isinstance(signal, Begin):
        if execution.version != 0:
            return Ignore("execution has already begun")
        return _begin(run, signal)
    if execution.deadline is not None and now >= execution.deadline:
        # Past the definition's TimeoutSeconds: whatever arrived, the execution times out
        # (a task result after that is not applied).
        return _commit(run, _end_timed_out(run, execution.deadline))
    if isinstance(signal, TaskResult):
        return _on_task_result(run, signal)
    if isinstance(signal, FanIn):
        return _on_fan_in(run, signal)
    if isinstance(signal, ItemsRead):
        return _on_items_read(run, signal)
    if isinstance(signal, Abort):
        return _commit(run, _end_aborted(run, signal))
    if signal.purpose is WakePurpose.EXECUTION_TIMEOUT:
        return _rearm_deadline(execution)
    return _on_wake(run, signal)


def _begin(run: Run, begin: Begin) -> Transition:
    """Start: the first states run, and the execution's own timeout is set and armed.

    The spec: "TimeoutSeconds (optional): The maximum number of seconds an execution of
    the state machine can run. If it runs longer than the specified time, the execution
    fails with a States.Timeout Error Name." (Step Functions reports TIMED_OUT.)
    """
    timeout = run.definition.machine.timeout_seconds
    place = run.execution.parent
    if place is None or place.own_context:
        # The input is the Context Object's $$.Execution.Input for the whole execution
        # (a Map Run's child is an execution of its own; any other child's is its
        # root's, loaded by the shell).
        run.execution = replace(run.execution, input=begin.input)
    if place is not None:
        timeout = None  # the definition's TimeoutSeconds is its root execution's
    if timeout is not None:
        deadline = run.now + timedelta(seconds=timeout)
        run.execution = replace(run.execution, deadline=deadline)
    run.emit("ExecutionStarted", input=begin.input)
    return _armed(_commit(run, _walk(run, run.machine.start_at, begin.input)))


def _armed(transition: Transition) -> Transition:
    """The transition, with the wake-up of the execution's own timeout if it has one."""
    armed = deadline_wake(transition.execution)
    if armed is None or transition.execution.status.is_terminal:
        return transition
    return replace(transition, commands=(*transition.commands, armed))


def _redrive(run: Run, redrive: Redrive) -> Transition:
    """Run again from ``redrive.state`` (RedriveExecution): the execution is RUNNING once
    more, with ``RedriveCount`` one up, and its ``ExecutionRedriven`` event.

    The guide: "the state machine level timeout, if defined, is reset to 0" (it counts
    from the redrive). A nested execution redriven reports to no parent task any more
    (that task ended with the first run). Retries count afresh: the state is entered
    anew.
    """
    execution = run.execution
    count = execution.redrive_count + 1
    timeout = run.definition.machine.timeout_seconds
    deadline = None
    if timeout is not None and execution.parent is None:
        deadline = run.now + timedelta(seconds=timeout)
    run.execution = replace(
        execution,
        status=ExecutionStatus.RUNNING,
        stop_date=None,
        error=None,
        cause=None,
        data=None,
        caller=None,
        deadline=deadline,
        redrive_count=count,
        redriven_at=run.now,
    )
    run.emit("ExecutionRedriven", redriveCount=count, **redrive.details)
    return _armed(_commit(run, _walk(run, redrive.state, redrive.input)))


def _rearm_deadline(execution: Execution) -> Decision:
    """An execution-timeout wake-up that came early (SQS delays at most 900 s): send it on."""
    armed = deadline_wake(execution)
    return Ignore("the execution has no TimeoutSeconds") if armed is None else Rearm((armed,))


def _on_task_result(run: Run, result: TaskResult) -> Decision:
    name = run.execution.state
    if name is None:
        return NO_PENDING_TASK
    state = run.definition.state(name)
    behaviour = parked_in(state, run.execution)
    return _react(run, name, behaviour.on_task_result(name, state, result, run))


def _on_fan_in(run: Run, fan_in: FanIn) -> Decision:
    found = _fanning(run, fan_in.visit, reading=False)
    if isinstance(found, Ignore):
        return found
    name, state, fanning = found
    return _react(run, name, fanning.on_fan_in(name, state, fan_in, run))


def _on_items_read(run: Run, items_read: ItemsRead) -> Decision:
    found = _fanning(run, items_read.visit, reading=True)
    if isinstance(found, Ignore):
        return found
    name, state, fanning = found
    return _react(run, name, fanning.on_items_read(name, state, items_read, run))


def _fanning(
    run: Run, visit: int, *, reading: bool
) -> tuple[str, StateSpec, FanningLifecycle[Any]] | Ignore:
    """The state parked on visit ``visit``'s children (``reading``: on reading its
    items), with its lifecycle; or why a signal for that visit is ignored."""
    name, fan = run.execution.state, run.execution.fan_out
    if name is None or fan is None or visit != run.execution.entered_version:
        return Ignore("the signal is for a visit of a state that has passed")
    if fan.reading != reading:
        return Ignore("the signal is for a step of the visit that has passed")
    state = run.definition.state(name)
    fanning = FANNING.get(state.type)
    if fanning is None:
        return Ignore(f"a {state.type} state has no children")
    return name, state, fanning


def _on_wake(run: Run, wake: Wake) -> Decision:
    name = run.execution.state
    if wake.version != run.execution.version or name is None:
        return Ignore("the wake-up is for a version that has passed")
    state = run.definition.state(name)
    return _react(run, name, parked_in(state, run.execution).on_wake(name, state, wake, run))


def _react(run: Run, name: str, reaction: Reaction) -> Decision:
    """Turn a state's reaction to a signal into the decision."""
    if isinstance(reaction, Carry):
        return _commit(run, _follow(run, name, reaction.step))
    if isinstance(reaction, Resume):
        return _commit(run, _walk(run, name, run.execution.data))
    return reaction


def _walk(run: Run, name: str, raw_input: Json) -> Execution:
    """Enter ``name`` with ``raw_input`` and run states until one parks or the execution ends."""
    for _ in range(MAX_STATES_PER_DECISION):
        if run.transitions_left <= 0:
            return _end_failed(run, transition_limit_failure(run.settings.max_transitions))
        state = run.definition.state(name)
        run.transitions += 1
        run.emit(f"{state.type}StateEntered", name, input=raw_input)
        try:
            step = _assigning(run, lifecycle_of(state).enter(name, state, raw_input, run))
        except AslError as error:
            step = Fail(error.error, error.cause)
        if not isinstance(step, Goto):
            return _settle(run, name, raw_input, step)
        name, raw_input = _exit(run, name, step)
    # Yield: commit with the next state pending; a CONTINUE wake-up carries on.
    return replace(
        run.execution,
        state=name,
        data=raw_input,
        entered_version=run.execution.version + 1,
        entered_at=None,  # entered when the continuation runs it
        waiting=None,
    )


def _assigning(run: Run, step: Step) -> Step:
    """Apply what the state leaving with ``step`` assigns: the variables change now, for
    the next state ("The new variable values will be available starting with the next
    state"); every expression of the state itself read them as they were on entry.

    Raises:
        AslError: the variables would be over their total limit.
    """
    if isinstance(step, Goto | Finish) and step.assigned:
        variables = merged(run.execution.variables, step.assigned)
        run.execution = replace(run.execution, variables=variables)
    return step


def _follow(run: Run, name: str, step: Step) -> Execution:
    """Carry on from a step taken in the current (parked) state."""
    try:
        step = _assigning(run, step)
    except AslError as error:
        step = Fail(error.error, error.cause)
    if isinstance(step, Goto):
        next_name, output = _exit(run, name, step)
        return _walk(run, next_name, output)
    return _settle(run, name, run.execution.data, step)


def _exit(run: Run, name: str, step: Goto) -> tuple[str, Json]:
    _emit_exited(run, name, step.output, step.assigned)
    return step.next, step.output


def _emit_exited(run: Run, name: str, output: Json, assigned: Assigned = None) -> None:
    # Step Functions' StateExited details list "assignedVariables" (name -> JSON text).
    kind = f"{run.definition.state(name).type}StateExited"
    if assigned:
        run.emit(kind, name, output=output, assignedVariables=dict(assigned))
    else:
        run.emit(kind, name, output=output)


def _settle(run: Run, name: str, raw_input: Json, step: Step) -> Execution:
    if isinstance(step, Park):
        entered_at: datetime | None = run.now
        if step.reentry:
            entered = run.execution.version + 1
        else:
            entered, entered_at = run.execution.entered_version, run.execution.entered_at
        return replace(
            run.execution,
            state=name,
            data=raw_input,
            waiting=step.waiting,
            entered_version=entered,
            entered_at=entered_at,
        )
    if isinstance(step, Finish):
        _emit_exited(run, name, step.output, step.assigned)
        run.emit("ExecutionSucceeded", output=step.output)
        return _ended(run, ExecutionStatus.SUCCEEDED, data=step.output)
    assert isinstance(step, Fail)
    return _end_failed(run, step)


def _stop_children(run: Run) -> None:
    """An execution that ends while parked on children stops them (its own timeout, an
    abort of a child that fanned out in turn), and what its state leaves running (a
    nested execution a Task waits for)."""
    execution = run.execution
    fan = execution.fan_out
    if fan is not None:
        visit = execution.entered_version
        run.once.append(AbortChildren(execution.execution_id, visit, fan.lanes))
    if execution.waiting is None or execution.state is None:
        return
    state = run.definition.state(execution.state)
    leaving = ABANDONING.get(state.type)
    if leaving is not None:
        run.once.extend(leaving.abandoned(execution.state, state, execution, run.settings))


def _end_timed_out(run: Run, deadline: datetime) -> Execution:
    seconds = run.definition.machine.timeout_seconds
    if seconds is None or run.execution.parent is not None:
        # A child's own limit (an EXPRESS child of a Map Run: five minutes).
        cause = f"the execution ran past its maximum duration (at {deadline.isoformat()})"
    else:
        cause = (
            f"the execution ran past its TimeoutSeconds ({seconds} s, at {deadline.isoformat()})"
        )
    error = StatesError.TIMEOUT.value
    _stop_children(run)
    run.emit("ExecutionTimedOut", error=error, cause=cause, **_pending(run.execution))
    return _ended(run, ExecutionStatus.TIMED_OUT, error=error, cause=cause)


def _end_aborted(run: Run, abort: Abort) -> Execution:
    _stop_children(run)
    run.emit("ExecutionAborted", error=abort.error, cause=abort.cause, **_pending(run.execution))
    return _ended(run, ExecutionStatus.ABORTED, error=abort.error, cause=abort.cause)


def _pending(execution: Execution) -> dict[str, Json]:
    """For a head stopped between two parts of a long Pass/Choice chain (it yielded: the
    next state is named but not entered yet), that state and its input, which its end
    event records: a redrive restarts there (steplane.redriving), not at the state
    before it, which had succeeded."""
    if execution.waiting is not None or execution.state is None:
        return {}
    return {"pendingState": execution.state, "pendingInput": execution.data}


def _end_failed(run: Run, failure: Fail) -> Execution:
    run.emit("ExecutionFailed", error=failure.error, cause=failure.cause)
    return _ended(run, ExecutionStatus.FAILED, error=failure.error, cause=failure.cause)


def _ended(
    run: Run,
    status: ExecutionStatus,
    *,
    data: Json = None,
    error: str | None = None,
    cause: str | None = None,
) -> Execution:
    """The head of an execution that ends now with ``status``: no state, nothing awaited."""
    return replace(
        run.execution,
        status=status,
        state=None,
        data=data,
        stop_date=run.now,
        error=error,
        cause=cause,
        waiting=None,
        entered_at=None,
    )


def _commit(run: Run, execution: Execution) -> Transition:
    """Bump the version, count events and transitions, and derive the commands and the
    sweeper's due time from the new head."""
    committed = replace(
        execution,
        version=run.execution.version + 1,
        event_count=run.execution.event_count + len(run.events),
        transitions=run.execution.transitions + run.transitions,
        updated_at=run.now,
        sweep_count=0,
    )
    committed = replace(committed, sweep_at=sweep_due(run.definition, committed, run.settings))
    commands = (*pending_commands(run.definition, committed, run.now, run.settings), *run.once)
    parent = committed.parent
    if parent is not None and committed.status.is_terminal:
        # A child that ended moves its lane on (a hint: the parent's sweep re-sends it).
        lane = StepLanes(
            parent.execution_id, parent.visit, parent.lane, parent.lane, ended=parent.index
        )
        commands = (*commands, lane)
    caller = committed.caller
    if caller is not None and committed.status.is_terminal:
        # A nested execution that ended tells its waiting parent task (a hint: the
        # parent's task lease re-sends its call, which finds this end).
        commands = (*commands, NotifyCaller(caller.task_token, caller.pattern))
    # The head read that decided it, and what it sends (the store adds its write units).
    spent = committed.consumed
    consumed = replace(
        spent, read_units=spent.read_units + 1, messages=spent.messages + len(commands)
    )
    return Transition(replace(committed, consumed=consumed), tuple(run.events), commands)
