"""How an execution ends: what a failed head keeps, the timeout's event, the transition limit.

The Step Functions API's DescribeExecution gives a failed execution its ``stopDate``,
``error`` and ``cause`` and no output; its ``ExecutionFailed`` history event carries the
same error and cause.
"""

from __future__ import annotations

from steplane.definition.loader import load_definition
from steplane.errors import TRANSITION_LIMIT_EXCEEDED
from steplane.execution import Execution, ExecutionStatus
from steplane.interpreter.decisions import Transition
from steplane.interpreter.engine import decide
from steplane.interpreter.signals import Begin, Wake, WakePurpose
from steplane.settings import Settings
from tests.unit.interpreter.harness import T0, Driver, task_machine

FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope", "Cause": "because"}}}


def test_a_failed_execution_keeps_its_error_and_stop_date_and_no_state_or_data():
    run = Driver(FAIL)
    run.advance(7)
    run.begin({"in": 1})
    head = run.head
    assert (head.status, head.state, head.data) == (ExecutionStatus.FAILED, None, None)
    assert (head.error, head.cause, head.stop_date) == ("Nope", "because", run.now)
    failed = run.events[-1]
    assert (failed.type, failed.details) == (
        "ExecutionFailed",
        {"error": "Nope", "cause": "because"},
    )


def test_a_task_that_fails_the_execution_leaves_no_state_data_attempt_or_wake_up():
    # A finished execution has nothing in flight: no task token may still be accepted
    # (the nonce), and no timeout wake-up is due.
    run = Driver(task_machine(TimeoutSeconds=10))
    run.begin({"in": 1})
    assert run.head.state == "Work"
    assert run.head.task_attempt is not None
    assert run.head.task_attempt.timeout_at is not None
    run.advance(3)
    run.fail("Boom", "it broke")
    head = run.head
    assert (head.status, head.state, head.data) == (ExecutionStatus.FAILED, None, None)
    assert (head.error, head.cause, head.stop_date) == ("Boom", "it broke", run.now)
    assert head.waiting is None


def test_a_timed_out_attempt_is_recorded_against_its_state_with_states_timeout():
    # "If the task runs longer than the specified seconds, this state fails with a
    # States.Timeout error"; the TaskTimedOut event names the state and the error.
    run = Driver(task_machine(TimeoutSeconds=10))
    run.begin()
    run.advance(10)
    run.apply(Wake(run.head.version, WakePurpose.TIMEOUT))
    timed_out = next(event for event in run.events if event.type == "TaskTimedOut")
    assert (timed_out.state, timed_out.details) == ("Work", {"error": "States.Timeout"})
    assert (run.head.error, run.head.cause) == ("States.Timeout", "task timed out")


def test_an_execution_at_its_transition_limit_fails_with_the_limit_named():
    # Steplane's own guard against a loop that never ends (Settings.max_transitions).
    definition = load_definition(
        {
            "StartAt": "A",
            "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}},
        }
    )
    head = Execution("wf:x", "wf", "x", definition.hash, "h", T0)
    decision = decide(definition, head, Begin({}), T0, "seed", settings=Settings(max_transitions=3))
    assert isinstance(decision, Transition)
    failed = decision.execution
    assert (failed.status, failed.error, failed.transitions) == (
        ExecutionStatus.FAILED,
        TRANSITION_LIMIT_EXCEEDED,
        3,
    )
    assert failed.cause == (
        "the execution made 3 state transitions, its limit (STEPLANE_MAX_TRANSITIONS, "
        "steplane run --max-transitions); a loop that never ends? Raise the limit if the "
        "workflow really needs more"
    )
