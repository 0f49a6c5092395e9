"""One SQS batch: each record handled on its own, failures reported per record.

The function's event source mapping has ReportBatchItemFailures: the response lists the
records to redeliver (``batchItemFailures``); every other record is acknowledged. This is
Powertools' BatchProcessor contract, written out here because the engine reads five fields
of a record and needs its own order and acknowledgement (batch isolation below), and
Powertools' batch and data-class modules cost about 100 ms of every cold start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from steplane.handlers.observability import drop_poison, is_poison, logger, metrics
from steplane.service import Delivery, content_id

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver


@dataclass(frozen=True)
class QueueRecord:
    """The parts of an SQS event record the engine reads."""

    message_id: str
    body: str
    receipt_handle: str = ""
    event_source_arn: str = ""
    receive_count: int = 1

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> QueueRecord:
        """Read one record of a Lambda SQS event."""
        attributes = raw.get("attributes") or {}
        return cls(
            message_id=str(raw["messageId"]),
            body=str(raw.get("body") or ""),
            receipt_handle=str(raw.get("receiptHandle") or ""),
            event_source_arn=str(raw.get("eventSourceARN") or ""),
            receive_count=int(attributes.get("ApproximateReceiveCount") or 1),
        )


def delivery_of(record: QueueRecord) -> Delivery:
    """A record's decision id (from its content: the same for a redriven or re-sent copy)
    and whether SQS says it was received before."""
    return Delivery(decision_id=content_id(record.body), redelivered=record.receive_count > 1)


# A record is started only while the invocation has this much time left: a batch that
# would run past the function's timeout dies whole; one that stops early loses nothing.
RECORD_MARGIN_MS = 5_000


class OutOfTimeError(Exception):
    """Too little of the invocation's time is left to start another record."""


def process_batch(
    event: dict[str, Any],
    context: Any,
    handle_record: Callable[[QueueRecord], str],
    settle: Callable[[QueueRecord], None] | None = None,
) -> dict[str, Any]:
    """Run ``handle_record`` on each record; poison records are acknowledged, others retried.

    Batch isolation: a batch SQS has delivered before (some record's receive count is above
    one) may hold a record that kills the invocation. There, ``settle`` acknowledges each
    record as soon as it is done (sends what it produced, then deletes it), so a second
    death takes back only the records not yet done, not the nine healthy ones beside it,
    and the records with the most receives go first. A first delivery keeps the cheap
    path: one flush and one acknowledgement per batch.
    """
    records = [QueueRecord.of(raw) for raw in event.get("Records", [])]
    careful = settle is not None and _delivered_before(records)
    if careful:
        # Records nearest their dead-letter queue go first: a record behind one that kills
        # the invocation is never tried, yet its receive count still rises.
        records.sort(key=lambda record: record.receive_count, reverse=True)
    failures: list[dict[str, str]] = []
    for record in records:
        try:
            if _time_left_ms(context) < RECORD_MARGIN_MS:
                raise OutOfTimeError("too little time left in this invocation; record returned")
            _run(record, handle_record)
            if careful and settle is not None:
                settle(record)
        except Exception:  # reported below: SQS redelivers exactly this record
            failures.append({"itemIdentifier": record.message_id})
    return {"batchItemFailures": failures}


def _run(record: QueueRecord, handle_record: Callable[[QueueRecord], str]) -> str:
    try:
        outcome = handle_record(record)
    except Exception as error:
        if is_poison(error):
            drop_poison(record.body, error, message_id=record.message_id)
            return "poison"
        logger.exception(
            "input failed; it will be redelivered", extra={"message_id": record.message_id}
        )
        raise
    metrics.add_metric(name=f"Inputs_{outcome}", unit=MetricUnit.Count, value=1)
    return outcome


def _delivered_before(records: list[QueueRecord]) -> bool:
    return any(record.receive_count > 1 for record in records)


def _time_left_ms(context: Any) -> int:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return int(remaining()) if callable(remaining) else RECORD_MARGIN_MS


def batch_or_request(
    event: dict[str, Any],
    context: Any,
    handle_record: Callable[[QueueRecord], str],
    resolver: Callable[[], APIGatewayRestResolver],
    *,
    flush: Callable[[], None],
    settle: Callable[[QueueRecord], None] | None = None,
) -> dict[str, Any]:
    """Serve a function fed by both a queue and the API, then ``flush`` what it buffered.

    The flush runs even when the request fails, so no buffered message is left behind for
    an unrelated later invocation of the same container.
    """
    try:
        if "Records" in event:
            return process_batch(event, context, handle_record, settle)
        return resolver().resolve(event, context)
    finally:
        flush()
