"""Hostile input at every door: a clear 4xx, or a dropped poison message; never a 5xx or a loop.

Doors: the API (start, callbacks, status), the StartQueue, the TaskResultQueue, the
AdvanceQueue and the worker SDK. Each hostile document is one a JSON parser elsewhere
would refuse or that breaks the engine later: a lone UTF-16 surrogate, NaN/Infinity,
nesting past the documented depth, ids and tokens past DynamoDB's key size.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from steplane.examples.onboarding import register_all
from steplane.json_input import MAX_JSON_DEPTH
from steplane.local import LocalRuntime
from steplane.local.http import path_segment

WORKFLOW = "UserOnboardingWorkflow"
DEEP_INPUT = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
VERY_DEEP = "[" * 5000 + "]" * 5000
# Each value below is JSON text placed where a document's input/output goes.
HOSTILE_VALUES = {
    "lone surrogate": '{"s": "\\ud800"}',
    "NaN": '{"n": NaN}',
    "Infinity": '{"n": Infinity}',
    "-Infinity": "-Infinity",
    "nested past the limit": DEEP_INPUT,
    "nested thousands deep": VERY_DEEP,
    "an integer of 5,000 digits": '{"n": ' + "7" * 5000 + "}",
    "a number out of float range": '{"n": 1e400}',
}
LONG_ID = f"{WORKFLOW}:{'x' * 3000}"
# A token short enough to pass the length check that decodes to 380 nested arrays.
DEEP_TOKEN = base64.urlsafe_b64encode(b"[" * 380 + b"]" * 380).decode().rstrip("=")
WORKFLOW_FILE = "statemachines/user_onboarding.json"
CALLBACK = {
    "StartAt": "Approve",
    "States": {"Approve": {"Type": "Task", "Service": "Humans", "Action": "approve", "End": True}},
}


def _start_body(value: str) -> bytes:
    return f'{{"workflow": "{WORKFLOW}", "input": {value}}}'.encode()


def _queue_depth(rt: LocalRuntime, logical_id: str) -> int:
    attributes = rt.sqs.get_queue_attributes(
        QueueUrl=rt.resources.ref(logical_id), AttributeNames=["All"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


@pytest.fixture
def rt(onboarding_path: Any) -> Any:
    with LocalRuntime() as runtime:
        register_all(runtime.worker)
        runtime.publish(onboarding_path, WORKFLOW)
        yield runtime


@pytest.mark.parametrize("kind", sorted(HOSTILE_VALUES))
def test_a_hostile_start_input_is_a_400_naming_the_problem(rt, kind):
    status, body = rt.http("POST", "/executions", _start_body(HOSTILE_VALUES[kind]))
    assert (status, body["error"]) == (400, "InvalidJson"), body
    assert "the request body is refused" in body["message"]


def test_a_start_input_at_the_depth_limit_is_accepted(rt):
    at_limit = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)  # the body adds a level
    status, _ = rt.http("POST", "/executions", _start_body(at_limit))
    assert status == 201


def test_a_request_body_nested_thousands_deep_is_a_400(rt):
    status, body = rt.http("POST", "/executions", VERY_DEEP.encode())
    assert (status, body["error"]) == (400, "InvalidJson")
    assert f"nested more than {MAX_JSON_DEPTH} levels" in body["message"]


@pytest.mark.parametrize("kind", sorted(HOSTILE_VALUES))
def test_a_hostile_callback_output_is_a_400_and_the_task_stays_open(rt, kind):
    token = _open_task_token(rt)
    status, body = rt.http("POST", f"/tasks/{token}/success", HOSTILE_VALUES[kind].encode())
    assert (status, body["error"]) == (400, "InvalidOutput"), body
    ok, _ = rt.http("POST", f"/tasks/{token}/success", {"fine": True})
    assert ok == 202


@pytest.mark.parametrize("kind", ["lone surrogate", "nested thousands deep"])
def test_a_hostile_failure_callback_body_is_a_400(rt, kind):
    token = _open_task_token(rt)
    body = f'{{"error": "E", "cause": {HOSTILE_VALUES[kind]}}}'.encode()
    status, answer = rt.http("POST", f"/tasks/{token}/failure", body)
    assert (status, answer["error"]) == (400, "InvalidJson"), answer


@pytest.mark.parametrize(
    "token",
    [
        "t" * 3000,
        base64.urlsafe_b64encode(json.dumps([LONG_ID, 1, "n"]).encode()).decode().rstrip("="),
        base64.urlsafe_b64encode(VERY_DEEP.encode()).decode().rstrip("="),
    ],
    ids=["long", "names a long id", "deep"],
)
def test_a_hostile_task_token_is_a_400(rt, token):
    status, body = rt.http("POST", f"/tasks/{token}/success", {"x": 1})
    assert (status, body["error"]) == (400, "InvalidToken"), body


@pytest.mark.parametrize("path", ["/executions/{id}", "/executions/{id}/history"])
def test_an_execution_id_past_dynamodbs_key_limit_is_a_400(rt, path):
    status, body = rt.http("GET", path.format(id=path_segment(LONG_ID)))
    assert (status, body["error"]) == (400, "InvalidExecutionId"), body


def test_an_execution_id_without_a_workflow_part_is_a_400(rt):
    status, body = rt.http("GET", "/executions/no-colon-here")
    assert (status, body["error"]) == (400, "InvalidExecutionId")


QUEUED = {
    "StartQueue": [_start_body(v).decode() for v in HOSTILE_VALUES.values()]
    + [VERY_DEEP, json.dumps({"workflow": WORKFLOW, "name": "a:b"})],
    "TaskResultQueue": [
        '{"taskToken": "TOKEN", "status": "SUCCEEDED", "output": ' + v + "}"
        for v in HOSTILE_VALUES.values()
    ]
    + [
        json.dumps({"taskToken": "t" * 3000, "status": "SUCCEEDED"}),
        json.dumps({"taskToken": DEEP_TOKEN, "status": "SUCCEEDED"}),
        VERY_DEEP,
    ],
    "AdvanceQueue": [
        json.dumps(
            {
                "executionId": LONG_ID,
                "version": 1,
                "purpose": "wait",
                "dueAt": "2026-01-01T00:00:00Z",
            }
        ),
        VERY_DEEP,
    ],
}


@pytest.mark.parametrize("queue", sorted(QUEUED))
def test_hostile_queue_messages_are_dropped_on_first_receipt_beside_healthy_work(rt, queue):
    token = _open_task_token(rt)
    healthy = rt.start(WORKFLOW_FILE, {"email": "b@example.com"}, name="healthy")
    for body in QUEUED[queue]:
        rt.sqs.send_message(
            QueueUrl=rt.resources.ref(queue), MessageBody=body.replace("TOKEN", token)
        )
    result = rt.run_until_complete(healthy)
    rt.run_all()
    assert result.status == "SUCCEEDED"
    dead_letter = queue.replace("Queue", "DeadLetterQueue")
    assert (_queue_depth(rt, queue), _queue_depth(rt, dead_letter)) == (0, 0)


@pytest.mark.parametrize(
    "returned",
    [float("nan"), {"s": "\ud800"}, json.loads(DEEP_INPUT)],
    ids=["NaN", "lone surrogate", "too deep"],
)
def test_a_worker_result_the_engine_would_refuse_fails_its_task_clearly(rt, returned):
    rt.register("AuthService", "createUser", lambda _input, _context: returned)
    execution_id = rt.start(WORKFLOW_FILE, {"email": "a@example.com"})
    result = rt.run_until_complete(execution_id)
    failed = [e for e in result.history if e["type"] == "TaskFailed"]
    assert failed[0]["error"] == "Steplane.ResultNotSerializable"
    assert "not JSON-serialisable" in failed[0]["cause"]


def test_a_reencoded_copy_of_a_genuine_token_is_refused(rt):
    token = _open_task_token(rt)
    claim = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))

    def encoded(value: Any, **dumps: Any) -> str:
        return base64.urlsafe_b64encode(json.dumps(value, **dumps).encode()).decode().rstrip("=")

    aliases = {
        "boolean version": encoded([claim[0], True, claim[2]], separators=(",", ":")),
        "float version": encoded([claim[0], float(claim[1]), claim[2]], separators=(",", ":")),
        "spaced JSON": encoded(claim),
        "padded": token + "=" * (-len(token) % 4 or 4),
    }
    assert encoded(claim, separators=(",", ":")) == token
    for kind, alias in aliases.items():
        assert alias != token, kind
        status, body = rt.http("POST", f"/tasks/{alias}/success", {"x": 1})
        assert (status, body["error"]) == (400, "InvalidToken"), kind
    assert rt.http("POST", f"/tasks/{token}/success", {"x": 1})[0] == 202


def _open_task_token(rt: LocalRuntime) -> str:
    """Start an execution whose task waits for a callback; return that task's token."""
    rt.start(CALLBACK, {"doc": 1})
    received = rt.sqs.receive_message(QueueUrl=rt.resources.ref("DefaultTaskQueue"))["Messages"]
    rt.sqs.delete_message(
        QueueUrl=rt.resources.ref("DefaultTaskQueue"), ReceiptHandle=received[0]["ReceiptHandle"]
    )
    return str(json.loads(received[0]["Body"])["taskToken"])


@pytest.mark.parametrize(
    "body",
    [{"workflow": "Col:x", "input": {}}, {"workflow": WORKFLOW, "name": "y:z", "input": {}}],
    ids=["workflow", "name"],
)
def test_a_colon_in_a_workflow_or_execution_name_is_refused_so_ids_stay_unique(rt, body):
    # "Col:x" + "y" and "Col" + "x:y" would otherwise both be execution "Col:x:y".
    # StartExecution answers a name that breaks the naming rule with 400 InvalidName.
    status, answer = rt.http("POST", "/executions", body)
    assert (status, answer["error"]) == (400, "InvalidName")
    assert "':'" in answer["message"]


def test_publishing_under_a_name_with_a_colon_is_refused(rt, onboarding_path):
    with pytest.raises(ValueError, match="':'"):
        rt.publish(onboarding_path, "Col:x")
