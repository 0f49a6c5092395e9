"""``POST /executions/{id}/redrive``: Step Functions' RedriveExecution, and beyond it.

The rules, from the developer guide ("Restarting state machine executions with redrive")
and the API reference (RedriveExecution, ExecutionRedrivenEventDetails):
- [R1] "restart executions of Standard Workflows that didn't complete successfully ...
  These include failed, aborted, or timed out executions."
- [R2] "it continues the failed execution from the unsuccessful step and uses the same
  input ... the results and execution history of the successful steps ... aren't rerun".
- [R3] "Redriven executions use the same state machine definition and execution ARN".
- [R4] "the state machine level timeout, if defined, is reset to 0".
- [R5] redriveCount: "The number of times you've redriven an execution" (the
  ``ExecutionRedriven`` event's details; ``$$.Execution.RedriveCount``).
- [R6] eligibility: "The execution status isn't SUCCEEDED" (RedriveExecution answers
  ExecutionNotRedrivable).
Beyond Step Functions (opt-in, recorded in the ExecutionRedriven event): ``fromState``,
``input`` and ``latestDefinition``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from steplane.local import LocalRuntime
from steplane.local.http import path_segment
from steplane.settings import Settings

FLAKY = "Flaky"


def _redrive(rt: LocalRuntime, execution_id: str, body: Any = None) -> tuple[int, Any]:
    return rt.http("POST", f"/executions/{path_segment(execution_id)}/redrive", body)


def _events(rt: LocalRuntime, execution_id: str) -> list[dict[str, Any]]:
    """Every event of the execution, following the history's pages."""
    events: list[dict[str, Any]] = []
    query = "?maxResults=1000"
    while True:
        status, body = rt.http("GET", f"/executions/{path_segment(execution_id)}/history{query}")
        assert status == 200
        events += body["events"]
        if "nextToken" not in body:
            return events
        query = f"?maxResults=1000&nextToken={body['nextToken']}"


PIPELINE = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Task", "Resource": "Prepare", "Next": "Work"},
        "Work": {"Type": "Task", "Resource": FLAKY, "Next": "Report"},
        "Report": {
            "Type": "Pass",
            "Parameters": {
                "redrives.$": "$$.Execution.RedriveCount",
                "redrivenAt.$": "$$.Execution.RedriveTime",
                "result.$": "$",
            },
            "End": True,
        },
    },
}


class Calls:
    """Task handlers that record their calls; ``Flaky`` fails until ``healthy``."""

    def __init__(self) -> None:
        self.prepare = 0
        self.work: list[Any] = []
        self.healthy = False

    def register(self, rt: LocalRuntime) -> None:
        rt.register("Prepare", self._prepare)
        rt.register(FLAKY, self._work)

    def _prepare(self, task_input: Any, context: Any) -> Any:
        self.prepare += 1
        return {"prepared": task_input}

    def _work(self, task_input: Any, context: Any) -> Any:
        self.work.append(task_input)
        if not self.healthy:
            raise ConnectionError("the service is down")
        return {"worked": True}


def test_a_failed_execution_reruns_only_the_failed_step_with_its_input() -> None:
    calls = Calls()
    with LocalRuntime() as rt:
        calls.register(rt)
        execution = rt.start(PIPELINE, {"order": 7})
        first = rt.run_until_complete(execution)
        assert (first.status, first.error) == ("FAILED", "ConnectionError")
        before = _events(rt, execution)
        calls.healthy = True
        status, body = _redrive(rt, execution)
        result = rt.run_until_complete(execution)
        events = _events(rt, execution)
        described = rt.http("GET", f"/executions/{path_segment(execution)}")[1]
        pinned = rt.store.get_head(execution).definition_hash
    assert status == 200
    assert (body["status"], body["currentState"], body["redriveCount"]) == ("RUNNING", "Work", 1)
    assert result.status == "SUCCEEDED"
    # [R2] Prepare ran once; Work got the same input both times.
    assert calls.prepare == 1
    assert calls.work == [{"prepared": {"order": 7}}] * 2
    # [R5] the count, in the Context Object and in the history; the time of the redrive.
    assert result.output["redrives"] == 1
    assert result.output["redrivenAt"] == described["redriveDate"].replace("+00:00", "Z")
    # The history is kept and continues: the first run's events, then the redrive's.
    assert events[: len(before)] == before
    redriven = events[len(before)]
    assert (redriven["type"], redriven["redriveCount"]) == ("ExecutionRedriven", 1)
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    # [R3] same id and definition.
    assert described["definitionHash"] == pinned
    assert (described["status"], described["redriveCount"]) == ("SUCCEEDED", 1)


