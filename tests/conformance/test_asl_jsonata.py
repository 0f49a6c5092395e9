"""JSONata states (QueryLanguage "JSONata"), as the Step Functions guide defines them.

Source: AWS Step Functions Developer Guide, "Transforming data with JSONata in Step
Functions" ([guide]), quoted at each test: Arguments and Output replace the five JSONPath
fields; "{% %}" strings are expressions; $states.input, .result, .errorOutput, .context;
the functions Step Functions adds; States.QueryEvaluationError.
"""

from __future__ import annotations

from typing import Any

import pytest

from steplane.definition.loader import DefinitionError, load_definition
from steplane.execution import ExecutionStatus
from steplane.local import LocalRuntime
from tests.unit.interpreter.harness import Driver


def _machine(states: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": next(iter(states)), "States": states, **top}


def _run(states: dict[str, Any], data: Any = None) -> Driver:
    run = Driver(_machine(states))
    run.begin({} if data is None else data)
    return run


def test_the_guides_conversion_example():
    # [guide] "Arguments": {"static": "Hello", "title": "{% $states.input.title %}",
    # "name": "{% $customerName %}", "not-evaluated": "$customerName"}
    run = _run(
        {
            "Set": {"Type": "Pass", "Assign": {"customerName": "María"}, "Next": "Call"},
            "Call": {
                "Type": "Task",
                "Resource": "r",
                "Arguments": {
                    "static": "Hello",
                    "title": "{% $states.input.title %}",
                    "name": "{% $customerName %}",
                    "not-evaluated": "$customerName",
                },
                "End": True,
            },
        },
        {"title": "Doctor"},
    )
    assert run.dispatch().input == {
        "static": "Hello",
        "title": "Doctor",
        "name": "María",
        "not-evaluated": "$customerName",
    }


def test_a_task_outputs_its_result_unless_output_says_otherwise():
    plain = _run({"T": {"Type": "Task", "Resource": "r", "End": True}}, {"in": 1})
    plain.succeed({"out": 2})
    assert plain.head.data == {"out": 2}
    shaped = _run(
        {
            "T": {
                "Type": "Task",
                "Resource": "r",
                "Output": {"total": "{% $states.result.a + $states.input.b %}"},
                "Assign": {"seen": "{% $states.result.a %}"},
                "Next": "Show",
            },
            "Show": {"Type": "Pass", "Output": "{% $seen %}", "End": True},
        },
        {"b": 10},
    )
    shaped.succeed({"a": 5})
    assert shaped.head.data == 5


def test_pass_output_and_assign_read_the_input():
    run = _run(
        {
            "P": {
                "Type": "Pass",
                "Output": {
                    "double": "{% $states.input.n * 2 %}",
                    "list": ["{% $states.input.n %}", 7],
                },
                "Assign": {"n": "{% $states.input.n %}"},
                "Next": "Q",
            },
            "Q": {"Type": "Succeed", "Output": "{% $n + $states.input.double %}"},
        },
        {"n": 4},
    )
    assert run.head.status is ExecutionStatus.SUCCEEDED
    assert run.head.data == 12


def test_choice_conditions_rule_output_and_default():
    states = {
        "Pick": {
            "Type": "Choice",
            "Choices": [
                {
                    "Condition": "{% $states.input.n > 5 %}",
                    "Next": "Done",
                    "Output": {"size": "big"},
                    "Assign": {"route": "big"},
                }
            ],
            "Default": "Done",
            "Output": {"size": "small"},
        },
        "Done": {"Type": "Succeed"},
    }
    big, small = _run(states, {"n": 9}), _run(states, {"n": 1})
    assert big.head.data == {"size": "big"}
    assert small.head.data == {"size": "small"}


def test_a_condition_that_is_not_boolean_fails_with_query_evaluation_error():
    run = _run(
        {
            "Pick": {"Type": "Choice", "Choices": [{"Condition": "{% 'yes' %}", "Next": "Done"}]},
            "Done": {"Type": "Succeed"},
        }
    )
    assert run.head.error == "States.QueryEvaluationError"


def test_wait_seconds_and_timestamp_expressions():
    seconds = _run(
        {"W": {"Type": "Wait", "Seconds": "{% $states.input.s %}", "End": True}}, {"s": 30}
    )
    assert seconds.head.due_at is not None
    assert (seconds.head.due_at - seconds.now).total_seconds() == 30
    stamp = _run(
        {"W": {"Type": "Wait", "Timestamp": "{% $states.input.at %}", "End": True}},
        {"at": "2026-01-02T00:00:00Z"},
    )
    assert stamp.head.due_at is not None
    assert stamp.head.due_at.isoformat() == "2026-01-02T00:00:00+00:00"


def test_fail_error_and_cause_expressions():
    run = _run(
        {
            "F": {
                "Type": "Fail",
                "Error": "{% $states.input.code %}",
                "Cause": "{% 'order ' & $states.input.id & ' refused' %}",
            }
        },
        {"code": "Order.Refused", "id": 7},
    )
    assert (run.head.error, run.head.cause) == ("Order.Refused", "order 7 refused")


def test_timeout_seconds_expression():
    run = _run(
        {
            "T": {
                "Type": "Task",
                "Resource": "r",
                "TimeoutSeconds": "{% $states.input.t %}",
                "End": True,
            }
        },
        {"t": 45},
    )
    attempt = run.head.task_attempt
    assert attempt is not None
    assert attempt.timeout_at is not None
    assert (attempt.timeout_at - run.now).total_seconds() == 45


def test_a_catcher_reads_the_error_output():
    run = _run(
        {
            "T": {
                "Type": "Task",
                "Resource": "r",
                "End": True,
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Next": "After",
                        "Output": {"why": "{% $states.errorOutput.Cause %}"},
                        "Assign": {"error": "{% $states.errorOutput.Error %}"},
                    }
                ],
            },
            "After": {
                "Type": "Pass",
                "Output": {"why": "{% $states.input.why %}", "error": "{% $error %}"},
                "End": True,
            },
        }
    )
    run.fail("Boom", "disk full")
    assert run.head.data == {"why": "disk full", "error": "Boom"}


