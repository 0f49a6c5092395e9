"""``POST /executions/{id}/stop``: an operator stops an execution (StopExecution).

[API StopExecution] "Stops an execution"; its ``error`` and ``cause`` are optional. The
execution ends ABORTED; what it waited for is ignored when it comes, and what it started
(a fan-out's children, a nested ``.sync`` execution) is stopped too.
"""

from __future__ import annotations

import json
from typing import Any

from steplane.local import LocalRuntime
from steplane.local.http import path_segment

WORKER = "Approve"  # a worker route nobody runs: the task waits


def _stop(rt: LocalRuntime, execution_id: str, body: Any = None) -> tuple[int, Any]:
    return rt.http("POST", f"/executions/{path_segment(execution_id)}/stop", body)


def test_a_stop_during_a_task_aborts_and_its_late_result_is_ignored() -> None:
    definition = {
        "StartAt": "Ask",
        "States": {"Ask": {"Type": "Task", "Resource": WORKER, "End": True}},
    }
    with LocalRuntime() as rt:
        execution = rt.start(definition)
        queue = rt.resources.ref("DefaultTaskQueue")
        (task,) = rt.sqs.receive_message(QueueUrl=queue)["Messages"]
        status, body = _stop(rt, execution, {"error": "Operator", "cause": "wrong input"})
        token = json.loads(task["Body"])["taskToken"]
        late = rt.http("POST", f"/tasks/{token}/success", {"too": "late"})
        rt.run_all()
        head = rt.store.get_head(execution)
    assert status == 200
    assert body["status"] == "ABORTED"
    assert (head.status, head.error, head.cause) == ("ABORTED", "Operator", "wrong input")
    assert late[0] == 409


def test_a_stop_during_a_wait_ignores_its_wake_up() -> None:
    definition = {
        "StartAt": "Nap",
        "States": {
            "Nap": {"Type": "Wait", "Seconds": 600, "Next": "After"},
            "After": {"Type": "Pass", "End": True},
        },
    }
    with LocalRuntime() as rt:
        execution = rt.start(definition)
        assert _stop(rt, execution)[0] == 200
        rt.advance(700)
        head = rt.store.get_head(execution)
    assert head.status == "ABORTED"
    assert head.state is None


def test_a_stop_stops_the_children_of_a_parallel() -> None:
    branches = [
        {"StartAt": name, "States": {name: {"Type": "Wait", "Seconds": 600, "End": True}}}
        for name in ("Nap", "Nap again")
    ]
    definition = {
        "StartAt": "Both",
        "States": {"Both": {"Type": "Parallel", "Branches": branches, "End": True}},
    }
    with LocalRuntime() as rt:
        execution = rt.start(definition)
        rt.advance(5)
        assert _stop(rt, execution)[0] == 200
        rt.advance(5)
        children = [rt.store.get_head(f"{execution}/1/{i}") for i in (0, 1)]
    assert [c.status for c in children] == ["ABORTED", "ABORTED"]


def test_stopping_an_ended_or_unknown_execution() -> None:
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    with LocalRuntime() as rt:
        execution = rt.start(definition)
        rt.run_until_complete(execution)
        ended = _stop(rt, execution)
        unknown = _stop(rt, "workflow-x:nobody")
    assert ended[0] == 200
    assert ended[1]["status"] == "SUCCEEDED"  # left as it was
    assert unknown[0] == 404
