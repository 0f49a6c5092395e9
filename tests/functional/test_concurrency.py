"""Concurrent copies and competing inputs, on real threads: one transition per version.

moto serves one request at a time (the local runtime serialises it), so the threads
interleave between requests, which is exactly where the commit protocol has to hold.
"""

from __future__ import annotations

import json
import threading

import pytest

from steplane.errors import ConcurrentDecisionError
from steplane.interpreter.tokens import decode_task_token
from steplane.local import LocalRuntime
from steplane.messages import TaskResultMessage
from steplane.service import Delivery, Outcome
from tests.conftest import head_put_dies

# A worker route: its results come from outside (here, from the test).
RESOURCE = "Approve"
DEFINITION = {
    "StartAt": "Approve",
    "States": {
        "Approve": {"Type": "Task", "Resource": RESOURCE, "Next": "Ship"},
        "Ship": {"Type": "Task", "Resource": RESOURCE, "End": True},
    },
}


def _race(engine, message: TaskResultMessage, deliveries: list[Delivery]) -> list[object]:
    outcomes: list[object] = [None] * len(deliveries)
    barrier = threading.Barrier(len(deliveries))

    def deliver(index: int) -> None:
        barrier.wait()
        try:
            outcomes[index] = engine.task_result(message, deliveries[index])
        except ConcurrentDecisionError as error:  # SQS would redeliver it
            outcomes[index] = error

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(len(deliveries))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.parametrize("same_message", [True, False], ids=["copies", "competing"])
@pytest.mark.parametrize("round_", range(5))
def test_racing_results_apply_one_transition(same_message: bool, round_: int) -> None:
    with LocalRuntime() as rt:
        execution_id = rt.start(DEFINITION, {"round": round_})
        queue = rt.resources.ref("DefaultTaskQueue")
        body = json.loads(rt.sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"])
        message = TaskResultMessage(
            task_token=body["taskToken"], status="SUCCEEDED", output={"approved": round_}
        )
        ids = ["m-1"] * 4 if same_message else [f"m-{i}" for i in range(4)]
        engine = rt._deps["TaskCompleteFunction"].engine
        outcomes = _race(engine, message, [Delivery(i) for i in ids])
        rt._deps["TaskCompleteFunction"].bus.flush()
        head = rt.store.get_head(execution_id)
        sent = rt.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        tokens = {json.loads(m["Body"])["taskToken"] for m in sent}
        history = rt.store.history(head, None, 1000).events
    committed = [o for o in outcomes if o is Outcome.COMMITTED]
    # Copies or distinct inputs: exactly one commits; the others learn they lost.
    assert len(committed) == 1, outcomes
    assert all(
        o in (Outcome.COMMITTED, Outcome.DUPLICATE, Outcome.STALE, Outcome.IGNORED)
        or isinstance(o, ConcurrentDecisionError)
        for o in outcomes
    ), outcomes
    # Only the committed copy sent the next task, with the attempt the head holds (a
    # losing copy's token would name its own nonce and be refused).
    assert [decode_task_token(t).nonce for t in tokens] == [head.task_attempt.nonce]
    assert (head.state, head.data) == ("Ship", {"approved": round_})
    types = [e.type for e in history]
    assert types.count("TaskSucceeded") == 1
    assert types.count("TaskScheduled") == 2
    assert [e.id for e in history] == list(range(1, len(history) + 1))


@pytest.mark.parametrize("second_reads", ["before the first commits", "between the first's puts"])
def test_a_start_of_the_same_name_with_another_input_never_takes_over_the_first(
    monkeypatch: pytest.MonkeyPatch, second_reads: str
) -> None:
    # Two starts of one name with different inputs, the second reading the head before
    # the first committed it. The second must answer 409, and H#1 and the dispatched task
    # must stay the first's (once, both answered 201 and the second overwrote H#1).
    from steplane.errors import ExecutionAlreadyExistsError  # noqa: PLC0415
    from steplane.messages import StartRequest  # noqa: PLC0415

    with LocalRuntime() as rt:
        workflow = rt.publish(DEFINITION)
        engine = rt._deps["StartFunction"].engine
        store = rt.store
        if second_reads == "before the first commits":
            engine.start(StartRequest(workflow=workflow, name="n", input={"who": "first"}))
        else:  # the first died after its history put: H#1 is there, the head is not
            first = StartRequest(workflow=workflow, name="n", input={"who": "first"})
            with head_put_dies(monkeypatch, store._client), pytest.raises(ConnectionError):
                engine.start(first)
        real_get = store.get_head
        reads = iter([None])  # the second start's first read sees no execution yet
        monkeypatch.setattr(store, "get_head", lambda i: next(reads, None) or real_get(i))
        with pytest.raises(ExecutionAlreadyExistsError):
            engine.start(StartRequest(workflow=workflow, name="n", input={"who": "second"}))
        monkeypatch.setattr(store, "get_head", real_get)
        first_events = rt.store._client.get_item(
            TableName=rt.resources.ref("ExecutionsTable"),
            Key={"pk": {"S": f"X#{workflow}:n"}, "sk": {"S": "H#000000000001"}},
        )["Item"]
    assert b"second" not in json.dumps(first_events, default=str).encode()


def test_a_head_put_retried_after_it_was_applied_still_commits_and_sends(monkeypatch) -> None:
    # The head PutItem is applied but its response is lost (a timeout, a 500); botocore
    # retries the same request, whose condition v = N-1 now fails on our own head. That
    # is our commit, not another copy's: the transition's task must be sent.
    with LocalRuntime() as rt:
        execution_id = rt.start(DEFINITION, {})
        queue = rt.resources.ref("DefaultTaskQueue")
        body = json.loads(rt.sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"])
        message = TaskResultMessage(task_token=body["taskToken"], status="SUCCEEDED", output={})
        deps = rt._deps["TaskCompleteFunction"]
        client = deps.engine._store._client
        real_put = client.put_item

        def applied_then_retried(**request: object) -> object:
            if request["Item"]["sk"] == {"S": "HEAD"}:  # type: ignore[index]
                real_put(**request)  # applied; the response never arrives
            return real_put(**request)  # botocore's retry of the same request

        monkeypatch.setattr(client, "put_item", applied_then_retried)
        outcome = deps.engine.task_result(message, Delivery("m-1"))
        monkeypatch.setattr(client, "put_item", real_put)
        deps.bus.flush()
        head = rt.store.get_head(execution_id)
        sent = rt.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    assert (outcome, head.state) == (Outcome.COMMITTED, "Ship")
    assert [decode_task_token(json.loads(m["Body"])["taskToken"]).nonce for m in sent] == [
        head.task_attempt.nonce
    ]


def test_a_start_whose_own_retry_meets_a_transaction_conflict_is_retried_not_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The first start died between its puts; its retry (same name, same input) rewrites
    # H#1 and the head in one transaction, which DynamoDB cancels for a conflicting write
    # in flight. That is transient: a retryable error, never 409 ExecutionAlreadyExists
    # (which would drop a queued start as poison).
    from botocore.exceptions import ClientError  # noqa: PLC0415

    from steplane.messages import StartRequest  # noqa: PLC0415

    with LocalRuntime() as rt:
        workflow = rt.publish(DEFINITION)
        engine = rt._deps["StartFunction"].engine
        client = rt.store._client
        request = StartRequest(workflow=workflow, name="n", input={"who": "first"})
        with head_put_dies(monkeypatch, client), pytest.raises(ConnectionError):
            engine.start(request)
        real_transact = client.transact_write_items

        def conflict(**params: object) -> object:
            raise ClientError(
                {"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}},
                "TransactWriteItems",
            )

        monkeypatch.setattr(client, "transact_write_items", conflict)
        with pytest.raises(ConcurrentDecisionError) as caught:
            engine.start(request)
        monkeypatch.setattr(client, "transact_write_items", real_transact)
        head, created = engine.start(request)  # SQS's redelivery
    assert caught.value.retryable
    assert (created, head.name) == (True, "n")
