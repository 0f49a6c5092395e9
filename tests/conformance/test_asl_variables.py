"""Workflow variables (``Assign`` and ``$name``) in JSONPath states.

Source: AWS Step Functions Developer Guide, "Passing data between states with variables"
([guide]), quoted at each test.
"""

from __future__ import annotations

from typing import Any

import pytest

from steplane.definition.loader import DefinitionError, load_definition
from steplane.execution import ExecutionStatus
from steplane.local import LocalRuntime
from tests.unit.interpreter.harness import Driver


def _machine(*states: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """States in order, each going to the next; the last ends."""
    built: dict[str, Any] = {}
    for index, (name, state) in enumerate(states):
        flow = {"Next": states[index + 1][0]} if index + 1 < len(states) else {"End": True}
        if state["Type"] in ("Succeed", "Fail", "Choice"):
            flow = {}
        built[name] = {**state, **flow}
    return {"StartAt": states[0][0], "States": built}


def test_a_variable_assigned_in_one_state_is_read_in_later_ones():
    # [guide] "To reference a variable, you also use the $ symbol before a variable name,
    # for example, $x or $order.numItems" in any JSONPath field but ResultPath.
    run = Driver(
        _machine(
            (
                "Set",
                {"Type": "Pass", "Assign": {"order": {"id": 7, "items": 3}, "who.$": "$.user"}},
            ),
            ("Use", {"Type": "Pass", "Parameters": {"n.$": "$order.items", "who.$": "$who"}}),
        )
    )
    run.begin({"user": "ana"})
    assert run.head.status is ExecutionStatus.SUCCEEDED
    assert run.head.data == {"n": 3, "who": "ana"}


def test_assignments_see_the_values_on_state_entry_not_each_other():
    # [guide] "All variable references in Step Functions states use the values as they
    # were on state entry" and the example {"x": $a, "nextX": $x} from x=3, a=6 gives
    # x=6, nextX=3.
    run = Driver(
        _machine(
            ("Init", {"Type": "Pass", "Assign": {"x": 3, "a": 6}}),
            ("Swap", {"Type": "Pass", "Assign": {"x.$": "$a", "nextX.$": "$x"}}),
            ("Show", {"Type": "Pass", "Parameters": {"x.$": "$x", "nextX.$": "$nextX"}}),
        )
    )
    run.begin({})
    assert run.head.data == {"x": 6, "nextX": 3}


def test_a_state_reads_its_own_variables_as_they_were_on_entry():
    # [guide] "The new variable values will be available starting with the next state."
    run = Driver(
        _machine(
            ("Init", {"Type": "Pass", "Assign": {"v": "old"}}),
            ("Both", {"Type": "Pass", "Assign": {"v": "new"}, "Parameters": {"seen.$": "$v"}}),
        )
    )
    run.begin({})
    assert run.head.data == {"seen": "old"}


def test_task_assign_reads_the_raw_result_and_output_path_can_use_variables():
    # [guide] "In Task, Map, Parallel states, the $ refers to the API/sub-workflow result."
    run = Driver(
        _machine(
            (
                "Call",
                {
                    "Type": "Task",
                    "Resource": "r",
                    "ResultSelector": {"kept.$": "$.a"},
                    "Assign": {"raw.$": "$"},
                },
            ),
            ("Show", {"Type": "Pass", "Parameters": {"raw.$": "$raw", "out.$": "$"}}),
        )
    )
    run.begin({})
    run.succeed({"a": 1, "b": 2})
    assert run.head.data == {"raw": {"a": 1, "b": 2}, "out": {"kept": 1}}


def test_a_catcher_assigns_from_the_error_output():
    # [guide] "The Assign field is available ... inside Catch fields."
    machine = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "r",
                "End": True,
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "Next": "Show", "Assign": {"why.$": "$.Cause"}}
                ],
            },
            "Show": {"Type": "Pass", "Parameters": {"why.$": "$why"}, "End": True},
        },
    }
    run = Driver(machine)
    run.begin({})
    run.fail("Boom", "disk full")
    assert run.head.data == {"why": "disk full"}


def test_choice_state_and_rule_assign_and_the_rule_wins_on_a_shared_name():
    # [guide] a rule's Assign "assigns variables when this specific choice rule matches";
    # the state's "applies regardless of which choice rule matches".
    machine = {
        "StartAt": "Pick",
        "States": {
            "Pick": {
                "Type": "Choice",
                "Assign": {"route": "state", "seen.$": "$.n"},
                "Choices": [
                    {
                        "Variable": "$.n",
                        "NumericGreaterThan": 5,
                        "Next": "Show",
                        "Assign": {"route": "big"},
                    }
                ],
                "Default": "Show",
            },
            "Show": {
                "Type": "Pass",
                "Parameters": {"route.$": "$route", "seen.$": "$seen"},
                "End": True,
            },
        },
    }
    big, small = Driver(machine), Driver(machine)
    big.begin({"n": 9})
    small.begin({"n": 1})
    assert big.head.data == {"route": "big", "seen": 9}
    assert small.head.data == {"route": "state", "seen": 1}