def test_each_redrive_counts() -> None:
    calls = Calls()
    with LocalRuntime() as rt:
        calls.register(rt)
        execution = rt.start(PIPELINE, {})
        rt.run_until_complete(execution)
        assert _redrive(rt, execution)[0] == 200
        assert rt.run_until_complete(execution).status == "FAILED"
        calls.healthy = True
        assert _redrive(rt, execution)[1]["redriveCount"] == 2
        result = rt.run_until_complete(execution)
    assert (result.status, result.output["redrives"]) == ("SUCCEEDED", 2)
    assert len(calls.work) == 3


CALLBACK = {
    "StartAt": "Approve",
    "TimeoutSeconds": 100,
    "States": {
        "Approve": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": {"token.$": "$$.Task.Token"}},
            "End": True,
        }
    },
}


def _token(rt: LocalRuntime, queue: str) -> str:
    messages = rt.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    for message in messages:
        rt.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return str(json.loads(messages[-1]["Body"])["token"])


def test_a_timed_out_execution_redrives_with_its_timeout_counted_afresh() -> None:
    with LocalRuntime() as rt:
        queue = rt.sqs.create_queue(QueueName="approvals")["QueueUrl"]
        execution = rt.start(CALLBACK, {"queue": queue})
        rt.advance(1)  # deliver what is due, no later (run_all would skip to the timeout)
        old_token = _token(rt, queue)
        rt.advance(150)
        assert rt.store.get_head(execution).status == "TIMED_OUT"
        assert _redrive(rt, execution)[0] == 200
        rt.advance(1)
        token = _token(rt, queue)
        # [R4] 80 s after the redrive: past the first run's deadline, not this run's.
        rt.advance(80)
        late = rt.http("POST", f"/tasks/{old_token}/success", {"approved": "old"})
        answered = rt.http("POST", f"/tasks/{token}/success", {"approved": True})
        result = rt.run_until_complete(execution)
    assert late[0] == 409  # the first run's attempt stays closed
    assert answered[0] == 202
    assert (result.status, result.output) == ("SUCCEEDED", {"approved": True})


def test_a_redriven_execution_times_out_again_after_its_full_timeout() -> None:
    with LocalRuntime() as rt:
        queue = rt.sqs.create_queue(QueueName="approvals")["QueueUrl"]
        execution = rt.start(CALLBACK, {"queue": queue})
        rt.advance(150)
        _redrive(rt, execution)
        rt.advance(90)
        running = rt.store.get_head(execution).status
        rt.advance(30)
        head = rt.store.get_head(execution)
    assert running == "RUNNING"
    assert (head.status, head.error) == ("TIMED_OUT", "States.Timeout")


def test_a_stopped_execution_redrives_from_the_state_it_was_stopped_in() -> None:
    definition = {
        "StartAt": "Count",
        "States": {
            "Count": {"Type": "Task", "Resource": "Prepare", "Next": "Nap"},
            "Nap": {"Type": "Wait", "Seconds": 600, "Next": "Done"},
            "Done": {"Type": "Pass", "End": True},
        },
    }
    calls = Calls()
    with LocalRuntime() as rt:
        calls.register(rt)
        execution = rt.start(definition, {"n": 1})
        rt.advance(1)  # into the Wait (run_all would skip it)
        rt.http("POST", f"/executions/{path_segment(execution)}/stop", {"cause": "paused"})
        status, body = _redrive(rt, execution)
        rt.advance(599)
        waiting = rt.store.get_head(execution).state
        rt.advance(2)
        result = rt.run_until_complete(execution)
    assert (status, body["currentState"]) == (200, "Nap")
    assert waiting == "Nap"  # the Wait counts again from the redrive
    assert (result.status, result.output) == ("SUCCEEDED", {"prepared": {"n": 1}})
    assert calls.prepare == 1


def test_from_a_named_state_with_an_edited_input() -> None:
    calls = Calls()
    with LocalRuntime() as rt:
        calls.register(rt)
        execution = rt.start(PIPELINE, {"order": 1})
        rt.run_until_complete(execution)
        calls.healthy = True
        edited = {"order": 2}
        status, body = _redrive(rt, execution, {"fromState": "Prepare", "input": edited})
        result = rt.run_until_complete(execution)
        redriven = next(e for e in _events(rt, execution) if e["type"] == "ExecutionRedriven")
    assert (status, body["currentState"]) == (200, "Prepare")
    assert calls.prepare == 2
    assert calls.work[-1] == {"prepared": {"order": 2}}
    assert result.status == "SUCCEEDED"
    assert redriven["fromState"] == "Prepare"
    assert redriven["inputEdited"] is True


