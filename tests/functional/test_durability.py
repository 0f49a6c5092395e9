"""Exactly-once transitions under duplicate delivery and crashes (invariants 1-3)."""

from __future__ import annotations

import pytest

import steplane
from steplane.adapters.sqs_bus import SqsMessageBus
from steplane.examples.onboarding import register_all
from steplane.local import LocalRuntime


def _signature(result):
    """History without timestamps: what happened, in order, with its data."""
    return [
        (e["type"], e.get("state"), e.get("attempt"), e.get("error"), e.get("output"))
        for e in result.history
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"email": "a@example.com"},
        {"email": "a@example.com", "provisioning_failures": 2},
        {"email": "a@example.com", "simulate_provisioning_error": True},
    ],
)
def test_every_message_delivered_twice_gives_the_same_outcome_and_history(onboarding_path, data):
    outcomes = []
    for twice in (False, True):
        with LocalRuntime(deliver_twice=twice) as rt:
            register_all(rt.worker)
            result = rt.run_until_complete(rt.start(onboarding_path, data, name="dup"))
            outcomes.append((result.status, result.output, _signature(result)))
    assert outcomes[0] == outcomes[1]


def test_a_crash_between_the_commit_and_the_send_still_completes_once(onboarding_path, monkeypatch):
    with LocalRuntime() as rt:
        register_all(rt.worker)
        execution_id = rt.start(onboarding_path, {"email": "a@example.com"})
        real_send = SqsMessageBus.send
        crashes = {"left": 2}

        def crashing_send(self, messages):
            # Die after the advance/task-complete handlers committed, before they sent.
            if crashes["left"] and any(
                "taskToken" in m.body and '"kind":"task"' in m.body for m in messages
            ):
                crashes["left"] -= 1
                raise ConnectionError("simulated crash after the DynamoDB write")
            return real_send(self, messages)

        monkeypatch.setattr(SqsMessageBus, "send", crashing_send)
        result = rt.run_until_complete(execution_id)
    assert crashes["left"] == 0
    assert result.status == "SUCCEEDED"
    entered = [e["state"] for e in result.history if e["type"] == "TaskStateEntered"]
    assert entered == [
        "CreateUser",
        "ProvisionResources",
        "SendWelcomeEmail",
        "NotifyInternalTeams",
    ]
    versions = [e["id"] for e in result.history]
    assert versions == sorted(set(versions))  # no transition applied twice


def test_starting_twice_with_the_same_name_and_input_returns_the_same_execution(onboarding_path):
    with LocalRuntime() as rt:
        register_all(rt.worker)
        workflow = rt.publish(onboarding_path)
        body = {"workflow": workflow, "name": "order-1", "input": {"email": "a@example.com"}}
        first = rt.http("POST", "/executions", body)
        again = rt.http("POST", "/executions", body)
        other = rt.http("POST", "/executions", {**body, "input": {"email": "b@example.com"}})
    assert first[0] == 201
    assert again == (200, first[1])
    assert other[0] == 409
    assert other[1]["error"] == "ExecutionAlreadyExists"


def test_a_running_execution_keeps_its_definition_when_the_workflow_is_republished(onboarding_path):
    with LocalRuntime() as rt:
        register_all(rt.worker)
        execution_id = rt.start(onboarding_path, {"email": "a@example.com"}, name="pinned")
        changed = {
            "WorkflowName": "user_onboarding",
            "StartState": "Done",
            "States": {"Done": {"Type": "Fail"}},
        }
        rt.publish(changed, workflow=execution_id.split(":")[0])
        result = rt.run_until_complete(execution_id)
    assert result.status == "SUCCEEDED"


def test_long_retry_delays_beside_a_timeout_dispatch_each_attempt_once():
    # Regression: an early wake-up used to re-send every pending command, so a retry
    # delay of many 900 s hops beside a TimeoutSeconds wake-up doubled at every hop.
    resource = "arn:aws:lambda:us-east-1:123456789012:function:Flaky"
    definition = {
        "StartAt": "Flaky",
        "States": {
            "Flaky": {
                "Type": "Task",
                "Resource": resource,
                "TimeoutSeconds": 60,
                "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 9000}],
                "End": True,
            }
        },
    }
    calls = []

    def flaky(task_input, context):
        calls.append(context.attempt)
        if context.attempt == 1:
            raise steplane.TaskFailed("Transient", "try again")
        return {"ok": True}

    with LocalRuntime() as rt:
        rt.register(resource, flaky)
        result = rt.run_until_complete(rt.start(definition, {}))
    assert (result.status, result.output) == ("SUCCEEDED", {"ok": True})
    assert calls == [1, 2]


def test_a_long_pass_chain_of_medium_payloads_fits_dynamodb_item_limits():
    # 240 states advanced in one decision, each event carrying ~900 bytes: inline, the
    # history item would pass DynamoDB's 400 KB item limit.
    states = {
        f"P{i}": {"Type": "Pass", "Result": {"i": i, "pad": "y" * 900}, "Next": f"P{i + 1}"}
        for i in range(240)
    }
    states["P240"] = {"Type": "Succeed"}
    with LocalRuntime() as rt:
        result = rt.run_until_complete(rt.start({"StartAt": "P0", "States": states}, {}))
    assert result.status == "SUCCEEDED"
    assert result.output == {"i": 239, "pad": "y" * 900}
    assert len(result.history) == 2 + 2 * 241


def test_a_start_that_dies_before_sending_is_resumed_by_the_retried_request(
    onboarding_path, monkeypatch
):
    with LocalRuntime() as rt:
        register_all(rt.worker)
        workflow = rt.publish(onboarding_path)
        body = {"workflow": workflow, "name": "order-2", "input": {"email": "a@example.com"}}
        real_send = SqsMessageBus.send
        crashes = {"left": 1}

        def crashing_send(self, messages):
            if crashes["left"]:
                crashes["left"] -= 1
                raise ConnectionError("simulated crash after the execution was created")
            return real_send(self, messages)

        monkeypatch.setattr(SqsMessageBus, "send", crashing_send)
        with pytest.raises(ConnectionError):
            rt.http("POST", "/executions", body)  # API Gateway would answer 502
        status, described = rt.http("POST", "/executions", body)  # the client retries
        result = rt.run_until_complete(described["executionId"])
    assert status == 200
    assert result.status == "SUCCEEDED"
    assert [e["type"] for e in result.history].count("ExecutionStarted") == 1


def test_user_data_shaped_like_internal_markers_round_trips_through_history():
    # Data is stored beside engine bookkeeping; no value a user writes may be read back
    # as bookkeeping, whether the transition is small or large enough to spill payloads.
    definition = {"StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "End": True}}}
    inputs = [
        {"$payload": "deadbeef"},
        {"$spilled": {"output": "x"}},
        {"$payload": "deadbeef", "$spilled": {"input": "y"}, "pad": "z" * 70_000},
    ]
    with LocalRuntime() as rt:
        results = [rt.run_until_complete(rt.start(definition, data)) for data in inputs]
    assert [r.output for r in results] == inputs
    assert [r.history[0]["input"] for r in results] == inputs
