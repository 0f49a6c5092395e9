"""Retry and Catch semantics, each pinned to the rule in the Step Functions developer guide."""

from __future__ import annotations

import pytest

from steplane.execution import ExecutionStatus
from steplane.interpreter.decisions import Ignore
from steplane.interpreter.signals import TaskResult, Wake, WakePurpose
from tests.unit.interpreter.harness import Driver, nonce_of, task_machine


def test_onboarding_retry_waits_five_ten_twenty_then_catch_routes_to_rollback(onboarding_path):
    # Founding Retry {IntervalSeconds 5, MaxAttempts 3, BackoffRate 2}: the n-th retry waits
    # IntervalSeconds * BackoffRate^(n-1); MaxAttempts counts retries after the first attempt.
    run = Driver(onboarding_path)
    run.begin({"email": "a@b.c"})
    run.succeed({"email": "a@b.c", "userId": "u1"})
    assert run.head.state == "ProvisionResources"
    delays = []
    for _ in range(3):
        run.fail("ProvisioningError", "boom")
        delays.append(run.dispatch().delay_seconds)
    assert delays == [5, 10, 20]
    run.fail("ProvisioningError", "boom")
    assert run.head.state == "RollbackUserCreation"
    assert run.dispatch().input == {"Error": "ProvisioningError", "Cause": "boom"}


def test_max_attempts_zero_never_retries():
    run = Driver(task_machine(Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 0}]))
    run.begin()
    run.fail("Boom")
    assert run.head.status is ExecutionStatus.FAILED
    assert (run.head.error, run.head.cause) == ("Boom", "")


def test_first_matching_retrier_is_used_and_keeps_its_own_count():
    run = Driver(
        task_machine(
            Retry=[
                {"ErrorEquals": ["A"], "MaxAttempts": 1, "IntervalSeconds": 1},
                {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5, "IntervalSeconds": 7},
            ]
        )
    )
    run.begin()
    run.fail("A")
    assert run.dispatch().delay_seconds == 1
    run.fail("B")
    assert run.dispatch().delay_seconds == 7  # the second retrier's first retry
    assert run.head.task_attempt is not None
    assert run.head.task_attempt.retry_counts == (1, 1)
    run.fail("A")  # the first retrier is exhausted: it does not fall through to the next
    assert run.head.status is ExecutionStatus.FAILED


def test_retry_is_consulted_before_catch():
    run = Driver(
        task_machine(
            Retry=[{"ErrorEquals": ["E"], "MaxAttempts": 1}],
            Catch=[{"ErrorEquals": ["E"], "Next": "Caught"}],
        )
    )
    run.begin()
    run.fail("E")
    assert run.head.state == "Work"  # retried, not caught
    run.fail("E")
    assert run.head.status is ExecutionStatus.SUCCEEDED
    assert run.head.data == {"Error": "E", "Cause": ""}


def test_catch_result_path_places_error_output_into_the_input():
    run = Driver(
        task_machine(
            Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught", "ResultPath": "$.failure"}]
        )
    )
    run.begin({"order": 7})
    run.fail("Oops", "it broke")
    assert run.head.data == {"order": 7, "failure": {"Error": "Oops", "Cause": "it broke"}}


def test_unhandled_error_fails_the_execution_with_error_and_cause():
    run = Driver(task_machine(Catch=[{"ErrorEquals": ["Other"], "Next": "Caught"}]))
    run.begin()
    run.fail("Mine", "details")
    assert run.head.status is ExecutionStatus.FAILED
    assert (run.head.error, run.head.cause) == ("Mine", "details")
    assert run.event_types()[-1] == "ExecutionFailed"


def test_states_all_does_not_catch_states_runtime():
    # "A retry or catch on States.ALL won't catch States.Runtime errors."
    run = Driver(
        task_machine(
            OutputPath="$.missing", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
        )
    )
    run.begin()
    run.succeed({"present": 1})
    assert run.head.status is ExecutionStatus.FAILED
    assert run.head.error == "States.Runtime"