def test_the_context_is_states_context():
    run = _run(
        {
            "T": {
                "Type": "Task",
                "Resource": "r",
                "Arguments": {
                    "token": "{% $states.context.Task.Token %}",
                    "state": "{% $states.context.State.Name %}",
                    "input": "{% $states.context.Execution.Input %}",
                },
                "End": True,
            }
        },
        {"x": 1},
    )
    dispatch = run.dispatch()
    assert dispatch.input == {"token": dispatch.token, "state": "T", "input": {"x": 1}}


def test_an_undefined_output_fails_with_query_evaluation_error_which_catch_handles():
    # [guide] "States.QueryEvaluationError" for an expression that "returned nothing"; a
    # Task's Catch handles it.
    failing = _run({"P": {"Type": "Pass", "Output": "{% $states.input.missing %}", "End": True}})
    assert failing.head.error == "States.QueryEvaluationError"
    assert "returned nothing (undefined)" in (failing.head.cause or "")
    caught = _run(
        {
            "T": {
                "Type": "Task",
                "Resource": "r",
                "Output": "{% $states.result.missing %}",
                "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "C"}],
                "End": True,
            },
            "C": {"Type": "Succeed"},
        }
    )
    caught.succeed({})
    assert caught.head.status is ExecutionStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("$partition([1,2,3,4,5], 2)", [[1, 2], [3, 4], [5]]),
        ("$range(0, 10, 5)", [0, 5, 10]),
        ('$hash("input data", "SHA-1")', "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        ('$parse("{\\"a\\": [1]}")', {"a": [1]}),
        ("$random(3) = $random(3)", True),
        ("$length($uuid()) = 36 and $uuid() != $uuid()", True),
    ],
)
def test_the_functions_step_functions_adds(expression: str, expected: Any):
    run = _run({"P": {"Type": "Pass", "Output": "{% " + expression + " %}", "End": True}})
    assert run.head.data == expected, run.head.cause


