"""The SQS adapters' exact requests, against an in-memory fake client that records them.

House style: pin the request where cost and safety live. An acknowledgement must delete
exactly the message it names from exactly its queue, and a refused send must surface.
"""

from __future__ import annotations

from typing import Any

import pytest

from steplane.adapters.sqs_bus import SendFailedError, SqsInbox, SqsMessageBus
from steplane.adapters.sqs_redrive import dead_letter_url
from steplane.messages import OutboundMessage

ARN = "arn:aws:sqs:eu-west-1:123456789012:steplane-AdvanceQueue"
URL = "https://sqs.eu-west-1.amazonaws.com/123456789012/steplane-AdvanceQueue"


class FakeSqs:
    """Answers get_queue_url and the sends; records every request as (operation, kwargs)."""

    def __init__(self, failed: list[dict[str, Any]] | None = None) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._failed = failed or []

    def get_queue_url(self, **kwargs: Any) -> dict[str, Any]:
        self.requests.append(("get_queue_url", kwargs))
        return {"QueueUrl": f"url-of-{kwargs['QueueName']}"}

    def get_queue_attributes(self, **kwargs: Any) -> dict[str, Any]:
        self.requests.append(("get_queue_attributes", kwargs))
        policy = f'{{"deadLetterTargetArn": "{ARN}-dlq", "maxReceiveCount": 20}}'
        return {"Attributes": {"RedrivePolicy": policy}}

    def delete_message(self, **kwargs: Any) -> None:
        self.requests.append(("delete_message", kwargs))

    def send_message_batch(self, **kwargs: Any) -> dict[str, Any]:
        self.requests.append(("send_message_batch", kwargs))
        return {"Successful": [], "Failed": self._failed}


def test_an_acknowledgement_deletes_its_message_from_the_queue_its_arn_names() -> None:
    sqs = FakeSqs()
    inbox = SqsInbox(sqs)
    inbox.delete(ARN, "receipt-1")
    inbox.delete(ARN, "receipt-2")
    assert sqs.requests == [
        # Looked up once per queue (the account and name are the ARN's 5th and 6th fields).
        (
            "get_queue_url",
            {"QueueName": "steplane-AdvanceQueue", "QueueOwnerAWSAccountId": "123456789012"},
        ),
        (
            "delete_message",
            {"QueueUrl": "url-of-steplane-AdvanceQueue", "ReceiptHandle": "receipt-1"},
        ),
        (
            "delete_message",
            {"QueueUrl": "url-of-steplane-AdvanceQueue", "ReceiptHandle": "receipt-2"},
        ),
    ]


def test_the_dead_letter_queue_is_looked_up_in_the_account_its_arn_names() -> None:
    sqs = FakeSqs()
    assert dead_letter_url(sqs, URL) == "url-of-steplane-AdvanceQueue-dlq"
    assert sqs.requests[-1] == (
        "get_queue_url",
        {"QueueName": "steplane-AdvanceQueue-dlq", "QueueOwnerAWSAccountId": "123456789012"},
    )


def test_a_batch_sqs_refuses_in_part_raises_with_every_refusal_named() -> None:
    # Partial failures are surfaced, never swallowed: the input is then not acknowledged,
    # and its redelivery sends again.
    failed = [
        {"Id": "0", "Code": "InternalError", "Message": "try again", "SenderFault": False},
        {"Id": "1", "Code": "InvalidMessageContents", "Message": "bad", "SenderFault": True},
    ]
    bus = SqsMessageBus(FakeSqs(failed))
    with pytest.raises(SendFailedError) as caught:
        bus.send([OutboundMessage(queue_url=URL, body=str(n)) for n in range(3)])
    assert str(caught.value) == (
        "2 message(s) not sent: InternalError: try again; InvalidMessageContents: bad"
    )
    assert caught.value.failures == failed