def test_task_failed_matches_any_error_except_timeout():
    # "States.TaskFailed ... matches any known error name except for States.Timeout."
    run = Driver(
        task_machine(
            TimeoutSeconds=10, Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]
        )
    )
    run.begin()
    run.fail("Anything")
    assert run.head.status is ExecutionStatus.SUCCEEDED
    timed = Driver(
        task_machine(
            TimeoutSeconds=10, Catch=[{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]
        )
    )
    timed.begin()

    timed.advance(10)
    timed.apply(Wake(timed.head.version, WakePurpose.TIMEOUT))
    assert timed.head.status is ExecutionStatus.FAILED
    assert timed.head.error == "States.Timeout"


def test_a_result_that_arrives_after_the_timeout_times_the_attempt_out():
    # "If the task runs longer than the specified seconds, this state fails with a
    # States.Timeout error": a result that arrives after TimeoutSeconds is too late, even
    # if it comes before the timeout wake-up does.
    run = Driver(task_machine(TimeoutSeconds=10))
    run.begin()
    run.advance(10)
    run.succeed({"late": True})
    assert (run.head.status, run.head.error) == (ExecutionStatus.FAILED, "States.Timeout")
    assert "TaskSucceeded" not in run.event_types()
    assert "TaskTimedOut" in run.event_types()


def test_a_result_just_before_the_timeout_is_accepted():
    run = Driver(task_machine(TimeoutSeconds=10))
    run.begin()
    run.advance(9.999)
    run.succeed({"on_time": True})
    assert run.head.status is ExecutionStatus.SUCCEEDED


def test_max_delay_seconds_caps_the_backoff():
    run = Driver(
        task_machine(
            Retry=[
                {
                    "ErrorEquals": ["States.ALL"],
                    "IntervalSeconds": 10,
                    "BackoffRate": 10,
                    "MaxAttempts": 4,
                    "MaxDelaySeconds": 150,
                }
            ]
        )
    )
    run.begin()
    delays = []
    for _ in range(4):
        run.fail("E")
        delays.append(run.dispatch().delay_seconds)
    assert delays == [10, 100, 150, 150]


def test_full_jitter_draws_below_the_backoff_and_is_reproducible():
    machine = task_machine(
        Retry=[
            {
                "ErrorEquals": ["States.ALL"],
                "IntervalSeconds": 100,
                "MaxAttempts": 3,
                "JitterStrategy": "FULL",
            }
        ]
    )
    first, second = Driver(machine), Driver(machine)
    for run in (first, second):
        run.begin()
        run.fail("E")
    assert 0 <= first.dispatch().delay_seconds <= 100
    assert first.dispatch().delay_seconds == second.dispatch().delay_seconds


def test_retry_keeps_the_idempotency_key_and_changes_the_token():
    run = Driver(task_machine(Retry=[{"ErrorEquals": ["States.ALL"]}]))
    run.begin()
    first = run.dispatch()
    run.fail("E")
    second = run.dispatch()
    assert (second.attempt, first.attempt) == (2, 1)
    assert second.idempotency_key == first.idempotency_key
    assert second.token != first.token


def test_result_for_an_old_attempt_is_ignored():
    run = Driver(task_machine(Retry=[{"ErrorEquals": ["States.ALL"]}]))
    run.begin()
    old_version, old_nonce = run.head.version, nonce_of(run.head)
    run.fail("E")

    decision = run.apply(TaskResult(old_version, old_nonce or "", None, {"late": True}))
    assert isinstance(decision, Ignore)
    assert run.head.state == "Work"


@pytest.mark.parametrize("error", ["States.DataLimitExceeded"])
def test_states_all_does_not_catch_data_limit_exceeded(error):
    # "States.ALL ... can't catch the States.DataLimitExceeded terminal error."
    run = Driver(task_machine(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]))
    run.begin()
    run.fail(error)
    assert run.head.status is ExecutionStatus.FAILED