def test_onto_the_newest_definition() -> None:
    broken = {
        "StartAt": "Check",
        "States": {"Check": {"Type": "Fail", "Error": "Bug", "Cause": "a typo in the rule"}},
    }
    fixed = {"StartAt": "Check", "States": {"Check": {"Type": "Pass", "Result": "ok", "End": True}}}
    with LocalRuntime() as rt:
        rt.publish(broken, "checks")
        status, started = rt.http("POST", "/executions", {"workflow": "checks", "input": {}})
        execution = started["executionId"]
        assert rt.run_until_complete(execution).status == "FAILED"
        same = _redrive(rt, execution)  # the same definition fails the same way
        assert rt.run_until_complete(execution).status == "FAILED"
        rt.publish(fixed, "checks")
        newest = rt.http("GET", "/workflows/checks")[1]["definitionHash"]
        status, body = _redrive(rt, execution, {"latestDefinition": True})
        result = rt.run_until_complete(execution)
        redriven = [e for e in _events(rt, execution) if e["type"] == "ExecutionRedriven"]
    assert same[0] == 200
    assert "definitionHash" not in redriven[0]
    assert (status, body["definitionHash"]) == (200, newest)
    assert redriven[1]["definitionHash"] == newest
    assert (result.status, result.output) == ("SUCCEEDED", "ok")


def test_a_redriven_execution_moves_in_the_list_by_status() -> None:
    calls = Calls()
    with LocalRuntime() as rt:
        calls.register(rt)
        execution = rt.start(PIPELINE, {})
        rt.run_until_complete(execution)
        failed = rt.http("GET", "/executions?status=FAILED")[1]["executions"]
        calls.healthy = True
        _redrive(rt, execution)
        rt.run_until_complete(execution)
        failed_after = rt.http("GET", "/executions?status=FAILED")[1]["executions"]
        succeeded = rt.http("GET", "/executions?status=SUCCEEDED")[1]["executions"]
    assert [e["executionId"] for e in failed] == [execution]
    assert failed_after == []
    assert [e["executionId"] for e in succeeded] == [execution]
    assert succeeded[0]["error"] is None


@pytest.mark.parametrize(
    ("body", "expected", "message"),
    [
        ({"fromState": "Nowhere"}, 400, "fromState 'Nowhere' is not a state of the definition"),
        ({"fromState": "Report"}, 400, "never entered 'Report': give the input"),
        ({"input": {"big": "x" * 300_000}}, 413, "the redrive input"),
        ({"latest": True}, 422, "latest"),
    ],
)
def test_a_bad_redrive_request_names_the_problem(body: Any, expected: int, message: str) -> None:
    calls = Calls()
    with LocalRuntime() as rt:
        calls.register(rt)
        execution = rt.start(PIPELINE, {})
        rt.run_until_complete(execution)
        status, answer = _redrive(rt, execution, body)
        head = rt.store.get_head(execution)
    assert status == expected, answer
    assert message in json.dumps(answer)
    assert head.status == "FAILED"  # refused: nothing changed


