"""The HTTP API through API Gateway proxy events: status, history paging, callbacks, errors."""

from __future__ import annotations

import json

import steplane.handlers.status as status_handler
import steplane.handlers.task_complete as task_handler
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


def test_a_start_request_missing_a_field_is_a_422_and_malformed_json_a_400():
    with LocalRuntime() as rt:
        status, body = rt.http("POST", "/executions", {"input": {}})
        malformed = rt.http("POST", "/executions", b"{not json")
    assert status == 422
    assert body["problems"] == [{"location": "body/workflow", "message": "Field required"}]
    # Text that is not JSON is a bad request (400), as Step Functions' InvalidExecutionInput.
    assert (malformed[0], malformed[1]["error"]) == (400, "InvalidJson")
    assert "not JSON" in malformed[1]["message"]


def test_unknown_workflow_is_a_404():
    with LocalRuntime() as rt:
        status, body = rt.http("POST", "/executions", {"workflow": "Nope", "input": {}})
    assert (status, body["error"]) == (404, "StateMachineDoesNotExist")


def _callback_token(rt: LocalRuntime) -> str:
    received = rt.sqs.receive_message(QueueUrl=rt.resources.ref("DefaultTaskQueue"))["Messages"]
    return json.loads(received[0]["Body"])["taskToken"]


def test_callback_success_by_task_token_completes_the_task_once():
    with LocalRuntime() as rt:
        execution_id = rt.start(CALLBACK, {"doc": 1})
        token = _callback_token(rt)
        first = rt.http("POST", f"/tasks/{token}/success", {"approved": True})
        # A client retry before the first is processed is accepted, and applied once.
        again = rt.http("POST", f"/tasks/{token}/success", {"approved": True})
        result = rt.run_until_complete(execution_id)
        late = rt.http("POST", f"/tasks/{token}/failure", {"error": "Rejected"})
    assert first == again == (202, {"outcome": "accepted"})
    assert (late[0], late[1]["error"]) == (409, "TaskTimedOut")
    assert (result.status, result.output) == ("SUCCEEDED", {"approved": True})
    assert [e["type"] for e in result.history].count("TaskSucceeded") == 1


def test_callback_failure_is_routed_like_a_worker_failure():
    with LocalRuntime() as rt:
        execution_id = rt.start(CALLBACK, {"doc": 1})
        token = _callback_token(rt)
        status, _ = rt.http("POST", f"/tasks/{token}/failure", {"error": "Rejected", "cause": "no"})
        result = rt.run_until_complete(execution_id)
    assert status == 202
    assert (result.status, result.error, result.cause) == ("FAILED", "Rejected", "no")


def test_a_callback_body_that_is_not_json_is_a_400_naming_it():
    with LocalRuntime() as rt:
        rt.start(CALLBACK, {"doc": 1})
        token = _callback_token(rt)
        status, body = rt.http("POST", f"/tasks/{token}/success", b"{not json")
    assert (status, body["error"]) == (400, "InvalidOutput")
    assert "not JSON" in body["message"]


def test_an_oversized_callback_result_is_a_413_and_the_task_stays_open():
    with LocalRuntime() as rt:
        execution_id = rt.start(CALLBACK, {"doc": 1})
        token = _callback_token(rt)
        status, body = rt.http("POST", f"/tasks/{token}/success", {"blob": "x" * 300_000})
        accepted = rt.http("POST", f"/tasks/{token}/success", {"ok": True})
        result = rt.run_until_complete(execution_id)
    assert (status, body["error"]) == (413, "PayloadTooLarge")
    assert accepted[0] == 202
    assert result.output == {"ok": True}


def test_an_oversized_execution_input_is_a_413_and_creates_nothing():
    with LocalRuntime() as rt:
        rt.publish(CALLBACK, "Approval")
        request = {"workflow": "Approval", "name": "big", "input": {"blob": "x" * 300_000}}
        status, body = rt.http("POST", "/executions", request)
        missing = rt.http("GET", "/executions/Approval:big")
    assert (status, body["error"]) == (413, "PayloadTooLarge")
    assert "262144" in body["message"]
    assert missing[0] == 404


def test_a_garbage_task_token_is_a_400():
    with LocalRuntime() as rt:
        status, body = rt.http("POST", "/tasks/not-a-token/success", {})
    assert (status, body["error"]) == (400, "InvalidToken")


def test_each_api_resolver_is_built_once_per_container(monkeypatch):
    # Routes and request models are the same for every request: built on the first.
    built: list[str] = []
    for module in (status_handler, task_handler):
        original = module.resolver

        def counting(original=original, name=module.__name__):
            built.append(name)
            return original()

        monkeypatch.setattr(module, "resolver", counting)
    with LocalRuntime() as rt:
        for _ in range(3):
            assert rt.http("GET", "/executions/wf:nope")[0] == 404
            assert rt.http("POST", "/tasks/not-a-token/heartbeat")[0] == 400
    assert sorted(built) == ["steplane.handlers.status", "steplane.handlers.task_complete"]
