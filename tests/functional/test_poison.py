"""Inputs that can never succeed are acknowledged and logged, never retried into a loop."""

from __future__ import annotations

import json

import pytest

from steplane.examples.onboarding import register_all
from steplane.local import LocalRuntime

POISON = {
    "AdvanceQueue": [
        "not json",
        json.dumps(
            {
                "executionId": "Nope:missing",
                "version": 1,
                "purpose": "wait",
                "dueAt": "2026-01-01T00:00:00Z",
            }
        ),
        json.dumps({"executionId": "x", "version": "one", "purpose": "wait"}),
    ],
    "TaskResultQueue": [
        json.dumps({"taskToken": "garbage", "status": "SUCCEEDED", "output": {}}),
        json.dumps({"taskToken": "garbage", "status": "MAYBE"}),
        "{",
    ],
    "StartQueue": [
        json.dumps({"workflow": "NoSuchWorkflow", "input": {}}),
        json.dumps({"workflow": "UserOnboardingWorkflow", "name": "has space"}),
        json.dumps({"workflow": "UserOnboardingWorkflow", "name": "taken", "input": {"n": 2}}),
    ],
}


@pytest.mark.parametrize("queue", sorted(POISON))
def test_poison_inputs_are_dropped_beside_healthy_work(onboarding_path, queue, caplog):
    with LocalRuntime() as rt:
        register_all(rt.worker)
        rt.start(onboarding_path, {"email": "a@example.com"}, name="taken")
        healthy = rt.start(onboarding_path, {"email": "b@example.com"}, name="healthy")
        url = rt.resources.ref(queue)
        for body in POISON[queue]:
            rt.sqs.send_message(QueueUrl=url, MessageBody=body)
        result = rt.run_until_complete(healthy)
        rt.run_all()
        dead = rt.resources.ref(queue.replace("Queue", "DeadLetterQueue"))
        left = {
            name: int(
                rt.sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["All"])["Attributes"][
                    "ApproximateNumberOfMessages"
                ]
            )
            for name, u in ((queue, url), ("dlq", dead))
        }
    assert result.status == "SUCCEEDED"
    assert left == {queue: 0, "dlq": 0}  # acknowledged on first receipt, not redriven
