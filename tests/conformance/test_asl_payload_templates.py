"""Parameters and ResultSelector: payload templates, as the ASL spec and the guide define them.

Sources quoted below:
- [spec] Amazon States Language, "Payload Template" and "Input and Output Processing".
- [guide] AWS Step Functions Developer Guide, "Manipulate parameters in Step Functions
  workflows" (InputPath, Parameters and ResultSelector) and the ECS integration's example
  that passes ``"Value.$": "$$.Task.Token"`` inside arrays.
- [aws] What Step Functions answers, as its users report it: a path of a template that
  selects nothing fails the execution with States.Runtime and the cause "The JSONPath
  '$.x' specified for the field 'x.$' could not be found in the input '...'".
"""

from __future__ import annotations

from typing import Any

import pytest

from steplane.definition.loader import DefinitionError, load_definition
from steplane.execution import ExecutionStatus
from tests.conformance.test_asl_dataflow import failed, run_pass, run_task
from tests.unit.interpreter.harness import Driver


def _task_machine(**fields: Any) -> dict[str, Any]:
    return {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": "r", "End": True, **fields}},
    }


def test_fields_ending_in_dollar_are_evaluated_and_renamed_however_deeply_nested():
    # [spec] "If any field within the Payload Template (however deeply nested) has a name
    # ending with the characters ".$", its value is transformed ... and the field is renamed
    # to strip the ".$" suffix."
    run = run_pass(
        {"product": {"name": "Widget", "price": 9}},
        Parameters={"comment": "static", "MyDetails": {"size.$": "$.product.price", "n": 1}},
    )
    assert run.head.data == {"comment": "static", "MyDetails": {"size": 9, "n": 1}}


def test_a_field_without_the_suffix_is_a_literal_even_when_it_reads_like_a_path():
    # [guide] "not-evaluated": "$customerName" stays the literal string.
    run = run_pass({"x": 1}, Parameters={"literal": "$.x", "evaluated.$": "$.x"})
    assert run.head.data == {"literal": "$.x", "evaluated": 1}


def test_objects_inside_arrays_are_templates_too():
    # [guide] ECS: "Environment": [{"Name": "TASK_TOKEN", "Value.$": "$$.Task.Token"}].
    run = Driver(
        _task_machine(
            Parameters={
                "Overrides": {
                    "ContainerOverrides": [
                        {"Name": "app", "Environment": [{"Name": "T", "Value.$": "$$.Task.Token"}]}
                    ]
                }
            }
        )
    )
    run.begin({})
    dispatch = run.dispatch()
    env = dispatch.input["Overrides"]["ContainerOverrides"][0]["Environment"][0]
    assert env == {"Name": "T", "Value": dispatch.token}


def test_parameters_apply_to_the_input_path_output_and_become_the_task_input():
    # [guide] "Step Functions applies the InputPath field first, and then the Parameters field."
    run = Driver(_task_machine(InputPath="$.order", Parameters={"id.$": "$.id", "kind": "express"}))
    run.begin({"order": {"id": "o-1", "lines": 3}, "other": True})
    assert run.dispatch().input == {"id": "o-1", "kind": "express"}


def test_result_selector_shapes_the_result_before_result_path_places_it():
    # [guide] "You can then use the ResultSelector field to manipulate the state's output
    # before ResultPath is applied." Its "$" is the task's result.
    run = run_task(
        {"keep": 1},
        {"Payload": {"total": 42}, "StatusCode": 200, "ExecutedVersion": "$LATEST"},
        ResultSelector={"total.$": "$.Payload.total", "ok": True},
        ResultPath="$.result",
    )
    assert run.head.status is ExecutionStatus.SUCCEEDED
    assert run.head.data == {"keep": 1, "result": {"total": 42, "ok": True}}


def test_pass_parameters_become_its_result_unless_it_gives_result():
    # [spec] Pass: "Parameters" shape the input of the virtual task; "Result" is its output.
    run = run_pass({"a": 1}, Parameters={"b.$": "$.a"}, ResultPath="$.out")
    assert run.head.data == {"a": 1, "out": {"b": 1}}
    run = run_pass({"a": 1}, Parameters={"b.$": "$.a"}, Result="fixed", ResultPath="$.out")
    assert run.head.data == {"a": 1, "out": "fixed"}


def test_a_template_value_may_be_an_object_or_array_selected_whole():
    run = run_pass(
        {"items": [1, 2], "meta": {"k": "v"}}, Parameters={"all.$": "$", "i.$": "$.items"}
    )
    assert run.head.data == {"all": {"items": [1, 2], "meta": {"k": "v"}}, "i": [1, 2]}


def test_a_path_that_selects_nothing_fails_with_states_runtime_naming_field_and_input():
    # [aws] "The JSONPath '$.nope' specified for the field 'missing.$' could not be found
    # in the input '{"other":1}'" (States.Runtime, which no Retry or Catch handles).
    run = run_pass({"other": 1}, Parameters={"missing.$": "$.nope"})
    assert failed(run) == "States.Runtime"
    assert (
        "The JSONPath '$.nope' specified for the field 'missing.$' could not be found in "
        "the input '{\"other\":1}'"
    ) in (run.head.cause or "")


def test_a_task_whose_parameters_fail_is_never_dispatched_and_catch_does_not_apply():
    # [guide] "A retry or catch on States.ALL won't catch States.Runtime errors."
    machine = _task_machine(
        Parameters={"x.$": "$.absent"}, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "C"}]
    )
    machine["States"]["C"] = {"Type": "Succeed"}
    run = Driver(machine)
    run.begin({})
    assert failed(run) == "States.Runtime"
    assert "TaskScheduled" not in run.event_types()


def test_result_selector_failure_is_states_runtime_too():
    run = run_task({}, {"a": 1}, ResultSelector={"b.$": "$.missing"})
    assert failed(run) == "States.Runtime"
    assert "specified for the field 'b.$'" in (run.head.cause or "")


def test_each_retry_rebuilds_parameters_with_its_retry_count():
    # [guide] Context object: "RetryCount" of the state; the input of each attempt is
    # built when it is dispatched.
    machine = _task_machine(
        Parameters={"attempt.$": "$$.State.RetryCount"},
        Retry=[{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 2}],
    )
    run = Driver(machine)
    run.begin({})
    assert run.dispatch().input == {"attempt": 0}
    run.fail("Flaky")  # the retry is dispatched with a delay, its input built now
    retry = run.dispatch()
    assert (retry.attempt, retry.delay_seconds, retry.input) == (2, 1, {"attempt": 1})


@pytest.mark.parametrize(
    ("template", "location", "message"),
    [
        ({"a.$": 5}, "/States/T/Parameters/a.$", "must be a string"),
        ({"a.$": "not a path"}, "/States/T/Parameters/a.$", "must be a path"),
        ({"a": {"b.$": "$.x["}}, "/States/T/Parameters/a/b.$", "never closed"),
        ({"a.$": "$.x", "a": 1}, "/States/T/Parameters/a", "two fields are named 'a'"),
        ({"a.$": "States.Nope()"}, "/States/T/Parameters/a.$", "not an intrinsic function"),
        ({"a.$": "States.Format('x', $.y"}, "/States/T/Parameters/a.$", "never closed"),
    ],
)
def test_a_broken_template_is_refused_at_load_with_its_location(
    template: dict[str, Any], location: str, message: str
):
    with pytest.raises(DefinitionError) as caught:
        load_definition(_task_machine(Parameters=template))
    found = {p.location: p.message for p in caught.value.problems}
    assert location in found, found
    assert message in found[location]
