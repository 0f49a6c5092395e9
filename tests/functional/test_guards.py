"""Tests that guard the guards: each fails when the one line it names is broken.

Every guard here once survived a planted one-line bug (a mutation) unnoticed; the test
beside it names the line it protects, so breaking that line turns it red.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import steplane
from steplane.adapters.sqs_bus import SqsMessageBus
from steplane.errors import ConcurrentDecisionError
from steplane.handlers.observability import is_poison
from steplane.interpreter.tokens import TokenClaim, encode_task_token
from steplane.limits import MAX_PAYLOAD_BYTES
from steplane.local import LocalRuntime
from steplane.local.http import path_segment
from steplane.messages import TaskResultMessage
from steplane.settings import Settings

CALLBACK = {
    "StartAt": "Approve",
    "States": {"Approve": {"Type": "Task", "Service": "Humans", "Action": "approve", "End": True}},
}
ECHO = "arn:aws:lambda:us-east-1:123456789012:function:Echo"


def _open_task(rt: LocalRuntime) -> tuple[str, str]:
    """Start CALLBACK; take its task message off the queue. Returns (execution id, token)."""
    execution_id = rt.start(CALLBACK, {"doc": 1})
    url = rt.resources.ref("DefaultTaskQueue")
    message = rt.sqs.receive_message(QueueUrl=url)["Messages"][0]
    rt.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return execution_id, json.loads(message["Body"])["taskToken"]


def _with_nonce(token: str, nonce: str) -> str:
    claim = json.loads(_b64(token))
    return encode_task_token(TokenClaim(claim[0], claim[1], nonce))


def _b64(token: str) -> bytes:
    import base64  # noqa: PLC0415

    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def test_a_callback_with_the_right_version_but_another_nonce_is_refused():
    # Guards Engine.accept_callback's (version, nonce) check: the nonce half of it.
    with LocalRuntime() as rt:
        execution_id, token = _open_task(rt)
        forged = _with_nonce(token, "0" * 20)
        status, body = rt.http("POST", f"/tasks/{forged}/success", {"forged": True})
        head = rt.store.get_head(execution_id)
    assert (status, body["error"]) == (409, "TaskTimedOut")
    assert head.status == "RUNNING"


def test_a_queued_result_with_the_right_version_but_another_nonce_is_ignored():
    # Guards the interpreter's (version, nonce) match for a TaskResult: the nonce half.
    with LocalRuntime() as rt:
        execution_id, token = _open_task(rt)
        forged = {"taskToken": _with_nonce(token, "0" * 20), "status": "SUCCEEDED", "output": 1}
        rt.sqs.send_message(
            QueueUrl=rt.resources.ref("TaskResultQueue"), MessageBody=json.dumps(forged)
        )
        rt.run_all()
        head = rt.store.get_head(execution_id)
    assert (head.status, head.version) == ("RUNNING", 1)


def test_a_failure_that_names_no_error_is_states_task_failed():
    # Guards Engine.task_result: "a failure that names no error is States.TaskFailed".
    with LocalRuntime() as rt:
        execution_id, token = _open_task(rt)
        status, _ = rt.http("POST", f"/tasks/{token}/failure", {})
        result = rt.run_until_complete(execution_id)
    assert status == 202
    assert (result.status, result.error) == ("FAILED", "States.TaskFailed")


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("x" * (MAX_PAYLOAD_BYTES - 2), True),  # a JSON string: the text plus two quotes
        ("x" * (MAX_PAYLOAD_BYTES - 1), False),
        # 131,072 characters, 262,146 bytes of UTF-8: over the limit in bytes only.
        ("\u00e9" * (MAX_PAYLOAD_BYTES // 2), False),
    ],
    ids=["exactly at the limit", "one byte over", "over only in UTF-8 bytes"],
)
def test_the_start_input_limit_is_256_kib_of_utf8(value, accepted):
    # Guards Engine.start's size check: the limit itself, and bytes rather than characters.
    with LocalRuntime() as rt:
        workflow = rt.publish(CALLBACK)
        status, body = rt.http("POST", "/executions", {"workflow": workflow, "input": value})
    assert status == (201 if accepted else 413), body


def test_a_retry_delay_past_sqs_limit_dispatches_exactly_on_time():
    # Guards pending_commands' "delay > MAX_QUEUE_DELAY_SECONDS" re-arm threshold: a retry
    # 1,000 s away must travel as a wake-up (SQS caps a delay at 900 s), not as a task
    # message that would run the attempt 100 s early.
    definition = _flaky_task(interval=1000)
    with LocalRuntime() as rt:
        rt.register(ECHO, _fails_once)
        start = rt.clock.now()
        result = rt.run_until_complete(rt.start(definition, {}))
    started = [e for e in result.history if e["type"] == "TaskStarted"]
    offsets = [_offset(e, start) for e in started]
    assert result.status == "SUCCEEDED"
    assert offsets == [0, 1000]


def test_a_long_retry_beside_a_timeout_sends_each_wake_up_once(monkeypatch):
    # Guards the engine's "an early wake-up re-arms only its own chain": re-sending every
    # pending command at each hop would also re-send the timeout wake-up every time.
    sent: list[dict[str, Any]] = []
    original = SqsMessageBus.send

    def record(bus: SqsMessageBus, messages: Any) -> None:
        sent.extend(json.loads(m.body) for m in messages if "Advance" in m.queue_url)
        original(bus, messages)

    monkeypatch.setattr(SqsMessageBus, "send", record)
    with LocalRuntime() as rt:
        rt.register(ECHO, _fails_once)
        result = rt.run_until_complete(rt.start(_flaky_task(interval=9000, timeout=60), {}))
    purposes = [m["purpose"] for m in sent]
    assert result.status == "SUCCEEDED"
    # The 9,000 s retry travels as 900 s hops: sent with the failure at 0 s, re-armed at
    # 900, 1800, ... 7200 s (9 in all); at 8100 s the attempt goes out with a 900 s delay,
    # with its timeout wake-up (due at 9060 s: it arrives at 9000 s and re-arms once).
    # Attempt 1's timeout wake-up makes the third. Nothing is sent twice.
    assert purposes.count("retry") == 9
    assert purposes.count("timeout") == 3
    assert len(sent) == 12


def test_a_stale_wake_up_neither_moves_an_execution_nor_resends_its_task():
    # Guards the interpreter's "wake.version != execution.version" check: a retry wake-up
    # left over from an earlier version must not re-send the task pending now.
    with LocalRuntime() as rt:
        execution_id, _ = _open_task(rt)
        head = rt.store.get_head(execution_id)
        stale = {
            "kind": "wake",
            "executionId": execution_id,
            "version": head.version - 1,
            "purpose": "retry",
            "dueAt": rt.clock.now().isoformat(),
        }
        rt.sqs.send_message(
            QueueUrl=rt.resources.ref("AdvanceQueue"), MessageBody=json.dumps(stale)
        )
        rt.step()
        after = rt.store.get_head(execution_id)
        resent = rt.sqs.receive_message(QueueUrl=rt.resources.ref("DefaultTaskQueue"))
    assert (after.version, after.state, after.status) == (head.version, "Approve", "RUNNING")
    assert "Messages" not in resent


def test_history_pages_of_every_size_join_into_the_whole_history(onboarding_path):
    # Guards the page token at a transition boundary: a page that ends exactly where a
    # transition's events end must still say where the next page starts.
    from steplane.examples.onboarding import register_all  # noqa: PLC0415

    with LocalRuntime() as rt:
        register_all(rt.worker)
        execution_id = rt.start(onboarding_path, {"email": "a@example.com"})
        whole = rt.run_until_complete(execution_id).history
        for size in range(1, len(whole) + 1):
            events, token = [], None
            while True:
                query = f"?maxResults={size}" + (f"&nextToken={token}" if token else "")
                path = f"/executions/{path_segment(execution_id)}/history{query}"
                status, page = rt.http("GET", path)
                assert status == 200
                assert len(page["events"]) == size or "nextToken" not in page
                events.extend(page["events"])
                token = page.get("nextToken")
                if token is None:
                    break
            assert events == whole, size


def test_a_concurrent_decision_is_retried_never_dropped_as_poison():
    # Guards ConcurrentDecisionError.retryable: dropping it would stall the execution.
    assert not is_poison(ConcurrentDecisionError("W:x", 3))


def _flaky_task(interval: int, timeout: int | None = None) -> dict[str, Any]:
    task: dict[str, Any] = {
        "Type": "Task",
        "Resource": ECHO,
        "Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": interval}],
        "End": True,
    }
    if timeout:
        task["TimeoutSeconds"] = timeout
    return {"StartAt": "Flaky", "States": {"Flaky": task}}


def _fails_once(task_input: Any, context: Any) -> Any:
    if context.attempt == 1:
        raise steplane.TaskFailed("Transient", "try again")
    return {"ok": True}


def _offset(event: dict[str, Any], start: Any) -> float:
    from datetime import datetime  # noqa: PLC0415

    return (datetime.fromisoformat(event["timestamp"]) - start).total_seconds()


def test_a_callback_after_the_attempts_timeout_is_refused_as_timed_out():
    # Step Functions answers SendTaskSuccess for a timed-out task with TaskTimedOut, even
    # before the timeout has been processed.
    definition = {
        "StartAt": "Approve",
        "States": {
            "Approve": {
                "Type": "Task",
                "Service": "Humans",
                "Action": "approve",
                "TimeoutSeconds": 60,
                "End": True,
            }
        },
    }
    with LocalRuntime() as rt:
        execution_id = rt.start(definition, {"doc": 1})
        url = rt.resources.ref("DefaultTaskQueue")
        token = json.loads(rt.sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])["taskToken"]
        rt.clock.advance(60)
        status, body = rt.http("POST", f"/tasks/{token}/success", {"late": True})
        result = rt.run_until_complete(execution_id)
    assert (status, body["error"]) == (409, "TaskTimedOut")
    assert (result.status, result.error) == ("FAILED", "States.Timeout")


@pytest.mark.parametrize(
    ("extra", "accepted"), [(0, True), (1, False)], ids=["exactly at the limit", "one byte over"]
)
def test_a_callback_result_may_be_exactly_256_kib_as_queued(extra, accepted):
    # Guards Engine.accept_callback's size check (">", not ">="): the queued result message
    # is what is held to the limit, and a message of exactly the limit is accepted.
    with LocalRuntime() as rt:
        execution_id, token = _open_task(rt)
        empty = TaskResultMessage(task_token=token, status="SUCCEEDED", output="").to_json()
        output = "x" * (MAX_PAYLOAD_BYTES - len(empty) + extra)
        status, body = rt.http("POST", f"/tasks/{token}/success", output)
        head = rt.store.get_head(execution_id)
    assert status == (202 if accepted else 413), body
    assert head.status == "RUNNING"
    if not accepted:
        size = MAX_PAYLOAD_BYTES + 1
        assert body["message"] == f"the task result is {size} bytes; the limit is 262144 bytes"


def _queued(rt: LocalRuntime, url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"]
    attributes = rt.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def _visible(rt: LocalRuntime, url: str) -> int:
    attributes = rt.sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_a_copy_of_a_committed_input_resends_only_once_the_commit_is_past_the_grace():
    # Guards Engine._apply's duplicate branch and Engine._is_old: a fresh copy of an input
    # that already committed sends nothing (to save messages); a copy arriving
    # sweep_grace_seconds (300 s) after the commit, e.g. a redriven one, re-sends what the
    # head implies, since the process that committed may have died before sending it.
    waits = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Wait", "Seconds": 10, "Next": "B"},
            "B": {"Type": "Wait", "Seconds": 3600, "End": True},
        },
    }
    with LocalRuntime() as rt:
        execution_id = rt.start(waits, {})
        url = rt.resources.ref("AdvanceQueue")
        rt.clock.advance(10)
        wake = rt.sqs.receive_message(QueueUrl=url)["Messages"][0]
        rt.sqs.delete_message(QueueUrl=url, ReceiptHandle=wake["ReceiptHandle"])
        queued = []
        for seconds in (0, 0, 299, 1):  # the original, then copies at 0 s, 299 s, 300 s
            rt.clock.advance(seconds)
            rt.sqs.send_message(QueueUrl=url, MessageBody=wake["Body"])
            rt.step()
            queued.append((_queued(rt, url), _visible(rt, url)))
        head = rt.store.get_head(execution_id)
    assert (head.state, head.version) == ("B", 2)
    # Each copy was consumed (none left visible); B's wake-up was sent again only by the
    # copy at 300 s.
    assert queued == [(1, 0), (1, 0), (1, 0), (2, 0)]


def test_a_redelivered_copy_of_a_committed_input_resends_at_once():
    # Guards Engine._apply's "delivery.redelivered or ...": a copy SQS redelivers (its
    # receive count above one) may come from a process that died between the commit and
    # the send, so it re-sends at once, however fresh the commit.
    waits = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Wait", "Seconds": 10, "Next": "B"},
            "B": {"Type": "Wait", "Seconds": 3600, "End": True},
        },
    }
    with LocalRuntime() as rt:
        rt.start(waits, {})
        url = rt.resources.ref("AdvanceQueue")
        rt.clock.advance(10)
        wake = rt.sqs.receive_message(QueueUrl=url)["Messages"][0]
        rt.sqs.delete_message(QueueUrl=url, ReceiptHandle=wake["ReceiptHandle"])
        rt.sqs.send_message(QueueUrl=url, MessageBody=wake["Body"])
        rt.step()  # commits A -> B; B's wake-up is queued
        committed = _queued(rt, url)
        rt.sqs.send_message(QueueUrl=url, MessageBody=wake["Body"])
        copy = rt.sqs.receive_message(QueueUrl=url)["Messages"][0]  # its first receive
        rt.sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=copy["ReceiptHandle"], VisibilityTimeout=0
        )
        rt.step()  # the copy is due again: the clock moves on by a millisecond
        rt.step()  # its second receive, a redelivery, seconds after the commit
        resent = _queued(rt, url)
        visible = _visible(rt, url)
    assert (committed, resent, visible) == (1, 2, 0)


def test_a_decision_made_from_a_queued_input_honours_the_deployment_settings():
    # Guards Engine._apply passing its Settings to decide(): the transition limit applies
    # to a decision an advance message makes, not only to the first one at the start.
    loop = {
        "StartAt": "W",
        "States": {
            "W": {"Type": "Wait", "Seconds": 1, "Next": "A"},
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Pass", "Next": "A"},
        },
    }
    with LocalRuntime(settings=Settings(max_transitions=3)) as rt:
        execution_id = rt.start(loop, {})
        rt.step()  # the Wait's wake-up comes due
        rt.step()  # and is delivered: W -> A -> B, then the limit
        head = rt.store.get_head(execution_id)
    assert (head.status, head.error, head.transitions) == (
        "FAILED",
        "Steplane.TransitionLimitExceeded",
        3,
    )


def test_the_task_started_event_keeps_the_time_the_worker_reports():
    # Guards Engine.task_result passing the message's startedAt on to the interpreter.
    with LocalRuntime() as rt:
        execution_id, token = _open_task(rt)
        started = rt.clock.now()
        rt.clock.advance(30)
        result = TaskResultMessage(
            task_token=token, status="SUCCEEDED", output=1, started_at=started
        )
        rt.sqs.send_message(
            QueueUrl=rt.resources.ref("TaskResultQueue"), MessageBody=result.to_json()
        )
        rt.run_all()
        head = rt.store.get_head(execution_id)
        events = rt.store.history(head, None, 100).events
    assert [e.timestamp for e in events if e.type == "TaskStarted"] == [started]


def test_a_second_start_of_a_name_with_another_input_is_refused():
    # Guards Engine.start's input comparison (input_hash): StartExecution with an existing
    # name and a different input is ExecutionAlreadyExists; with the same input it is the
    # same execution.
    with LocalRuntime() as rt:
        workflow = rt.publish(CALLBACK)
        start = {"workflow": workflow, "name": "once", "input": {"doc": 1}}
        first = rt.http("POST", "/executions", start)
        again = rt.http("POST", "/executions", start)
        other = rt.http("POST", "/executions", {**start, "input": {"doc": 2}})
    assert (first[0], again[0], other[0]) == (201, 200, 409)
    assert other[1]["error"] == "ExecutionAlreadyExists"
