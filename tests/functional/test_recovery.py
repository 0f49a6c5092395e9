"""Nothing stuck: lost and dead-lettered messages are healed by the sweeper or by a redrive.

GIVEN a send outage that outlasts an input's retries (it is dead-lettered after its
transition committed), or a starter that dies between its commit and its first send,
WHEN the outage ends, THEN the execution finishes with no human action (the sweeper), or
at once after a redrive (the redriven copy finds its own commit by its content).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from steplane.adapters.sqs_bus import SqsMessageBus
from steplane.examples.onboarding import register_all
from steplane.local import LocalRuntime, StalledError
from steplane.settings import Settings
from steplane.worker.client import WorkerClient

INPUT = {"email": "a@example.com"}


class Outage:
    """Every engine send to queues whose URL contains ``fragment`` fails while ``on``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fragment: str) -> None:
        self.on = True
        self.failed = 0
        original = SqsMessageBus._send_batch

        def flaky(bus: SqsMessageBus, queue_url: str, batch: list[Any]) -> None:
            if self.on and fragment in queue_url:
                self.failed += 1
                error = {"Error": {"Code": "ServiceUnavailable", "Message": "send outage"}}
                raise ClientError(error, "SendMessageBatch")  # type: ignore[arg-type]
            original(bus, queue_url, batch)

        monkeypatch.setattr(SqsMessageBus, "_send_batch", flaky)


