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


def process_batch(
    event: dict[str, Any], context: Any, handle_record: Callable[[SQSRecord], str]
) -> dict[str, Any]:
    """Run ``handle_record`` on each record; poison records are acknowledged, others retried."""

    def guarded(record: SQSRecord) -> str:
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

    processor = BatchProcessor(event_type=EventType.SQS)
    return dict(
        process_partial_response(
            event=event, record_handler=guarded, processor=processor, context=context
        )
    )


def batch_or_request(
    event: dict[str, Any],
    context: Any,
    handle_record: Callable[[SQSRecord], str],
    resolver: Callable[[], APIGatewayRestResolver],
    flush: Callable[[], None],
) -> dict[str, Any]:
    """Serve a function fed by both a queue and the API, then ``flush`` what it buffered.

    The flush runs even when the request fails, so no buffered message is left behind for
    an unrelated later invocation of the same container.
    """
    try:
        if "Records" in event:
            return process_batch(event, context, handle_record)
        return resolver().resolve(event, context)
    finally:
        flush()
