"""Batch isolation: one record that kills its invocation must not sink the others.

A first delivery takes the cheap path (one acknowledgement per batch). A batch SQS has
delivered before settles each record as soon as it is done, records nearest their
dead-letter queue first, and no record is started without time left to finish it.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from steplane.handlers.sqs_batch import RECORD_MARGIN_MS, process_batch


def _event(*receive_counts: int) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"r{i}",
                "body": json.dumps({"n": i}),
                "attributes": {"ApproximateReceiveCount": str(count)},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": "us-east-1",
            }
            for i, count in enumerate(receive_counts)
        ]
    }


class _Context:
    """A Lambda context whose remaining time reads ``remaining_ms`` in turn."""

    def __init__(self, *remaining_ms: int) -> None:
        self.remaining_ms = list(remaining_ms)

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms.pop(0)


def test_a_first_delivery_acknowledges_the_batch_as_a_whole():
    settled: list[str] = []
    process_batch(_event(1, 1, 1), None, lambda r: "ok", lambda r: settled.append(r.message_id))
    assert settled == []


def test_a_redelivered_batch_settles_each_record_most_received_first():
    handled: list[str] = []
    settled: list[str] = []

    def handle(record: Any) -> str:
        handled.append(record.message_id)
        return "ok"

    process_batch(_event(2, 5, 1, 3), None, handle, lambda r: settled.append(r.message_id))
    assert handled == ["m1", "m3", "m0", "m2"]
    assert settled == handled


def test_a_record_that_dies_leaves_the_settled_ones_acknowledged():
    settled: list[str] = []

    def handle(record: Any) -> str:
        if record.message_id == "m1":
            raise SystemExit("the invocation dies here")  # not an Exception: nothing catches it
        return "ok"

    with contextlib.suppress(SystemExit):
        process_batch(_event(3, 2, 1), None, handle, lambda r: settled.append(r.message_id))
    assert settled == ["m0"]  # done before the death: SQS will not bring it back


def test_no_record_is_started_without_time_left_to_finish_it():
    handled: list[str] = []

    def handle(record: Any) -> str:
        handled.append(record.message_id)
        return "ok"

    context = _Context(RECORD_MARGIN_MS, RECORD_MARGIN_MS - 1)
    response = process_batch(_event(1, 1), context, handle)
    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    assert (handled, failed) == (["m0"], {"m1"})  # returned untried, not killed mid-way