def _depth(rt: LocalRuntime, logical_id: str) -> int:
    attributes = rt.sqs.get_queue_attributes(
        QueueUrl=rt.resources.ref(logical_id), AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def _dead_letter_a_committed_result(rt: LocalRuntime, onboarding_path: Any, outage: Outage) -> str:
    """CreateUser's result commits, then sending ProvisionResources' task fails until the
    result is dead-lettered: the execution is left RUNNING with nothing in flight."""
    execution_id = rt.start(onboarding_path, INPUT, name="stuck")
    rt.run_all()
    head = rt.store.get_head(execution_id)
    assert (head.status, head.state) == ("RUNNING", "ProvisionResources")
    assert _depth(rt, "TaskResultDeadLetterQueue") == 1
    assert outage.failed >= 20  # every receive of the result tried, and failed, to send
    outage.on = False
    return execution_id


def test_a_dead_lettered_input_is_healed_by_the_sweeper_without_a_redrive(
    onboarding_path, monkeypatch
):
    outage = Outage(monkeypatch, "ProvisioningServiceTaskQueue")
    with LocalRuntime() as rt:
        register_all(rt.worker)
        execution_id = _dead_letter_a_committed_result(rt, onboarding_path, outage)
        result = rt.run_until_complete(execution_id)
        left_in_dlq = _depth(rt, "TaskResultDeadLetterQueue")
    assert result.status == "SUCCEEDED"
    assert left_in_dlq == 1  # nobody redrove it: the sweeper re-sent the task
    states = [e["state"] for e in result.history if e["type"] == "TaskStateEntered"]
    assert states == ["CreateUser", "ProvisionResources", "SendWelcomeEmail", "NotifyInternalTeams"]


def test_a_redriven_input_finds_its_commit_and_resends_what_is_pending(
    onboarding_path, monkeypatch
):
    outage = Outage(monkeypatch, "ProvisioningServiceTaskQueue")
    # A lease far longer than the test: only the redrive can heal the execution.
    with LocalRuntime(settings=Settings(task_lease_seconds=10**7)) as rt:
        register_all(rt.worker)
        execution_id = _dead_letter_a_committed_result(rt, onboarding_path, outage)
        stuck_at = rt.clock.now()
        moved = rt.redrive("TaskResultQueue")
        result = rt.run_until_complete(execution_id)
        healed_after = (rt.clock.now() - stuck_at).total_seconds()
    assert moved == 1
    assert result.status == "SUCCEEDED"
    assert healed_after < 60  # at once, not at the sweeper's lease


def test_an_api_start_that_dies_before_its_first_send_is_finished_by_the_sweeper(
    onboarding_path, monkeypatch
):
    outage = Outage(monkeypatch, "AuthServiceTaskQueue")
    with LocalRuntime() as rt:
        register_all(rt.worker)
        workflow = rt.publish(onboarding_path)
        body = {"workflow": workflow, "input": INPUT, "name": "orphan"}
        with pytest.raises(ClientError):  # the Lambda dies after its commit: API Gateway 502
            rt.http("POST", "/executions", body)
        outage.on = False  # the client never retries
        result = rt.run_until_complete(f"{workflow}:orphan")
    assert result.status == "SUCCEEDED"


def test_a_task_whose_worker_keeps_dying_is_resent_after_its_lease_then_stalls_locally(
    onboarding_path, monkeypatch
):
    runs: list[int] = []
    original = WorkerClient.run_task

    def dies_on_create_user(client: WorkerClient, message: Any) -> Any:
        if message.action == "createUser":
            runs.append(message.attempt)
            raise RuntimeError("the worker process died")  # no result is ever reported
        return original(client, message)

    monkeypatch.setattr(WorkerClient, "run_task", dies_on_create_user)
    with LocalRuntime() as rt:
        register_all(rt.worker)
        execution_id = rt.start(onboarding_path, INPUT)
        with pytest.raises(StalledError, match="brought no progress"):
            rt.run_until_complete(execution_id)
        head = rt.store.get_head(execution_id)
    assert (head.status, head.state) == ("RUNNING", "CreateUser")
    # Five receives before the task queue dead-letters it, then each sweep re-sends it
    # (same attempt, same idempotency key) until the local runtime calls it stalled.
    assert len(runs) > 5
    assert set(runs) == {1}


def _executions_of(rt: LocalRuntime, workflow: str) -> list[str]:
    """Execution ids of ``workflow`` found through the sweep index (no Scan)."""
    return sorted(
        i
        for i in rt.store.sweep.due(rt.clock.now() + timedelta(days=400), 1000)
        if i.startswith(f"{workflow}:")
    )


def test_an_unnamed_queued_start_sent_twice_and_delivered_twice_starts_one_execution(
    onboarding_path,
):
    with LocalRuntime(deliver_twice=True) as rt:
        register_all(rt.worker)
        workflow = rt.publish(onboarding_path)
        body = json.dumps({"workflow": workflow, "input": INPUT})
        for _ in range(2):  # a client that retried its SendMessage
            rt.sqs.send_message(QueueUrl=rt.resources.ref("StartQueue"), MessageBody=body)
        rt.step()  # deliver the start messages (each batch twice)
        started = _executions_of(rt, workflow)
        rt.run_all()
        heads = [rt.store.get_head(i) for i in started]
    assert len(started) == 1
    assert started[0].startswith(f"{workflow}:q-")
    assert [h.status for h in heads] == ["SUCCEEDED"]


def test_an_unnamed_queued_start_that_dies_before_its_first_send_starts_one_execution(
    onboarding_path, monkeypatch
):
    outage = Outage(monkeypatch, "AuthServiceTaskQueue")
    with LocalRuntime() as rt:
        register_all(rt.worker)
        workflow = rt.publish(onboarding_path)
        body = json.dumps({"workflow": workflow, "input": INPUT})
        rt.sqs.send_message(QueueUrl=rt.resources.ref("StartQueue"), MessageBody=body)
        rt.step()  # created, then the send fails: the message comes back
        outage.on = False
        started = _executions_of(rt, workflow)
        rt.run_all()  # the redelivery finds the execution and sends its first task
        heads = [rt.store.get_head(i) for i in started]
    assert len(started) == 1
    assert [h.status for h in heads] == ["SUCCEEDED"]


def test_a_lost_dispatch_of_a_task_with_a_long_timeout_runs_before_that_timeout():
    # Sweeper rule (steplane.interpreter.sweep.sweep_due): a task is overdue a lease after
    # its dispatch even when its TimeoutSeconds is later; waiting for the timeout would
    # fail with States.Timeout an attempt whose task message was lost and never ran.
    resource = "arn:aws:lambda:us-east-1:123456789012:function:Ship"
    definition = {
        "StartAt": "Ship",
        "States": {
            "Ship": {"Type": "Task", "Resource": resource, "TimeoutSeconds": 3600, "End": True}
        },
    }
    ran: list[float] = []
    with LocalRuntime() as rt:
        rt.register(resource, lambda task_input, context: ran.append(1) or {"shipped": True})
        started = rt.clock.now()
        execution_id = rt.start(definition, {})
        url = rt.resources.ref("IntegrationQueue")  # a function ARN is invoked
        lost = rt.sqs.receive_message(QueueUrl=url)["Messages"]
        rt.sqs.delete_message(QueueUrl=url, ReceiptHandle=lost[0]["ReceiptHandle"])
        result = rt.run_until_complete(execution_id)
        finished = rt.clock.now()
    assert (result.status, result.output, ran) == ("SUCCEEDED", {"shipped": True}, [1])
    assert (finished - started).total_seconds() < 3600
