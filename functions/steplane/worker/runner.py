"""Run a WorkerClient as an SQS-triggered Lambda handler, or as a long-polling process."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from steplane.handlers.observability import logger
from steplane.handlers.sqs_batch import QueueRecord, process_batch
from steplane.messages import TaskMessage, TaskResultMessage
from steplane.worker.client import WorkerClient

# A polling process (never a Lambda) pauses this long after an error before polling again.
ERROR_PAUSE_SECONDS = 1.0

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def make_lambda_handler(client: WorkerClient) -> LambdaHandler:
    """An SQS-triggered handler: runs each task, sends all results in one go, reports failures."""

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        results: dict[str, TaskResultMessage] = {}  # by SQS message id

        def on_record(record: QueueRecord) -> str:
            message = TaskMessage.model_validate_json(record.body)
            results[record.message_id] = client.run_task(message)
            return "ran"

        response = process_batch(event, context, on_record)
        # Sent after the batch: a crash before this line redelivers the tasks (at least once).
        unsent = _send_all(client, results)
        if unsent:
            failures = response.setdefault("batchItemFailures", [])
            failures.extend({"itemIdentifier": message_id} for message_id in unsent)
        return response

    return handler


def _send_all(client: WorkerClient, results: dict[str, TaskResultMessage]) -> list[str]:
    """Send results in batches; if that fails, one by one. Returns the ids left unsent.

    An unsent result's task is reported as a batch item failure, so only that task is
    redelivered (and run again under the same idempotency key), not the whole batch.
    """
    if not results:
        return []
    try:
        client.send_results(list(results.values()))
    except Exception:
        logger.exception("sending task results in batches failed; sending one by one")
    else:
        return []
    unsent = []
    for message_id, result in results.items():
        try:
            client.send_results([result])
        except Exception:
            logger.exception("a task result could not be sent", extra={"message_id": message_id})
            unsent.append(message_id)
    return unsent


def task_queue_urls(environ: Mapping[str, str] = os.environ) -> list[str]:
    """Queues to poll: ``STEPLANE_POLL_QUEUE_URLS`` (comma-separated), else every task queue."""
    explicit = environ.get("STEPLANE_POLL_QUEUE_URLS")
    if explicit:
        return [url.strip() for url in explicit.split(",") if url.strip()]
    urls = list(json.loads(environ.get("TASK_QUEUE_URLS") or "{}").values())
    if environ.get("DEFAULT_TASK_QUEUE_URL"):
        urls.append(environ["DEFAULT_TASK_QUEUE_URL"])
    return urls


def sqs_event(messages: list[dict[str, Any]], queue_arn: str = "") -> dict[str, Any]:
    """Shape received SQS messages as the Lambda event an SQS trigger would deliver."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {k: str(v) for k, v in m.get("Attributes", {}).items()},
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": queue_arn.split(":")[3] if queue_arn.count(":") > 3 else "",
            }
            for m in messages
        ]
    }


def poll_once(client: WorkerClient, sqs: Any, queue_url: str, wait_seconds: int = 20) -> int:
    """Receive one batch from ``queue_url``, run it, delete what succeeded. Returns the count."""
    received = sqs.receive_message(
        QueueUrl=queue_url,
        MaxNumberOfMessages=10,
        WaitTimeSeconds=wait_seconds,
        AttributeNames=["All"],
    ).get("Messages", [])
    if not received:
        return 0
    response = make_lambda_handler(client)(sqs_event(received), None)
    acknowledge(sqs, queue_url, received, response)
    return len(received)


def acknowledge(
    sqs: Any, queue_url: str, received: list[dict[str, Any]], response: dict[str, Any]
) -> None:
    """Delete what a handler processed, as an event source mapping does: every received
    message except those its response lists in ``batchItemFailures``."""
    failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
    done = [
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
        for i, m in enumerate(received)
        if m["MessageId"] not in failed
    ]
    if done:
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=done)


def start_polling(
    client: WorkerClient,
    queue_urls: list[str] | None = None,
    sqs: Any = None,
    wait_seconds: int | None = None,
    stop_after_idle_polls: int | None = None,
) -> None:
    """Poll task queues and run tasks until interrupted (or after N empty polls in a row).

    The environment can set what the arguments do not: ``STEPLANE_POLL_QUEUE_URLS``,
    ``STEPLANE_POLL_WAIT_SECONDS`` (long-poll wait, default 20) and
    ``STEPLANE_STOP_AFTER_IDLE_POLLS``.
    """
    if wait_seconds is None:
        wait_seconds = int(os.environ.get("STEPLANE_POLL_WAIT_SECONDS", "20"))
    urls = queue_urls or task_queue_urls()
    if not urls:
        raise RuntimeError(
            "no task queue to poll: set STEPLANE_POLL_QUEUE_URLS (comma-separated queue URLs), "
            "or TASK_QUEUE_URLS / DEFAULT_TASK_QUEUE_URL as the stack's functions have them"
        )
    if sqs is None:
        import boto3  # noqa: PLC0415 - a Lambda worker never polls, so never pays for this import

        sqs = boto3.client("sqs")
    limit_text = os.environ.get("STEPLANE_STOP_AFTER_IDLE_POLLS")
    limit = (
        stop_after_idle_polls
        if stop_after_idle_polls is not None
        else (int(limit_text) if limit_text else None)
    )
    idle = 0
    try:
        while limit is None or idle < limit:
            busy = 0
            for url in urls:
                try:
                    busy += poll_once(client, sqs, url, wait_seconds)
                except Exception:
                    # A long-running poller outlives transient errors; what failed comes
                    # back after its visibility timeout. Pause so an outage is not a hot loop.
                    logger.exception("polling failed; retrying", extra={"queue_url": url})
                    time.sleep(ERROR_PAUSE_SECONDS)
            idle = 0 if busy else idle + 1
    except KeyboardInterrupt:
        return
