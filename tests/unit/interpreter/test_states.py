"""Pass, Choice, Wait, Succeed and Fail, and the data flow between states."""

from __future__ import annotations

from datetime import timedelta
from typing import get_args

from steplane.execution import ExecutionStatus
from steplane.interpreter.decisions import DispatchTask, Ignore, Rearm, Transition, WakeAt
from steplane.interpreter.engine import MAX_STATES_PER_DECISION
from steplane.interpreter.signals import Wake, WakePurpose
from steplane.states import REGISTERED, STATE_TYPES
from tests.unit.interpreter.harness import T0, Driver


def test_each_registered_state_type_parses_its_own_type_and_only_that():
    for kind in REGISTERED:
        assert get_args(kind.model.model_fields["type"].annotation) == (kind.name,)
    assert list(STATE_TYPES) == [kind.name for kind in REGISTERED]


def test_pass_and_choice_chain_runs_inside_one_decision_without_messages():
    run = Driver(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Result": {"n": 3}, "ResultPath": "$.p", "Next": "B"},
                "B": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.p.n", "NumericGreaterThan": 2, "Next": "C"}],
                    "Default": "D",
                },
                "C": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "Next": "E"},
                "D": {"Type": "Fail", "Error": "Small"},
                "E": {"Type": "Succeed", "OutputPath": "$.size"},
            },
        }
    )
    decision = run.begin({"id": 1})
    assert isinstance(decision, Transition)
    assert decision.commands == ()
    assert run.head.status is ExecutionStatus.SUCCEEDED
    assert run.head.data == "big"
    assert run.head.version == 1


def test_choice_without_match_or_default_fails_with_no_choice_matched():
    run = Driver(
        {
            "StartAt": "C",
            "States": {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.x", "StringEquals": "y", "Next": "Done"}],
                },
                "Done": {"Type": "Succeed"},
            },
        }
    )
    run.begin({"x": "z"})
    assert (run.head.status, run.head.error) == (ExecutionStatus.FAILED, "States.NoChoiceMatched")


def test_choice_on_a_missing_variable_is_a_runtime_error():
    run = Driver(
        {
            "StartAt": "C",
            "States": {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.absent", "StringEquals": "y", "Next": "Done"}],
                    "Default": "Done",
                },
                "Done": {"Type": "Succeed"},
            },
        }
    )
    run.begin({"x": 1})
    assert (run.head.status, run.head.error) == (ExecutionStatus.FAILED, "States.Runtime")


def test_pass_result_path_null_discards_the_result():
    run = Driver(
        {
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "Result": 1, "ResultPath": None, "End": True}},
        }
    )
    run.begin({"keep": True})
    assert run.head.data == {"keep": True}


def test_input_path_null_gives_the_state_an_empty_object():
    run = Driver(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": None, "End": True}}}
    )
    run.begin({"dropped": True})
    assert run.head.data == {}


def test_fail_state_ends_the_execution_with_its_error_and_cause():
    run = Driver(
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Nope", "Cause": "because"}}}
    )
    run.begin()
    assert (run.head.status, run.head.error, run.head.cause) == (
        ExecutionStatus.FAILED,
        "Nope",
        "because",
    )


def test_wait_parks_until_due_rearms_when_early_and_continues_after():
    run = Driver(
        {
            "StartAt": "W",
            "States": {
                "W": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
                "Done": {"Type": "Succeed"},
            },
        }
    )
    run.begin({"a": 1})
    wake = run.wake_at()
    assert wake.due_at == T0 + timedelta(hours=1)
    run.advance(900)
    early = run.apply(Wake(run.head.version, WakePurpose.WAIT))
    assert isinstance(early, Rearm)
    assert isinstance(early.commands[0], WakeAt)
    run.advance(2700)
    run.apply(Wake(run.head.version, WakePurpose.WAIT))
    assert (run.head.status, run.head.data) == (ExecutionStatus.SUCCEEDED, {"a": 1})


