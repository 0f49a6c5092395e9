"""Concurrent copies and competing inputs, on real threads: one transition per version.

moto serves one request at a time (the local runtime serialises it), so the threads
interleave between requests, which is exactly where the commit protocol has to hold.
"""

from __future__ import annotations

import json
import threading

import pytest

from steplane.errors import ConcurrentDecisionError
from steplane.local import LocalRuntime
from steplane.messages import TaskResultMessage
from steplane.service import Delivery, Outcome

RESOURCE = "arn:aws:lambda:us-east-1:123456789012:function:Approve"
DEFINITION = {
    "StartAt": "Approve",
    "States": {"Approve": {"Type": "Task", "Resource": RESOURCE, "End": True}},
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
        head = rt.store.get_head(execution_id)
        history = rt.run_until_complete(execution_id).history
    committed = [o for o in outcomes if o in (Outcome.COMMITTED,)]
    assert committed, outcomes
    assert all(
        o in (Outcome.COMMITTED, Outcome.DUPLICATE, Outcome.STALE, Outcome.IGNORED)
        or isinstance(o, ConcurrentDecisionError)
        for o in outcomes
    ), outcomes
    if not same_message:
        assert len(committed) == 1, outcomes  # distinct inputs: exactly one wins
    assert (head.status.value, head.data) == ("SUCCEEDED", {"approved": round_})
    types = [e["type"] for e in history]
    assert types.count("TaskSucceeded") == 1
    assert types.count("ExecutionSucceeded") == 1
    assert [e["id"] for e in history] == list(range(1, len(history) + 1))
