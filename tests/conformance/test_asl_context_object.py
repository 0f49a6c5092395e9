"""The Context Object (``$$``), as the Step Functions guide defines it.

Sources quoted below:
- [guide] AWS Step Functions Developer Guide, "Accessing execution data from the Context
  object in Step Functions": the fields of Execution, State, StateMachine and Task, and
  "To access the context object ... append .$ to the end of the key ... prepend the value
  with $$.". Times are ISO 8601 in UTC (``2019-03-26T20:14:13.192Z``).
- [spec] Amazon States Language, "Payload Template": "If the field value begins with "$$",
  the first dollar sign is stripped and the remainder MUST be a Path ... applied to the
  Context Object."
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from steplane.definition.loader import DefinitionError, load_definition
from steplane.execution import ExecutionStatus
from steplane.local import LocalRuntime
from tests.conformance.test_asl_dataflow import failed, run_pass
from tests.unit.interpreter.harness import T0, Driver

ARN = "arn:aws:states:us-east-1:123456789012"


def test_execution_state_and_state_machine_fields():
    run = run_pass(
        {"order": 7},
        Parameters={
            "id.$": "$$.Execution.Id",
            "name.$": "$$.Execution.Name",
            "input.$": "$$.Execution.Input",
            "started.$": "$$.Execution.StartTime",
            "role.$": "$$.Execution.RoleArn",
            "redrives.$": "$$.Execution.RedriveCount",
            "state.$": "$$.State.Name",
            "entered.$": "$$.State.EnteredTime",
            "retries.$": "$$.State.RetryCount",
            "machine.$": "$$.StateMachine.Id",
            "machineName.$": "$$.StateMachine.Name",
        },
    )
    assert run.head.data == {
        "id": f"{ARN}:execution:wf:x",
        "name": "x",
        "input": {"order": 7},
        "started": "2026-01-01T00:00:00Z",
        "role": "arn:aws:iam::123456789012:role/steplane-local",
        "redrives": 0,
        "state": "P",
        "entered": "2026-01-01T00:00:00Z",
        "retries": 0,
        "machine": f"{ARN}:stateMachine:wf",
        "machineName": "wf",
    }


def test_times_carry_milliseconds_when_they_have_them():
    # [guide] "output can be zero, three, six or nine digits as necessary. When a timestamp
    # has zero fractional seconds, Step Functions removes the trailing zeros".
    run = Driver(
        {
            "StartAt": "P",
            "States": {
                "P": {"Type": "Pass", "End": True, "Parameters": {"t.$": "$$.State.EnteredTime"}}
            },
        },
        start=T0 + timedelta(milliseconds=192),
    )
    run.begin({})
    assert run.head.data == {"t": "2026-01-01T00:00:00.192Z"}


def test_the_whole_context_object_can_be_selected():
    run = run_pass({}, Parameters={"ctx.$": "$$"})
    assert set(run.head.data["ctx"]) == {"Execution", "State", "StateMachine"}


def test_the_task_token_is_there_in_a_task_and_not_elsewhere():
    run = Driver(
        {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": "r",
                    "Parameters": {"token.$": "$$.Task.Token"},
                    "Next": "P",
                },
                "P": {"Type": "Pass", "Parameters": {"token.$": "$$.Task.Token"}, "End": True},
            },
        }
    )
    run.begin({})
    dispatch = run.dispatch()
    assert dispatch.input == {"token": dispatch.token}
    run.succeed({})
    assert failed(run) == "States.Runtime"  # a Pass has no task: the path selects nothing


@pytest.mark.parametrize(
    ("path", "message"),
    [("$$.Execution.Nope", "$$.Execution has no 'Nope'"), ("$$.Exec.Id", "has no 'Exec'")],
)
def test_an_unknown_context_field_is_refused_at_load(path: str, message: str):
    with pytest.raises(DefinitionError) as caught:
        load_definition(
            {
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "Parameters": {"x.$": path}, "End": True}},
            }
        )
    (problem,) = caught.value.problems
    assert problem.location == "/States/P/Parameters/x.$"
    assert message in problem.message


def test_a_context_field_that_is_absent_in_this_state_fails_with_states_runtime():
    run = run_pass({}, Parameters={"x.$": "$$.Map.Item.Index"})
    assert failed(run) == "States.Runtime"
    assert "$$.Map.Item.Index" in (run.head.cause or "")


def _echo(task_input: Any, context: Any) -> Any:
    return task_input


def test_execution_input_is_read_after_the_head_has_been_stored_and_read_back():
    # The input is not kept in the head: a later decision (the task's result, another
    # process) loads it from the execution's first history item.
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Task",
                "Resource": "echo",
                "Parameters": {"n": 1},
                "ResultPath": "$.work",
                "Next": "Again",
            },
            "Again": {
                "Type": "Pass",
                "Parameters": {"original.$": "$$.Execution.Input", "work.$": "$.work"},
                "End": True,
            },
        },
    }
    big = {"blob": "y" * 50_000, "order": 9}  # large enough to be stored apart from the event
    with LocalRuntime() as rt:
        rt.register("echo", _echo)
        execution_id = rt.start(definition, big, name="ctx-input")
        result = rt.run_until_complete(execution_id)
    assert result.status == ExecutionStatus.SUCCEEDED
    assert result.output == {"original": big, "work": {"n": 1}}


def test_context_fields_other_than_the_input_are_read_in_a_later_decision():
    # A definition that never reads $$.Execution.Input does not load it; its other
    # Context Object fields still read after the head was stored and read back (a
    # regression: building the object used to demand the input, and the decision failed).
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", "Resource": "echo", "Next": "Again"},
            "Again": {
                "Type": "Pass",
                "Parameters": {"state.$": "$$.State.Name", "id.$": "$$.Execution.Name"},
                "End": True,
            },
        },
    }
    with LocalRuntime() as rt:
        rt.register("echo", _echo)
        execution_id = rt.start(definition, {"a": 1}, name="ctx-later")
        result = rt.run_until_complete(execution_id)
    assert result.status == ExecutionStatus.SUCCEEDED
    assert result.output == {"state": "Again", "id": "ctx-later"}
