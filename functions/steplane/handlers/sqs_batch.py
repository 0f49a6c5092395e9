"""One SQS batch, processed with Powertools' BatchProcessor (partial batch failures)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from steplane.handlers.observability import drop_poison, is_poison, logger, metrics
from steplane.service import Delivery, content_id


def delivery_of(record: SQSRecord) -> Delivery:
    """A record's decision id (from its content: the same for a redriven or re-sent copy)
    and whether SQS says it was received before."""
    count = int(record.attributes.approximate_receive_count or "1")
    return Delivery(decision_id=content_id(record.body), redelivered=count > 1)


# A record is started only while the invocation has this much time left: a batch that
# would run past the function's timeout dies whole; one that stops early loses nothing.
RECORD_MARGIN_MS = 5_000


class OutOfTimeError(Exception):
    """Too little of the invocation's time is left to start another record."""


def process_batch(
    event: dict[str, Any],
    context: Any,
    handle_record: Callable[[SQSRecord], str],
    settle: Callable[[SQSRecord], None] | None = None,
) -> dict[str, Any]:
    """Run ``handle_record`` on each record; poison records are acknowledged, others retried.

    Batch isolation: a batch SQS has delivered before (some record's receive count is above
    one) may hold a record that kills the invocation. There, ``settle`` acknowledges each
    record as soon as it is done (sends what it produced, then deletes it), so a second
    death takes back only the records not yet done, not the nine healthy ones beside it,
    and the records with the most receives go first. A first delivery keeps the cheap
    path: one flush and one acknowledgement per batch.
    """
    careful = settle is not None and _delivered_before(event)
    if careful:
        # Records nearest their dead-letter queue go first: a record behind one that kills
        # the invocation is never tried, yet its receive count still rises.
        event = {**event, "Records": sorted(event["Records"], key=_receive_count, reverse=True)}

    def guarded(record: SQSRecord) -> str:
        if _time_left_ms(context) < RECORD_MARGIN_MS:
            raise OutOfTimeError("too little time left in this invocation; record returned")
        outcome = _run(record, handle_record)
        if careful and settle is not None:
            settle(record)
        return outcome

    processor = BatchProcessor(event_type=EventType.SQS)
    return dict(
        process_partial_response(
            event=event, record_handler=guarded, processor=processor, context=context
        )
    )


def _run(record: SQSRecord, handle_record: Callable[[SQSRecord], str]) -> str:
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


def _delivered_before(event: dict[str, Any]) -> bool:
    return any(_receive_count(record) > 1 for record in event.get("Records", []))


def _receive_count(record: dict[str, Any]) -> int:
    return int(record.get("attributes", {}).get("ApproximateReceiveCount", "1"))


def _time_left_ms(context: Any) -> int:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return int(remaining()) if callable(remaining) else RECORD_MARGIN_MS


def batch_or_request(
    event: dict[str, Any],
    context: Any,
    handle_record: Callable[[SQSRecord], str],
    resolver: Callable[[], APIGatewayRestResolver],
    *,
    flush: Callable[[], None],
    settle: Callable[[SQSRecord], None] | None = None,
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
