"""The state machine's top-level TimeoutSeconds, as the ASL spec defines it.

"TimeoutSeconds (optional): The maximum number of seconds an execution of the state machine
can run. If it runs longer than the specified time, the execution fails with a
States.Timeout Error Name." Step Functions reports such an execution TIMED_OUT, with an
ExecutionTimedOut event; results that arrive afterwards are not applied.
"""

from __future__ import annotations

from datetime import timedelta

from steplane.execution import ExecutionStatus
from steplane.interpreter.decisions import Ignore, Rearm, Transition, WakeAt
from steplane.interpreter.pending import pending_commands
from steplane.interpreter.signals import Wake, WakePurpose
from steplane.interpreter.sweep import sweep_due
from steplane.settings import Settings
from tests.unit.interpreter.harness import T0, Driver

RESOURCE = "arn:aws:lambda:us-east-1:123456789012:function:Slow"


def _machine(timeout: int | None = 60) -> dict[str, object]:
    machine: dict[str, object] = {
        "StartAt": "Work",
        "States": {"Work": {"Type": "Task", "Resource": RESOURCE, "End": True}},
    }
    if timeout is not None:
        machine["TimeoutSeconds"] = timeout
    return machine


def _timeout_wakes(run: Driver) -> list[WakeAt]:
    assert isinstance(run.last, Transition)
    return [
        c
        for c in run.last.commands
        if isinstance(c, WakeAt) and c.purpose is WakePurpose.EXECUTION_TIMEOUT
    ]


def test_the_start_arms_the_execution_timeout_at_its_deadline():
    run = Driver(_machine(60))
    run.begin({})
    assert run.head.deadline == T0 + timedelta(seconds=60)
    assert [w.due_at for w in _timeout_wakes(run)] == [T0 + timedelta(seconds=60)]


def test_without_timeout_seconds_nothing_is_armed():
    run = Driver(_machine(None))
    run.begin({})
    assert run.head.deadline is None
    assert _timeout_wakes(run) == []


def test_the_timeout_wake_up_times_the_execution_out():
    run = Driver(_machine(60))
    run.begin({})
    run.advance(60)
    run.apply(Wake(run.head.version, WakePurpose.EXECUTION_TIMEOUT))
    assert run.head.status is ExecutionStatus.TIMED_OUT
    assert run.head.error == "States.Timeout"
    assert run.event_types()[-1] == "ExecutionTimedOut"
    assert run.head.stop_date == T0 + timedelta(seconds=60)


def test_an_early_timeout_wake_up_is_sent_on_to_the_deadline():
    # SQS delays a message 900 s at most: a longer TimeoutSeconds travels in hops.
    run = Driver(_machine(5000))
    run.begin({})
    run.advance(900)
    decision = run.apply(Wake(run.head.version, WakePurpose.EXECUTION_TIMEOUT))
    assert decision == Rearm(
        (WakeAt(T0 + timedelta(seconds=5000), WakePurpose.EXECUTION_TIMEOUT, run.head.version),)
    )
    assert run.head.status is ExecutionStatus.RUNNING


def test_a_task_result_after_the_deadline_is_not_applied_and_the_execution_times_out():
    run = Driver(_machine(60))
    run.begin({})
    run.advance(61)
    run.succeed({"late": True})
    assert run.head.status is ExecutionStatus.TIMED_OUT
    assert "TaskSucceeded" not in run.event_types()
    # Once timed out, anything else is ignored.
    assert isinstance(run.apply(Wake(run.head.version, WakePurpose.EXECUTION_TIMEOUT)), Ignore)


def test_the_timeout_wake_up_of_an_earlier_version_still_applies():
    # Armed once at the start, it names the first version; the execution has moved on.
    run = Driver({**_machine(60), "States": {
        "Work": {"Type": "Task", "Resource": RESOURCE, "Next": "More"},
        "More": {"Type": "Task", "Resource": RESOURCE, "End": True},
    }})  # fmt: skip
    run.begin({})
    first_version = run.head.version
    run.succeed({})
    run.advance(60)
    run.apply(Wake(first_version, WakePurpose.EXECUTION_TIMEOUT))
    assert run.head.status is ExecutionStatus.TIMED_OUT


def test_the_sweeper_looks_at_an_execution_by_its_deadline_and_resends_the_timeout():
    # If the armed wake-up is lost, the sweeper's due time is at most the deadline plus
    # the grace, and what it re-sends then includes the execution-timeout wake-up.
    run = Driver(_machine(60))
    run.begin({})
    settings = Settings()
    assert sweep_due(run.definition, run.head, settings) == T0 + timedelta(seconds=360)
    later = T0 + timedelta(seconds=400)
    wakes = [
        c
        for c in pending_commands(run.definition, run.head, later)
        if isinstance(c, WakeAt) and c.purpose is WakePurpose.EXECUTION_TIMEOUT
    ]
    assert [w.due_at for w in wakes] == [T0 + timedelta(seconds=60)]
