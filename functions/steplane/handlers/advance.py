"""advance: the AdvanceQueue consumer that moves executions on when their timers fire, and
fan-outs on as their children end."""

from __future__ import annotations

from typing import Any

from steplane.handlers.observability import logger, metrics, tracer
from steplane.handlers.sqs_batch import QueueRecord, delivery_of, process_batch
from steplane.handlers.wiring import Dependencies, entrypoint
from steplane.json_input import parse_json
from steplane.messages import AbortMessage, LanesMessage, StopMessage, advance_message


def handle(event: dict[str, Any], context: Any, deps: Dependencies) -> dict[str, Any]:
    """Apply each wake-up message; flush the messages the decisions produced, then return."""

    def on_record(record: QueueRecord) -> str:
        message = advance_message(parse_json(record.body, "the wake-up"))
        if isinstance(message, LanesMessage):
            logger.set_correlation_id(message.parent)
            return deps.engine.step_lanes(message).value
        if isinstance(message, AbortMessage):
            logger.set_correlation_id(message.parent)
            return deps.engine.abort_children(message).value
        if isinstance(message, StopMessage):
            logger.set_correlation_id(message.execution_id)
            return deps.engine.stop(message, delivery_of(record)).value
        logger.set_correlation_id(message.execution_id)
        return deps.engine.wake(message, delivery_of(record)).value

    response = process_batch(event, context, on_record, deps.settle)
    deps.bus.flush()
    return response


lambda_handler = tracer.capture_lambda_handler(
    metrics.log_metrics(logger.inject_lambda_context(entrypoint(handle)))
)
