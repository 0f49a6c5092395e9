"""Wake-ups at a head that yielded: a CONTINUE carries on, another purpose does not apply."""

from __future__ import annotations

from steplane.execution import ExecutionStatus
from steplane.interpreter.decisions import Ignore, Transition
from steplane.interpreter.engine import MAX_STATES_PER_DECISION
from steplane.interpreter.signals import Wake, WakePurpose
from tests.unit.interpreter.harness import Driver

LOOP = {
    "StartAt": "Loop",
    "States": {
        "Loop": {"Type": "Pass", "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.stop", "BooleanEquals": True, "Next": "Done"}],
            "Default": "Loop",
        },
        "Done": {"Type": "Succeed"},
    },
}


def test_a_continue_wake_up_at_a_yielded_head_runs_the_next_stretch():
    # A decision runs at most MAX_STATES_PER_DECISION states, then commits with a CONTINUE
    # wake-up; that wake-up carries on from the pending state.
    run = Driver(LOOP)
    run.begin({"stop": False})
    version, events = run.head.version, len(run.events)
    decision = run.apply(Wake(version, WakePurpose.CONTINUE))
    assert isinstance(decision, Transition)
    assert run.head.version == version + 1
    assert len(run.events) >= events + MAX_STATES_PER_DECISION
    assert run.wake_at().purpose is WakePurpose.CONTINUE


def test_a_wake_up_of_another_purpose_at_a_yielded_head_is_ignored():
    # Only CONTINUE moves a head parked between states; a Wait, retry or timeout wake-up
    # belongs to a Wait or Task state.
    run = Driver(LOOP)
    run.begin({"stop": False})
    version = run.head.version
    for purpose in (WakePurpose.WAIT, WakePurpose.RETRY, WakePurpose.TIMEOUT):
        assert isinstance(run.apply(Wake(version, purpose)), Ignore)
    assert (run.head.status, run.head.version) == (ExecutionStatus.RUNNING, version)


def test_a_continue_wake_up_at_a_parked_task_or_wait_is_ignored():
    # A Task waits for its result and a Wait for its own wake-up: CONTINUE moves neither.
    for state in (
        {"Type": "Task", "Resource": "r", "End": True},
        {"Type": "Wait", "Seconds": 60, "End": True},
    ):
        run = Driver({"StartAt": "S", "States": {"S": state}})
        run.begin({})
        version = run.head.version
        assert isinstance(run.apply(Wake(version, WakePurpose.CONTINUE)), Ignore)
        assert (run.head.state, run.head.version) == ("S", version)
