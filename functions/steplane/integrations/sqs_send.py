"""SQS: ``arn:aws:states:::sqs:sendMessage`` (and ``.waitForTaskToken``).

The output is SendMessage's response (``MD5OfMessageBody``, ``MessageId``, ...) with the
HTTP metadata; a ``MessageBody`` that is not a string is sent as its JSON text. Errors:
``SQS.{Exception}`` (``SQS.QueueDoesNotExistException``; one SQS does not model:
``SQS.AmazonSQSException``).

Repeat-safety: a FIFO queue (``.fifo``) gets a ``MessageDeduplicationId`` derived from the
task's idempotency key and attempt when none is given, so a repeated call within SQS's
five-minute window is dropped by SQS. A standard queue may receive a repeat, as it may
under Step Functions' own retries.
"""

from __future__ import annotations

import hashlib

from steplane.integrations.calls import Call, Outcome, Ports
from steplane.integrations.responses import as_text
from steplane.integrations.service_errors import invalid_request, optimised_call


def perform(call: Call, ports: Ports) -> Outcome:
    """Send the message."""
    parameters = call.object_parameters()
    if not isinstance(parameters.get("QueueUrl"), str) or "MessageBody" not in parameters:
        return invalid_request("sqs", "The request must contain QueueUrl and MessageBody")
    request = {**parameters, "MessageBody": as_text(parameters["MessageBody"])}
    if str(request["QueueUrl"]).endswith(".fifo"):
        request.setdefault("MessageDeduplicationId", deduplication_id(call))
    client = ports.client("sqs")
    return optimised_call(call, "sqs", client, lambda: client.send_message(**request))


def deduplication_id(call: Call) -> str:
    """Stable for every repeat of one attempt; a new attempt (a Retry) sends anew."""
    key = f"{call.message.idempotency_key}#{call.message.attempt}"
    return hashlib.sha256(key.encode()).hexdigest()