def test_wait_assigns_when_it_ends():
    run = Driver(
        _machine(
            ("Nap", {"Type": "Wait", "Seconds": 0, "Assign": {"slept": True}}),
            ("Show", {"Type": "Pass", "Parameters": {"s.$": "$slept"}}),
        )
    )
    run.begin({})
    assert run.head.data == {"s": True}


def test_an_unassigned_variable_fails_with_states_runtime():
    # [guide] "If $x had not been previously assigned, the example would fail because $x
    # would be undefined." Only one path assigns $x here: which one runs is known at run
    # time, so the read fails then.
    run = Driver(
        _machine(
            (
                "Pick",
                {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.set", "BooleanEquals": True, "Next": "Set"}],
                    "Default": "Use",
                },
            ),
            ("Set", {"Type": "Pass", "Assign": {"x": 1}, "Next": "Use"}),
            ("Use", {"Type": "Pass", "Parameters": {"x.$": "$x"}}),
        )
    )
    run.begin({"set": False})
    assert run.head.status is ExecutionStatus.FAILED
    assert run.head.error == "States.Runtime"
    assert "the variable $x is not assigned" in (run.head.cause or "")


def test_a_variable_over_256_kib_fails_with_data_limit_exceeded():
    # [guide] "The maximum size of a single variable is 256Kib".
    run = Driver(_machine(("Big", {"Type": "Pass", "Assign": {"blob.$": "$.blob"}})))
    run.begin({"blob": "x" * (256 * 1024)})
    assert run.head.error == "States.DataLimitExceeded"
    assert "$blob" in (run.head.cause or "")


def test_the_assigned_variables_are_in_the_state_exited_event():
    run = Driver(_machine(("Set", {"Type": "Pass", "Assign": {"k": 1}})))
    run.begin({})
    exited = next(e for e in run.events if e.type == "PassStateExited")
    assert exited.details["assignedVariables"] == {"k": 1}


@pytest.mark.parametrize(
    ("assign", "location", "message"),
    [
        ({"a.b": 1}, "/States/P/Assign/a.b", "not a variable name"),
        ({"x[2]": 1}, "/States/P/Assign/x[2]", "not a variable name"),
        ({"states": 1}, "/States/P/Assign/states", "reserved"),
        ({"_x": 1}, "/States/P/Assign/_x", "not a variable name"),
        ({"v" * 81: 1}, "/States/P/Assign/" + "v" * 81, "at most 80"),
        ({"ok.$": "$.a[", "n": 1}, "/States/P/Assign/ok.$", "never closed"),
        ([1], "/States/P/Assign", "must be a JSON object"),
    ],
)
def test_bad_assignments_are_refused_at_load(assign: Any, location: str, message: str):
    with pytest.raises(DefinitionError) as caught:
        load_definition(_machine(("P", {"Type": "Pass", "Assign": assign})))
    found = {p.location: p.message for p in caught.value.problems}
    assert location in found, found
    assert message in found[location]


def test_succeed_and_fail_states_cannot_assign():
    # [guide] "The Assign field is available at the top level of each state (except
    # Succeed and Fail)".
    with pytest.raises(DefinitionError) as caught:
        load_definition({"StartAt": "S", "States": {"S": {"Type": "Succeed", "Assign": {"x": 1}}}})
    assert "/States/S/Assign" in {p.location for p in caught.value.problems}


def _echo(task_input: Any, context: Any) -> Any:
    return task_input


def test_variables_survive_the_store_small_and_large():
    # Variables live in the head (inline when small, in a payload item when large) and
    # are read back by the decision that handles the task's result.
    definition = _machine(
        ("Set", {"Type": "Pass", "Assign": {"small": 1, "large.$": "$.large"}}),
        ("Work", {"Type": "Task", "Resource": "echo", "Parameters": {"s.$": "$small"}}),
        (
            "Show",
            {
                "Type": "Pass",
                "Parameters": {"small.$": "$small", "size.$": "States.ArrayLength($large)"},
            },
        ),
    )
    with LocalRuntime() as rt:
        rt.register("echo", _echo)
        execution_id = rt.start(definition, {"large": list(range(2000))}, name="vars")
        result = rt.run_until_complete(execution_id)
        head = rt.store.get_head(execution_id)
    assert result.status == ExecutionStatus.SUCCEEDED, result
    assert result.output == {"small": 1, "size": 2000}
    assert head.variables["small"] == 1


