"""Task TimeoutSecondsPath (JSONPath), as the ASL spec defines it.

Spec, Task State: "TimeoutSecondsPath ... MUST be a Reference Path which, when resolved,
MUST select a field whose value is a positive integer", and "A Task State MUST NOT include
both TimeoutSeconds and TimeoutSecondsPath". The timeout applies to each attempt, like
TimeoutSeconds; a selection that is not a positive integer fails with States.Runtime.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from steplane.definition.loader import DefinitionError, load_definition
from steplane.execution import ExecutionStatus
from steplane.interpreter.signals import Wake, WakePurpose
from tests.unit.interpreter.harness import T0, Driver

RESOURCE = "arn:aws:lambda:us-east-1:123456789012:function:Slow"


def _task(**fields: object) -> dict[str, object]:
    return {
        "StartAt": "Work",
        "States": {"Work": {"Type": "Task", "Resource": RESOURCE, "End": True, **fields}},
    }


def test_the_timeout_is_read_from_the_state_input_and_times_the_attempt_out():
    run = Driver(_task(TimeoutSecondsPath="$.limits.seconds"))
    run.begin({"limits": {"seconds": 30}})
    assert run.head.task_attempt is not None
    assert run.head.task_attempt.timeout_at == T0 + timedelta(seconds=30)
    assert run.dispatch().deadline == T0 + timedelta(seconds=30)
    run.advance(30)
    run.apply(Wake(run.head.version, WakePurpose.TIMEOUT))
    assert (run.head.status, run.head.error) == (ExecutionStatus.FAILED, "States.Timeout")


def test_each_retry_gets_the_same_timeout_from_the_same_input():
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 5, "MaxAttempts": 1}]
    run = Driver(_task(TimeoutSecondsPath="$.seconds", Retry=retry))
    run.begin({"seconds": 30.0})  # a whole number written as 30.0 is that integer
    run.fail("Boom")
    attempt = run.head.task_attempt
    assert attempt is not None
    assert attempt.timeout_at == T0 + timedelta(seconds=5 + 30)


@pytest.mark.parametrize("value", [0, -5, 2.5, "30", True, None, 100_000_000])
def test_a_selection_that_is_not_a_positive_integer_fails_with_states_runtime(value: object):
    run = Driver(_task(TimeoutSecondsPath="$.seconds"))
    run.begin({"seconds": value})
    assert (run.head.status, run.head.error) == (ExecutionStatus.FAILED, "States.Runtime")
    assert "TimeoutSecondsPath '$.seconds' selected" in (run.head.cause or "")


def test_a_missing_field_fails_with_states_runtime():
    run = Driver(_task(TimeoutSecondsPath="$.nowhere"))
    run.begin({})
    assert run.head.error == "States.Runtime"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"TimeoutSeconds": 5, "TimeoutSecondsPath": "$.s"},
            "/States/Work: has both TimeoutSeconds and TimeoutSecondsPath",
        ),
        ({"TimeoutSecondsPath": "$..s"}, "/States/Work/TimeoutSecondsPath: '$..s' is not a valid"),
    ],
)
def test_refused_at_load_with_the_location(fields: dict[str, object], message: str):
    with pytest.raises(DefinitionError) as caught:
        load_definition(_task(**fields))
    assert message in str(caught.value)
