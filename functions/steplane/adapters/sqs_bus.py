"""MessageBus on SQS: batched sends, partial failures surfaced, never swallowed."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from steplane.messages import OutboundMessage

# Lambda's current trace header (active tracing sets it for each invocation).
TRACE_ENV_VAR = "_X_AMZN_TRACE_ID"
SQS_BATCH_LIMIT = 10
# SendMessageBatch refuses a batch whose bodies total more than this (BatchRequestTooLong).
SQS_BATCH_BYTES = 256 * 1024


class SendFailedError(Exception):
    """SQS refused some messages of a batch."""

    def __init__(self, failures: list[dict[str, Any]]) -> None:
        reasons = "; ".join(f"{f.get('Code')}: {f.get('Message')}" for f in failures)
        super().__init__(f"{len(failures)} message(s) not sent: {reasons}")
        self.failures = failures


class SqsMessageBus:
    """Sends through a boto3 SQS client, ten messages per request where it can."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def send(self, messages: Sequence[OutboundMessage]) -> None:
        """Send every message (grouped by queue, batches of ten), or raise SendFailedError."""
        by_queue: dict[str, list[OutboundMessage]] = defaultdict(list)
        for message in messages:
            by_queue[message.queue_url].append(message)
        for queue_url, queued in by_queue.items():
            for batch in batches(queued):
                self._send_batch(queue_url, batch)

    def flush(self) -> None:
        """Nothing is buffered: every send goes out at once."""

    def _send_batch(self, queue_url: str, batch: list[OutboundMessage]) -> None:
        traced = _trace_attributes()
        if len(batch) == 1:
            self._client.send_message(
                QueueUrl=queue_url,
                MessageBody=batch[0].body,
                DelaySeconds=batch[0].delay_seconds,
                **traced,
            )
            return
        entries = [
            {"Id": str(i), "MessageBody": m.body, "DelaySeconds": m.delay_seconds, **traced}
            for i, m in enumerate(batch)
        ]
        response = self._client.send_message_batch(QueueUrl=queue_url, Entries=entries)
        if response.get("Failed"):
            raise SendFailedError(response["Failed"])


def _trace_attributes() -> dict[str, Any]:
    """The invocation's X-Ray trace header as the message's ``AWSTraceHeader``, so the
    function the message triggers joins the same trace: one execution's functions, from
    its start request on, are one trace (without the X-Ray SDK, which costs ~100 ms of
    every cold start: Lambda's active tracing records each invocation's segment)."""
    header = os.environ.get(TRACE_ENV_VAR)
    if not header:
        return {}
    return {
        "MessageSystemAttributes": {"AWSTraceHeader": {"StringValue": header, "DataType": "String"}}
    }


def batches(messages: Sequence[OutboundMessage]) -> list[list[OutboundMessage]]:
    """Split into SQS batches: at most ten messages and 256 KiB of bodies each."""
    result: list[list[OutboundMessage]] = []
    current: list[OutboundMessage] = []
    size = 0
    for message in messages:
        body_size = len(message.body.encode())
        if current and (len(current) == SQS_BATCH_LIMIT or size + body_size > SQS_BATCH_BYTES):
            result.append(current)
            current, size = [], 0
        current.append(message)
        size += body_size
    if current:
        result.append(current)
    return result


class BufferedBus:
    """Collects messages during one Lambda invocation and sends them together at the end.

    Safe because an input is acknowledged only after the invocation returns: if the
    flush never happens, the inputs come back and re-derive the same messages.
    """

    def __init__(self, bus: Any) -> None:
        self._bus = bus
        self._pending: list[OutboundMessage] = []

    def send(self, messages: Sequence[OutboundMessage]) -> None:
        """Buffer ``messages`` until :meth:`flush`."""
        self._pending.extend(messages)

    def flush(self) -> None:
        """Send everything buffered."""
        pending, self._pending = self._pending, []
        if pending:
            self._bus.send(pending)


class SqsInbox:
    """Deletes received messages: how a handler acknowledges one record before its batch ends."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._urls: dict[str, str] = {}

    def delete(self, queue_arn: str, receipt_handle: str) -> None:
        """Delete the message ``receipt_handle`` names from the queue ``queue_arn`` names."""
        self._client.delete_message(QueueUrl=self._url(queue_arn), ReceiptHandle=receipt_handle)

    def _url(self, queue_arn: str) -> str:
        if queue_arn not in self._urls:
            account, name = queue_arn.split(":")[4:6]
            response = self._client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
            self._urls[queue_arn] = response["QueueUrl"]
        return self._urls[queue_arn]