def test_variables_and_the_context_object_in_every_path_field_but_result_path():
    # [guide] "You can reference a variable in any field that accepts a JSONpath
    # expression ($. or $$. syntax), with the exception of ResultPath."
    machine = {
        "StartAt": "Set",
        "States": {
            "Set": {
                "Type": "Pass",
                "Assign": {"cfg": {"wait": 0, "limit": 5}, "pick": "b"},
                "Next": "Pick",
            },
            "Pick": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$cfg.limit", "NumericLessThanPath": "$.n", "Next": "Nap"},
                    {"Variable": "$$.State.Name", "StringEquals": "Pick", "Next": "Nap"},
                ],
            },
            "Nap": {"Type": "Wait", "SecondsPath": "$cfg.wait", "Next": "In"},
            "In": {"Type": "Pass", "InputPath": "$cfg", "Next": "Out"},
            "Out": {"Type": "Pass", "OutputPath": "$$.Execution.Input", "End": True},
        },
    }
    run = Driver(machine)
    run.begin({"n": 1})
    assert run.head.status is ExecutionStatus.SUCCEEDED, run.head.cause
    assert run.head.data == {"n": 1}


def test_result_path_cannot_be_a_variable():
    with pytest.raises(DefinitionError) as caught:
        load_definition(_machine(("P", {"Type": "Pass", "ResultPath": "$v"})))
    assert "/States/P/ResultPath" in {p.location for p in caught.value.problems}


def test_a_variable_read_before_any_path_could_assign_it_is_refused_at_load():
    # [guide] "If $x had not been previously assigned, the example would fail because $x
    # would be undefined." Variables are assigned on leaving a state; no path from StartAt
    # to Use passes Later, so the read could only ever fail.
    definition = _machine(
        ("Maybe", {"Type": "Pass", "Assign": {"other": 1}}),
        ("Use", {"Type": "Pass", "Parameters": {"x.$": "$x", "o.$": "$other"}}),
        ("Later", {"Type": "Pass", "Assign": {"x": 1}}),
    )
    with pytest.raises(DefinitionError) as caught:
        load_definition(definition)
    assert [(p.location, p.message) for p in caught.value.problems] == [
        (
            "/States/Use/Parameters",
            "reads $x before any state could assign it "
            "(no path from StartAt to here passes an Assign of it)",
        )
    ]


def test_a_catcher_or_a_choice_rule_assigns_only_on_its_own_way_out():
    # [guide] A Catcher's Assign applies when it catches (the state's own does not); a
    # Choice rule's "assigns variables when this specific choice rule matches".
    catcher = {"ErrorEquals": ["States.ALL"], "Assign": {"caught": 1}, "Next": "OnError"}
    definition = {
        "StartAt": "Pick",
        "States": {
            "Pick": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$.go",
                        "IsPresent": True,
                        "Assign": {"picked": 1},
                        "Next": "Work",
                    }
                ],
                "Default": "Work",
            },
            "Work": {"Type": "Task", "Resource": "r", "Catch": [catcher], "Next": "Done"},
            "Done": {"Type": "Pass", "Parameters": {"c.$": "$caught"}, "End": True},
            "OnError": {"Type": "Pass", "Parameters": {"c.$": "$caught"}, "End": True},
        },
    }
    with pytest.raises(DefinitionError) as caught:
        load_definition(definition)
    assert [p.location for p in caught.value.problems] == ["/States/Done/Parameters"]
    # $picked is assigned on one way into Work, so reading it there is left to run time.
    definition["States"]["Done"]["Parameters"] = {"p.$": "$picked"}
    load_definition(definition)


def test_a_variable_no_state_assigns_is_refused_at_load_where_it_is_read():
    definition = _machine(
        ("Set", {"Type": "Pass", "Assign": {"known": 1}}),
        ("Use", {"Type": "Pass", "Parameters": {"a.$": "$known", "b.$": "$typo"}}),
        (
            "Pick",
            {
                "Type": "Choice",
                "Choices": [{"Variable": "$other", "IsPresent": True, "Next": "Use2"}],
                "Default": "Use2",
            },
        ),
        ("Use2", {"Type": "Pass", "InputPath": "$third"}),
    )
    with pytest.raises(DefinitionError) as caught:
        load_definition(definition)
    found = {p.location: p.message for p in caught.value.problems}
    assert found == {
        "/States/Use/Parameters": "reads $typo, which no state assigns (an Assign field gives it)",
        "/States/Pick/Choices/0": "reads $other, which no state assigns (an Assign field gives it)",
        "/States/Use2/InputPath": "reads $third, which no state assigns (an Assign field gives it)",
    }
