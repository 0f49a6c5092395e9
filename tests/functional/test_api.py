"""The HTTP API through API Gateway proxy events: status, history paging, callbacks, errors."""

from __future__ import annotations

import json

from steplane.examples.onboarding import register_all
from steplane.local import LocalRuntime
from steplane.local.http import path_segment

CALLBACK = {
    "StartAt": "Approve",
    "States": {"Approve": {"Type": "Task", "Service": "Humans", "Action": "approve", "End": True}},
}


def test_status_and_paged_history_of_a_finished_execution(onboarding_path):
    with LocalRuntime() as rt:
        register_all(rt.worker)
        execution_id = rt.start(onboarding_path, {"email": "a@example.com"})
        rt.run_until_complete(execution_id)
        status, described = rt.http("GET", f"/executions/{path_segment(execution_id)}")
        pages, token = [], None
        while True:
            query = "?maxResults=5" + (f"&nextToken={token}" if token else "")
            code, page = rt.http("GET", f"/executions/{path_segment(execution_id)}/history{query}")
            assert code == 200
            pages.append(page["events"])
            token = page.get("nextToken")
            if token is None:
                break
    assert status == 200
    assert described["status"] == "SUCCEEDED"
    assert described["input"] == {"email": "a@example.com"}
    assert described["output"]["teamsNotified"] is True
    assert described["stopDate"] is not None
    events = [e for page in pages for e in page]
    assert len(pages) > 2
    assert all(len(page) == 5 for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= 5
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["type"] == "ExecutionSucceeded"


def test_a_forged_history_token_is_a_400(onboarding_path):
    with LocalRuntime() as rt:
        register_all(rt.worker)
        execution_id = rt.start(onboarding_path, {"email": "a@example.com"})
        path = f"/executions/{path_segment(execution_id)}/history?nextToken=H%23000000000002"
        status, body = rt.http("GET", path)
    assert (status, body["error"]) == (400, "InvalidToken")
    assert "H#000000000002" in body["message"]


def test_unknown_execution_is_a_404_naming_it():
    with LocalRuntime() as rt:
        status, body = rt.http("GET", "/executions/nope:missing")
    assert status == 404
    assert "nope:missing" in body["message"]


def test_malformed_start_request_is_a_422_naming_the_field():
    with LocalRuntime() as rt:
        status, body = rt.http("POST", "/executions", {"input": {}})
    assert status == 422
    assert "workflow" in str(body)


def test_unknown_workflow_is_a_404():
    with LocalRuntime() as rt:
        status, body = rt.http("POST", "/executions", {"workflow": "Nope", "input": {}})
    assert (status, body["error"]) == (404, "StateMachineDoesNotExist")


def test_callback_success_by_task_token_completes_the_task_once():
    with LocalRuntime() as rt:
        execution_id = rt.start(CALLBACK, {"doc": 1})
        received = rt.sqs.receive_message(QueueUrl=rt.resources.ref("DefaultTaskQueue"))["Messages"]
        token = json.loads(received[0]["Body"])["taskToken"]
        first = rt.http("POST", f"/tasks/{token}/success", {"approved": True})
        again = rt.http("POST", f"/tasks/{token}/success", {"approved": True})
        late = rt.http("POST", f"/tasks/{token}/failure", {"error": "Rejected"})
        result = rt.run_until_complete(execution_id)
    assert first == (200, {"outcome": "committed"})
    assert again[0] == 200
    assert again[1]["outcome"] in ("resent", "duplicate")
    assert late == (200, {"outcome": "ignored"})
    assert (result.status, result.output) == ("SUCCEEDED", {"approved": True})


def test_a_garbage_task_token_is_a_400():
    with LocalRuntime() as rt:
        status, body = rt.http("POST", "/tasks/not-a-token/success", {})
    assert (status, body["error"]) == (400, "InvalidToken")
