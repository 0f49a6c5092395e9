"""Dead-letter redrive: move a queue's dead-lettered messages back to it.

The engine's messages are hints that a redelivery cannot harm: a redriven copy finds
its own commit by its content (see ``steplane.service.content_id``) and re-sends what is
pending, or is ignored as stale. So a redrive is always safe to run, any number of times.

Works on any SQS endpoint (moto included): each message is sent to the source queue,
then deleted from the dead-letter queue; a crash between the two leaves a duplicate,
never a loss. The dead-letter queue is found from the source queue's RedrivePolicy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from steplane.errors import SteplaneError

BATCH = 10


@dataclass(frozen=True)
class RedriveResult:
    """What a redrive did: how many messages moved, and from which dead-letter queue.

    ``more`` says messages are still dead-lettered (its maximum reached, or SQS's short
    poll came back empty early): call again.
    """

    source_url: str
    dead_letter_url: str
    moved: int
    more: bool = False


class RedriveError(SteplaneError):
    """A redrive could not be done: no dead-letter queue, or SQS refused some messages."""

    http_status = 502
    api_error = "RedriveFailed"
    retryable = True


class NoDeadLetterQueueError(RedriveError):
    """The queue has no RedrivePolicy, so nothing to redrive from (retrying cannot help)."""

    http_status = 400
    api_error = "NoDeadLetterQueue"
    retryable = False


def dead_letter_url(sqs: Any, source_url: str) -> str:
    """The URL of ``source_url``'s dead-letter queue, from its RedrivePolicy."""
    attributes = sqs.get_queue_attributes(QueueUrl=source_url, AttributeNames=["RedrivePolicy"])
    policy = attributes.get("Attributes", {}).get("RedrivePolicy")
    if not policy:
        raise NoDeadLetterQueueError(
            f"queue {source_url} has no RedrivePolicy, so no dead-letter queue"
        )
    arn = json.loads(policy)["deadLetterTargetArn"]
    account, name = arn.split(":")[4], arn.split(":")[5]
    return str(sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])


def redrive(sqs: Any, source_url: str, max_messages: int = 10_000) -> RedriveResult:
    """Move up to ``max_messages`` from ``source_url``'s dead-letter queue back to it."""
    dlq = dead_letter_url(sqs, source_url)
    moved = 0
    while moved < max_messages:
        received = sqs.receive_message(
            QueueUrl=dlq,
            MaxNumberOfMessages=min(BATCH, max_messages - moved),
            WaitTimeSeconds=0,
            VisibilityTimeout=60,
        ).get("Messages", [])
        if not received:
            break
        _send_then_delete(sqs, source_url, dlq, received)
        moved += len(received)
    # A short poll samples some of SQS's servers and may come back empty while messages
    # remain: the queue's approximate count says whether another call has work.
    return RedriveResult(source_url, dlq, moved, _depth(sqs, dlq) > 0)


def _depth(sqs: Any, queue_url: str) -> int:
    """Messages waiting in ``queue_url`` (SQS's approximate count)."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def _send_then_delete(sqs: Any, source_url: str, dlq: str, received: list[dict[str, Any]]) -> None:
    entries = [{"Id": str(i), "MessageBody": m["Body"]} for i, m in enumerate(received)]
    response = sqs.send_message_batch(QueueUrl=source_url, Entries=entries)
    sent = {int(entry["Id"]) for entry in response.get("Successful", [])}
    # Only what reached the source queue leaves the dead-letter queue.
    done = [
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
        for i, m in enumerate(received)
        if i in sent
    ]
    if done:
        sqs.delete_message_batch(QueueUrl=dlq, Entries=done)
    if response.get("Failed"):
        failures = "; ".join(f"{f.get('Code')}: {f.get('Message')}" for f in response["Failed"])
        raise RedriveError(f"{len(response['Failed'])} message(s) could not be moved: {failures}")
