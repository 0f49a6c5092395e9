"""SQS-to-Lambda delivery, as an event source mapping does it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from steplane.worker.runner import acknowledge, sqs_event


@dataclass(frozen=True)
class Subscription:
    """A queue and the handler its messages are delivered to, in batches of ``batch_size``."""

    queue_url: str
    queue_arn: str
    handler: Callable[[dict[str, Any], Any], dict[str, Any]]
    batch_size: int = 10


def queue_name(queue_url: str) -> str:
    """The queue name at the end of a queue URL."""
    return queue_url.rstrip("/").rsplit("/", 1)[-1]


def deliver_round(
    sqs: Any,
    subscriptions: list[Subscription],
    twice: bool = False,
    receivable: Callable[[set[str]], set[str]] | None = None,
) -> bool:
    """Receive one batch per subscription and deliver it. Returns whether anything was delivered.

    Like Lambda: records listed in ``batchItemFailures`` are not deleted (they come back
    after the visibility timeout); an invocation that raises deletes nothing.
    With ``twice`` every batch is delivered two times, as an at-least-once queue may.
    ``receivable`` (queue names -> those with a message ready) lets it skip empty queues.
    """
    delivered = False
    names = {queue_name(s.queue_url) for s in subscriptions}
    ready = receivable(names) if receivable is not None else names
    for subscription in subscriptions:
        if queue_name(subscription.queue_url) not in ready:
            continue  # ``receivable`` says it is empty: skip the (billed, slow) empty receive
        received = sqs.receive_message(
            QueueUrl=subscription.queue_url,
            MaxNumberOfMessages=subscription.batch_size,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
        ).get("Messages", [])
        if not received:
            continue
        delivered = True
        event = sqs_event(received, subscription.queue_arn)
        try:
            response = subscription.handler(event, None)
            if twice:
                subscription.handler(event, None)
        except Exception:
            continue
        acknowledge(sqs, subscription.queue_url, received, response or {})
    return delivered