def test_wait_seconds_path_and_timestamp_path():
    run = Driver(
        {
            "StartAt": "W",
            "States": {
                "W": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "V"},
                "V": {"Type": "Wait", "TimestampPath": "$.until", "Next": "Done"},
                "Done": {"Type": "Succeed"},
            },
        }
    )
    run.begin({"delay": 10, "until": "2026-01-01T01:00:00Z"})
    assert run.wake_at().due_at == T0 + timedelta(seconds=10)
    run.advance(10)
    run.apply(Wake(run.head.version, WakePurpose.WAIT))
    assert run.wake_at().due_at == T0 + timedelta(hours=1)


def test_wait_seconds_path_that_is_not_a_number_is_a_runtime_error():
    run = Driver(
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.d", "End": True}}}
    )
    run.begin({"d": "soon"})
    assert run.head.error == "States.Runtime"


def test_wake_for_a_past_version_is_ignored():
    run = Driver({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": True}}})
    run.begin()
    run.advance(5)
    run.apply(Wake(run.head.version, WakePurpose.WAIT))
    assert run.head.status is ExecutionStatus.SUCCEEDED

    assert isinstance(run.apply(Wake(1, WakePurpose.WAIT)), Ignore)


def test_task_data_flow_input_path_result_path_output_path():
    run = Driver(
        {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": "r",
                    "InputPath": "$.args",
                    "ResultPath": "$.result",
                    "OutputPath": "$.result",
                    "End": True,
                }
            },
        }
    )
    run.begin({"args": {"x": 1}, "other": 2})
    assert run.dispatch().input == {"x": 1}
    run.succeed({"y": 2})
    assert run.head.data == {"y": 2}


def test_a_pass_loop_yields_after_the_state_cap_and_continues_on_wake():
    run = Driver(
        {
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
    )
    run.begin({"stop": False})
    assert run.head.status is ExecutionStatus.RUNNING
    assert run.wake_at().purpose is WakePurpose.CONTINUE
    assert len(run.events) >= MAX_STATES_PER_DECISION


def test_output_over_256_kib_fails_with_data_limit_exceeded():
    run = Driver({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "r", "End": True}}})
    run.begin()
    run.succeed("x" * (256 * 1024 + 1))
    assert (run.head.status, run.head.error) == (ExecutionStatus.FAILED, "States.DataLimitExceeded")


def test_begin_dispatches_the_first_task_of_the_founding_workflow(onboarding_path):
    run = Driver(onboarding_path)
    run.begin({"email": "a@b.c"})
    task = run.dispatch()
    assert isinstance(task, DispatchTask)
    assert (task.route, task.action, task.attempt, task.input) == (
        "AuthService",
        "createUser",
        1,
        {"email": "a@b.c"},
    )
    assert run.event_types() == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled"]


def _chain_then(last: dict[str, object]) -> dict[str, object]:
    """MAX_STATES_PER_DECISION Pass states, then ``last``: the decision yields right
    before entering ``last``."""
    n = MAX_STATES_PER_DECISION
    states: dict[str, object] = {
        f"P{i}": {"Type": "Pass", "Next": f"P{i + 1}" if i < n - 1 else "Last"} for i in range(n)
    }
    return {"StartAt": "P0", "States": {**states, "Last": last}}


def test_a_chain_that_yields_just_before_a_task_enters_it_on_continue():
    # The yielded head is in "Last" without having entered it (it waits for nothing):
    # its one pending message is the CONTINUE wake-up, which enters the Task.
    run = Driver(_chain_then({"Type": "Task", "Resource": "r", "End": True}))
    run.begin({})
    assert (run.head.state, run.head.waiting) == ("Last", None)
    assert run.wake_at().purpose is WakePurpose.CONTINUE
    run.apply(Wake(run.head.version, WakePurpose.CONTINUE))
    assert run.dispatch().attempt == 1
    run.succeed({"done": True})
    assert run.head.status is ExecutionStatus.SUCCEEDED


def test_a_chain_that_yields_just_before_a_wait_still_waits():
    run = Driver(_chain_then({"Type": "Wait", "Seconds": 600, "End": True}))
    run.begin({})
    run.apply(Wake(run.head.version, run.wake_at().purpose))
    assert run.head.status is ExecutionStatus.RUNNING
    assert run.wake_at().due_at == run.now + timedelta(seconds=600)
    assert "WaitStateEntered" in run.event_types()