def test_only_an_unsuccessful_top_level_execution_is_redriven() -> None:
    parallel = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "B", "States": {"B": {"Type": "Fail", "Error": "No"}}},
                ],
                "End": True,
            }
        },
    }
    with LocalRuntime() as rt:
        queue = rt.sqs.create_queue(QueueName="approvals")["QueueUrl"]
        running = rt.start(CALLBACK, {"queue": queue})
        done = rt.start({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
        parent = rt.start(parallel, {})
        rt.advance(1)  # the parallel fails; the callback still waits (its timeout is later)
        child = f"{parent}/1/0"
        answers = {
            "running": _redrive(rt, running),
            "succeeded": _redrive(rt, done),
            "child": _redrive(rt, child),
            "unknown": _redrive(rt, "nope:nope"),
        }
        malformed = rt.http("POST", f"/executions/{path_segment(done)}/redrive", b"{not json")
    assert answers["running"][0] == 400
    assert "is RUNNING; only a FAILED, TIMED_OUT or ABORTED" in answers["running"][1]["message"]
    assert answers["running"][1]["error"] == "ExecutionNotRedrivable"
    assert answers["succeeded"][0] == 400
    assert answers["child"][0] == 400
    assert "redrive that execution" in answers["child"][1]["message"]
    assert answers["unknown"][0] == 404
    assert malformed[0] == 400


def test_a_redrive_is_refused_when_it_could_not_run() -> None:
    """Refused with ExecutionNotRedrivable, the execution unchanged: its retention is
    ending (its history items expire with it); it made all its transitions (it would fail
    again at once); it was redriven 1,000 times (Step Functions' limit)."""
    looping = {
        "StartAt": "Again",
        "States": {"Again": {"Type": "Pass", "Next": "Again"}},
    }
    calls = Calls()
    with LocalRuntime(settings=Settings(retention_days=3, max_transitions=50)) as rt:
        calls.register(rt)
        expiring = rt.start(PIPELINE, {})
        spent = rt.start(looping, {})
        capped = rt.start(PIPELINE, {}, name="capped")
        rt.run_all()
        table = rt.resources.ref("ExecutionsTable")
        rt.session.client("dynamodb").update_item(
            TableName=table,
            Key={"pk": {"S": f"X#{capped}"}, "sk": {"S": "HEAD"}},
            UpdateExpression="SET rdc = :n",
            ExpressionAttributeValues={":n": {"N": "1000"}},
        )
        answers = {"spent": _redrive(rt, spent), "capped": _redrive(rt, capped)}
        rt.advance(2 * 86400 + 60)  # past retention less a day
        answers["expiring"] = _redrive(rt, expiring)
        heads = {
            name: rt.store.get_head(i).status
            for name, i in (("expiring", expiring), ("spent", spent), ("capped", capped))
        }
    assert answers["expiring"][0] == 400
    assert "is about to expire" in answers["expiring"][1]["message"]
    assert answers["spent"][0] == 400
    assert "made all its 50 state transitions" in answers["spent"][1]["message"]
    assert answers["capped"][0] == 400
    assert "redriven 1000 times" in answers["capped"][1]["message"]
    assert heads == {"expiring": "FAILED", "spent": "FAILED", "capped": "FAILED"}


def test_a_one_day_retention_still_lets_a_fresh_failure_be_redriven() -> None:
    calls = Calls()
    with LocalRuntime(settings=Settings(retention_days=1)) as rt:
        calls.register(rt)
        execution = rt.start(PIPELINE, {})
        rt.run_all()
        rt.advance(3600)
        assert _redrive(rt, execution)[0] == 200


def test_a_redrive_within_retention_is_accepted() -> None:
    calls = Calls()
    with LocalRuntime(settings=Settings(retention_days=3)) as rt:
        calls.register(rt)
        execution = rt.start(PIPELINE, {})
        rt.run_all()
        rt.advance(86400)  # two days of retention left
        assert _redrive(rt, execution)[0] == 200


def test_a_stop_between_two_parts_of_a_long_chain_redrives_from_the_state_it_was_to_enter() -> None:
    """A Pass/Choice chain longer than one invocation runs (250 states) commits and goes
    on from a wake-up, naming the next state without entering it. Stopped there, the
    execution records that state and its input; a redrive restarts from it, not from the
    state before it (which had succeeded: running it again would count twice)."""
    counting = {
        "StartAt": "Step",
        "States": {
            "Step": {
                "Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, 1)"},
                "Next": "Check",
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericLessThan": 400, "Next": "Step"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    with LocalRuntime() as rt:
        execution = rt.start(counting, {"n": 0})  # its first invocation yields
        assert rt.store.get_head(execution).waiting is None
        rt.http("POST", f"/executions/{path_segment(execution)}/stop", {})
        status, body = _redrive(rt, execution)
        result = rt.run_until_complete(execution)
        events = _events(rt, execution)
    aborted = next(e for e in events if e["type"] == "ExecutionAborted")
    redriven = next(i for i, e in enumerate(events) if e["type"] == "ExecutionRedriven")
    first = events[redriven + 1]
    last_entered_before = [e for e in events[:redriven] if e["type"].endswith("StateEntered")][-1]
    assert status == 200, body
    assert (first["state"], first["input"]) == (aborted["pendingState"], aborted["pendingInput"])
    assert first["state"] != last_entered_before["state"]
    assert (result.status, result.output) == ("SUCCEEDED", {"n": 400})
