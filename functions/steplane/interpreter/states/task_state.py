"""Task: dispatches work to a worker, then handles its result with Retry and Catch."""

from __future__ import annotations

import math
from datetime import timedelta

from steplane.asl.paths import (
    PathError,
    apply_input_path,
    apply_output_path,
    apply_result_path,
)
from steplane.definition.model import TaskState
from steplane.errors import StatesError
from steplane.execution import Execution
from steplane.interpreter.data_limits import check_state_output
from steplane.interpreter.retry import find_catcher, plan_retry
from steplane.interpreter.run import Run
from steplane.interpreter.steps import Fail, Goto, Park, Step, leave, transition_limit_failure
from steplane.jsontypes import Json


def enter(name: str, state: TaskState, raw_input: Json, run: Run) -> Step:
    """Enter a Task: check its InputPath resolves, then park with attempt 1 dispatched."""
    apply_input_path(raw_input, state.input_path)  # a bad InputPath fails before dispatch
    return _dispatch(name, state, run, attempt=1, retry_counts=(), delay=0.0, reentry=True)


def _dispatch(
    name: str,
    state: TaskState,
    run: Run,
    *,
    attempt: int,
    retry_counts: tuple[int, ...],
    delay: float,
    reentry: bool,
) -> Park:
    due = run.now + timedelta(seconds=delay) if delay > 0 else None
    start = due or run.now
    timeout = start + timedelta(seconds=state.timeout_seconds) if state.timeout_seconds else None
    run.emit(
        "TaskScheduled",
        name,
        resource=state.route,
        action=state.action_name,
        attempt=attempt,
        delaySeconds=math.ceil(delay),
    )
    changes = {
        "attempt": attempt,
        "retry_counts": retry_counts,
        "task_nonce": run.nonce(f"task:{attempt}"),
        "due_at": due,
        "timeout_at": timeout,
    }
    return Park(changes, reentry=reentry)


def succeed(name: str, state: TaskState, execution: Execution, output: Json, run: Run) -> Step:
    """The worker succeeded: place its result (ResultPath), then OutputPath, and move on."""
    run.emit("TaskSucceeded", name, output=output)
    try:
        placed = apply_result_path(execution.data, state.result_path, output)
        state_output = apply_output_path(placed, state.output_path)
    except PathError as error:
        return fail(name, state, execution, run, error=error.error, cause=error.cause)
    # An output over the limits is this state's error: its own Retry and Catch see it
    # (only States.ALL and States.TaskFailed skip it; it can be named explicitly).
    oversize = check_state_output(state_output)
    if oversize is not None:
        limit = StatesError.DATA_LIMIT_EXCEEDED.value
        return fail(name, state, execution, run, error=limit, cause=oversize.cause)
    return leave(state.next, state_output)


def fail(
    name: str, state: TaskState, execution: Execution, run: Run, *, error: str, cause: str | None
) -> Step:
    """The attempt failed with ``error``: Retry is consulted first, then Catch.

    "When a state reports an error, Step Functions ... first consults the Retry field;
    if the retry policy is exhausted (or none matches), it applies the Catch field."
    """
    plan = plan_retry(state.retry, execution.retry_counts, error, run.fraction("jitter"))
    if plan is not None and run.transitions_left <= 0:
        # A retry is a transition the execution may not make; it ends here, uncaught.
        return transition_limit_failure(run.settings.max_transitions)
    if plan is not None:
        run.transitions += 1  # "each retry will be charged as an additional state transition"
        return _dispatch(
            name,
            state,
            run,
            attempt=execution.attempt + 1,
            retry_counts=plan.retry_counts,
            delay=plan.delay_seconds,
            reentry=False,
        )
    catcher = find_catcher(state.catch, error)
    if catcher is None:
        return Fail(error, cause)
    # "the output of the Catch is ... a JSON object with the fields Error and Cause",
    # placed into the state's input by the Catcher's ResultPath (default "$").
    error_output = {"Error": error, "Cause": cause or ""}
    try:
        return Goto(
            catcher.next, apply_result_path(execution.data, catcher.result_path, error_output)
        )
    except PathError as path_error:
        return Fail(path_error.error, path_error.cause)