def test_a_jsonata_state_in_a_jsonpath_definition():
    run = Driver(
        {
            "StartAt": "Old",
            "States": {
                "Old": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "Next": "New"},
                "New": {
                    "Type": "Pass",
                    "QueryLanguage": "JSONata",
                    "Output": "{% $states.input.v + 1 %}",
                    "End": True,
                },
            },
        }
    )
    run.begin({"v": 1})
    assert run.head.data == 2


def test_the_input_loads_for_states_context_after_a_round_trip_through_the_store():
    definition = _machine(
        {
            "T": {"Type": "Task", "Resource": "echo", "Next": "P"},
            "P": {"Type": "Pass", "Output": "{% $states.context.Execution.Input.k %}", "End": True},
        }
    )
    with LocalRuntime() as rt:
        rt.register("echo", lambda data, context: data)
        result = rt.run_until_complete(rt.start(definition, {"k": "v"}))
    assert result.output == "v"


@pytest.mark.parametrize(
    ("definition", "location", "message"),
    [
        (
            _machine({"P": {"Type": "Pass", "InputPath": "$.a", "End": True}}),
            "/States/P/InputPath",
            "InputPath is a JSONPath field",
        ),
        (
            {"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": {}, "End": True}}},
            "/States/P/Output",
            "Output is a JSONata field",
        ),
        (
            _machine({"P": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}}),
            "/States/P/QueryLanguage",
            "cannot use JSONPath",
        ),
        (
            _machine({"P": {"Type": "Pass", "Output": {"a": ["{% 1 + %}"]}, "End": True}}),
            "/States/P/Output/a/0",
            "JSONata syntax error",
        ),
        (
            _machine({"P": {"Type": "Pass", "Output": " {% 1 %}", "End": True}}),
            "/States/P/Output",
            "no spaces before",
        ),
        (
            _machine(
                {
                    "C": {"Type": "Choice", "Choices": [{"Next": "D"}], "Default": "D"},
                    "D": {"Type": "Succeed"},
                }
            ),
            "/States/C/Choices/0/Condition",
            "missing required field 'Condition'",
        ),
        (
            _machine({"W": {"Type": "Wait", "Seconds": "{% %}", "End": True}}),
            "/States/W/Seconds",
            "JSONata syntax error",
        ),
    ],
)
def test_refused_at_load_with_the_location(definition: Any, location: str, message: str):
    with pytest.raises(DefinitionError) as caught:
        load_definition(definition)
    found = {p.location: p.message for p in caught.value.problems}
    assert location in found, found
    assert message in found[location]


def test_eval_is_not_available():
    # [guide] "$eval is not available. Use $parse instead."
    run = _run({"P": {"Type": "Pass", "Output": "{% $eval('1 + 1') %}", "End": True}})
    assert run.head.error == "States.QueryEvaluationError"
    assert "use $parse" in (run.head.cause or "")


def test_a_failing_arguments_expression_is_the_tasks_error_for_its_catch():
    # States.QueryEvaluationError "can be caught" by a Task's Catch; the task never runs.
    run = _run(
        {
            "T": {
                "Type": "Task",
                "Resource": "r",
                "Arguments": {"x": "{% $states.input.missing %}"},
                "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "C"}],
                "End": True,
            },
            "C": {"Type": "Pass", "Output": "{% $states.input %}", "End": True},
        },
        {"kept": True},
    )
    assert run.head.status is ExecutionStatus.SUCCEEDED
    assert run.head.data["Error"] == "States.QueryEvaluationError"
    assert "TaskScheduled" not in run.event_types()
