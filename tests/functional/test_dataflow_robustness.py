"""What a review of the data-flow language found, each pinned: decisions after a round trip
through the store, values too big or too deep, draws that must differ and times that must
not, and a live task the sweeper must leave alone."""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest

from steplane.execution import ExecutionStatus
from steplane.local import LocalRuntime
from tests.conformance.test_asl_dataflow import run_pass
from tests.unit.interpreter.harness import T0, Driver


def _jsonata_task(**fields: Any) -> Driver:
    """A JSONata machine of one Task ``T`` with ``fields``."""
    task = {"Type": "Task", "Resource": "r", "End": True, **fields}
    return Driver({"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": task}})


def _echo(data: Any, context: Any) -> Any:
    return data


def _run_local(definition: dict[str, Any], data: Any) -> Any:
    with LocalRuntime() as rt:
        rt.register("echo", _echo)
        return rt.run_until_complete(rt.start(definition, data))


@pytest.mark.parametrize(
    "after",
    [
        {
            "Type": "Pass",
            "QueryLanguage": "JSONata",
            "Output": "{% $states.input.x %}",
            "End": True,
        },
        {"Type": "Pass", "InputPath": "$$.Execution.Input", "End": True},
        {
            "Type": "Choice",
            "Choices": [{"Variable": "$$.Execution.Input.x", "NumericEquals": 1, "Next": "Done"}],
        },
    ],
)
def test_a_state_after_a_task_reads_through_a_head_from_the_store(after: dict[str, Any]):
    # The input is loaded for every decision of a definition that may read it: JSONata
    # (its context), and any path field, not only payload templates.
    states = {"T": {"Type": "Task", "Resource": "echo", "Next": "After"}, "After": after}
    states["Done"] = {"Type": "Succeed"}
    if after["Type"] != "Choice":
        states.pop("Done")
    result = _run_local({"StartAt": "T", "States": states}, {"x": 1})
    assert result.status == ExecutionStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("expression", "outcome"),
    [
        ("States.MathAdd($.n, 1)", "States.Runtime"),
        ("States.ArrayUnique(States.Array($.n, $.n))", None),
        ("States.ArrayContains(States.Array($.n), 1)", None),
    ],
)
def test_an_integer_beyond_any_float_is_compared_exactly_or_refused(expression: str, outcome: Any):
    run = run_pass({"n": 10**400}, Parameters={"v.$": expression})
    assert run.head.error == outcome, run.head.cause


def test_heartbeat_seconds_path_with_a_huge_integer_fails_cleanly():
    run = Driver(
        {
            "StartAt": "T",
            "States": {
                "T": {"Type": "Task", "Resource": "r", "HeartbeatSecondsPath": "$.h", "End": True}
            },
        }
    )
    run.begin({"h": 10**400})
    assert run.head.error == "States.Runtime"


def test_a_jsonata_input_beyond_64_bit_integers_is_a_query_evaluation_error():
    run = Driver(
        {
            "QueryLanguage": "JSONata",
            "StartAt": "P",
            "States": {"P": {"Type": "Pass", "Output": "{% $states.input.n %}", "End": True}},
        }
    )
    run.begin({"n": 2**70})
    assert run.head.error == "States.QueryEvaluationError"


@pytest.mark.parametrize("text", ["[" * 100_000, "NaN", "Infinity"])
def test_string_to_json_refuses_what_is_not_json(text: str):
    run = run_pass({"s": text}, Parameters={"v.$": "States.StringToJson($.s)"})
    assert run.head.error == "States.Runtime"


def test_each_field_and_template_draws_its_own_uuid():
    run = Driver(
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Pass",
                    "Parameters": {"a": {"id.$": "States.UUID()"}, "b": {"id.$": "States.UUID()"}},
                    # The same place in another template of the state draws its own too.
                    "Assign": {"a": {"id.$": "States.UUID()"}},
                    "Next": "Q",
                },
                "Q": {
                    "Type": "Pass",
                    "Parameters": {"c.$": "$a.id", "a.$": "$.a.id", "b.$": "$.b.id"},
                    "End": True,
                },
            },
        }
    )
    run.begin({})
    assert len(set(run.head.data.values())) == 3, run.head.data


def test_jsonata_uuid_in_two_fields_differ():
    run = Driver(
        {
            "QueryLanguage": "JSONata",
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Pass",
                    "Output": {"a": "{% $uuid() %}", "b": "{% $uuid() %}"},
                    "End": True,
                }
            },
        }
    )
    run.begin({})
    assert run.head.data["a"] != run.head.data["b"]


def test_jsonata_now_is_the_decision_clock_not_the_wall_clock():
    run = _jsonata_task(Arguments={"at": "{% $now() %}", "ms": "{% $millis() %}"})
    run.begin({})
    assert run.dispatch().input == {
        "at": "2026-01-01T00:00:00.000Z",
        "ms": int(T0.timestamp() * 1000),
    }


def test_jsonata_credentials():
    role = "arn:aws:iam::111122223333:role/R"
    run = _jsonata_task(Credentials={"RoleArn": "{% $states.input.role %}"})
    run.begin({"role": role})
    assert run.dispatch().role_arn == role


def test_the_sweeper_leaves_a_task_alone_while_its_heartbeats_come():
    definition = {
        "StartAt": "W",
        "States": {
            "W": {"Type": "Task", "Resource": "manual", "HeartbeatSeconds": 60, "End": True}
        },
    }
    dispatched: list[int] = []
    with LocalRuntime() as rt:
        rt.register("manual", lambda data, context: dispatched.append(context.attempt) or {})
        execution_id = rt.start(definition, {})
        queue = rt.resources.ref("DefaultTaskQueue")
        (message,) = rt.sqs.receive_message(QueueUrl=queue)["Messages"]  # a worker holds it
        rt.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        token = json.loads(message["Body"])["taskToken"]
        for _ in range(16):  # 800 s, heartbeats every 50 s: well past 60 s + the grace
            rt.advance(50)
            assert rt.http("POST", f"/tasks/{token}/heartbeat")[0] == 200
        assert dispatched == []
        assert rt.store.get_head(execution_id).status == "RUNNING"


def test_variables_beyond_one_dynamodb_item_are_kept():
    # 3 x 195 KB of variables (within 256 KiB each, 10 MiB in all) is more than one
    # DynamoDB item holds: each variable goes to its own payload item.
    blob = base64.b64encode(random.Random(7).randbytes(146_000)).decode()  # ~195 KB
    states: dict[str, Any] = {"T0": {"Type": "Task", "Resource": "echo", "Next": "Seta"}}
    for name, following in (("a", "Setb"), ("b", "Setc"), ("c", "Use")):
        states[f"Set{name}"] = {
            "Type": "Pass",
            "Assign": {f"{name}.$": "$.blob"},
            "Next": following,
        }
    states["Use"] = {
        "Type": "Task",
        "Resource": "echo",
        "Parameters": {"same.$": "States.ArrayContains(States.Array($a, $b), $c)"},
        "End": True,
    }
    result = _run_local({"StartAt": "T0", "States": states}, {"blob": blob})
    assert result.status == ExecutionStatus.SUCCEEDED, result
    assert result.output == {"same": True}
