"""Task HeartbeatSeconds and HeartbeatSecondsPath, and heartbeats (SendTaskHeartbeat).

Sources quoted below:
- [spec] Amazon States Language, Task State: "HeartbeatSeconds ... If provided, the
  "HeartbeatSeconds" interval MUST be smaller than the "TimeoutSeconds" value"; "A Task
  State MUST NOT include both HeartbeatSeconds and HeartbeatSecondsPath".
- [guide] AWS Step Functions Developer Guide, error names: "States.HeartbeatTimeout: A Task
  state failed to send a heartbeat for a period longer than the HeartbeatSeconds value."
- [api] SendTaskHeartbeat: it "resets the Heartbeat clock"; "The Timeout of a task ... is
  its maximum allowed duration, regardless of the number of SendTaskHeartbeat requests".
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from steplane.definition.loader import DefinitionError, load_definition
from steplane.execution import ExecutionStatus
from steplane.local import LocalRuntime

QUEUE = "DefaultTaskQueue"


def _task(**fields: Any) -> dict[str, Any]:
    states: dict[str, Any] = {"Work": {"Type": "Task", "Resource": "manual", "End": True, **fields}}
    if "Catch" in fields:
        states["Caught"] = {"Type": "Pass", "End": True}
    return {"StartAt": "Work", "States": states}


def _started(rt: LocalRuntime, definition: dict[str, Any], data: Any = None) -> tuple[str, str]:
    """Start ``definition``; take its task message off the queue (no worker runs it)."""
    execution_id = rt.start(definition, data or {})
    sqs, queue = rt.sqs, rt.resources.ref(QUEUE)
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return execution_id, json.loads(message["Body"])["taskToken"]


def test_a_task_without_heartbeats_fails_with_states_heartbeat_timeout():
    with LocalRuntime() as rt:
        execution_id, _ = _started(rt, _task(HeartbeatSeconds=60))
        rt.advance(61)
        result = rt.run_until_complete(execution_id)
    assert result.status == ExecutionStatus.FAILED
    assert result.error == "States.HeartbeatTimeout"


def test_heartbeats_keep_it_alive_until_it_succeeds():
    with LocalRuntime() as rt:
        execution_id, token = _started(rt, _task(HeartbeatSeconds=60))
        for _ in range(3):  # 150 s in all, more than HeartbeatSeconds
            rt.advance(50)
            assert rt.http("POST", f"/tasks/{token}/heartbeat") == (200, {"outcome": "recorded"})
        rt.advance(50)
        assert rt.store.get_head(execution_id).status == "RUNNING"
        assert rt.http("POST", f"/tasks/{token}/success", {"done": True})[0] == 202
        result = rt.run_until_complete(execution_id)
    assert result.status == ExecutionStatus.SUCCEEDED
    assert result.output == {"done": True}


def test_heartbeats_do_not_extend_timeout_seconds():
    with LocalRuntime() as rt:
        execution_id, token = _started(rt, _task(HeartbeatSeconds=30, TimeoutSeconds=100))
        for _ in range(4):
            rt.advance(25)
            rt.http("POST", f"/tasks/{token}/heartbeat")
        rt.advance(10)
        result = rt.run_until_complete(execution_id)
    assert result.error == "States.Timeout"


def test_a_heartbeat_after_the_attempt_closed_is_refused():
    with LocalRuntime() as rt:
        execution_id, token = _started(rt, _task(HeartbeatSeconds=60))
        rt.advance(61)
        rt.run_until_complete(execution_id)
        status, body = rt.http("POST", f"/tasks/{token}/heartbeat")
    assert status == 409  # as for a late success or failure callback
    assert body["error"] == "TaskTimedOut"


def test_catch_on_states_timeout_also_catches_a_heartbeat_timeout():
    # Before States.HeartbeatTimeout existed, a Catch on States.Timeout handled both.
    catch = [{"ErrorEquals": ["States.Timeout"], "Next": "Caught", "ResultPath": "$.error"}]
    with LocalRuntime() as rt:
        execution_id, _ = _started(rt, _task(HeartbeatSeconds=5, Catch=catch))
        rt.advance(6)
        result = rt.run_until_complete(execution_id)
    assert result.status == ExecutionStatus.SUCCEEDED
    assert result.output["error"]["Error"] == "States.HeartbeatTimeout"


def test_states_task_failed_does_not_catch_a_heartbeat_timeout():
    catch = [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}]
    with LocalRuntime() as rt:
        execution_id, _ = _started(rt, _task(HeartbeatSeconds=5, Catch=catch))
        rt.advance(6)
        result = rt.run_until_complete(execution_id)
    assert result.error == "States.HeartbeatTimeout"


def test_heartbeat_seconds_path_reads_the_input():
    with LocalRuntime() as rt:
        execution_id, _ = _started(rt, _task(HeartbeatSecondsPath="$.hb"), {"hb": 20})
        rt.advance(21)
        result = rt.run_until_complete(execution_id)
    assert result.error == "States.HeartbeatTimeout"


def test_a_worker_sends_heartbeats_through_the_sdk():
    def long_job(data: Any, context: Any) -> Any:
        rt.worker.heartbeat(context.task_id)  # queued to the TaskResultQueue
        return {"ok": True}

    with LocalRuntime() as rt:
        rt.register("job", long_job)
        execution_id = rt.start(
            {
                "StartAt": "J",
                "States": {
                    "J": {"Type": "Task", "Resource": "job", "HeartbeatSeconds": 60, "End": True}
                },
            },
            {},
        )
        result = rt.run_until_complete(execution_id)
    assert result.status == ExecutionStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("fields", "location", "message"),
    [
        (
            {"HeartbeatSeconds": 60, "TimeoutSeconds": 60},
            "/States/Work/HeartbeatSeconds",
            "smaller than TimeoutSeconds",
        ),
        (
            {"HeartbeatSeconds": 6, "HeartbeatSecondsPath": "$.h"},
            "/States/Work",
            "both HeartbeatSeconds and HeartbeatSecondsPath",
        ),
        ({"HeartbeatSeconds": 0}, "/States/Work/HeartbeatSeconds", ">= 1"),
        ({"HeartbeatSecondsPath": "$.h[*]"}, "/States/Work/HeartbeatSecondsPath", "wildcard"),
    ],
)
def test_refused_at_load(fields: dict[str, Any], location: str, message: str):
    with pytest.raises(DefinitionError) as caught:
        load_definition(_task(**fields))
    found = {p.location: p.message for p in caught.value.problems}
    assert location in found, found
    assert message in found[location]


def test_a_heartbeat_write_never_lands_on_a_head_that_moved_on():
    # The write is conditional on the version and the attempt's nonce: a heartbeat that
    # read the head just before the task's result committed changes nothing.
    with LocalRuntime() as rt:
        execution_id, token = _started(rt, _task(HeartbeatSeconds=60))
        read_before = rt.store.get_head(execution_id)
        rt.http("POST", f"/tasks/{token}/success", {})
        rt.run_until_complete(execution_id)
        after = rt.store.get_head(execution_id)
        assert rt.store.record_heartbeat(read_before, read_before.start_date) is False
        assert rt.store.get_head(execution_id) == after
