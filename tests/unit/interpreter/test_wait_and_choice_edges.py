"""Wait and Choice at their edges: the longest SecondsPath, a zero wait with a Next, causes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from steplane.execution import ExecutionStatus
from tests.unit.interpreter.harness import Driver


def _wait_then_pass(**wait: Any) -> Driver:
    return Driver(
        {
            "StartAt": "W",
            "States": {
                "W": {"Type": "Wait", "Next": "After", **wait},
                "After": {"Type": "Pass", "Result": "after", "End": True},
            },
        }
    )


def test_a_seconds_path_of_exactly_the_maximum_parks_that_long():
    # The guide: Seconds is "an integer value from 0 to 99999999"; SecondsPath is held to
    # the same range, both ends included.
    run = _wait_then_pass(SecondsPath="$.s")
    run.begin({"s": 99_999_999})
    assert run.head.status is ExecutionStatus.RUNNING
    assert run.head.due_at == run.now + timedelta(seconds=99_999_999)


def test_a_wait_already_over_goes_straight_to_its_next_state():
    run = _wait_then_pass(Seconds=0)
    run.begin({"a": 1})
    assert (run.head.status, run.head.data) == (ExecutionStatus.SUCCEEDED, "after")


def test_a_timestamp_path_that_is_not_a_timestamp_fails_with_the_value_in_the_cause():
    run = _wait_then_pass(TimestampPath="$.t")
    run.begin({"t": "tomorrow"})
    assert (run.head.error, run.head.cause) == (
        "States.Runtime",
        "TimestampPath '$.t' gave 'tomorrow', not an RFC 3339 timestamp",
    )


def test_no_choice_matched_names_the_state_in_the_cause():
    # The spec: "If no Choice matches and no Default is specified, the interpreter throws
    # a States.NoChoiceMatched error".
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
    assert (run.head.error, run.head.cause) == (
        "States.NoChoiceMatched",
        "no Choices rule matched in state 'C' and it has no Default",
    )
