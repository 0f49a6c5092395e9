"""integrate: the IntegrationQueue consumer that performs integration tasks (Lambda, AWS
services, nested executions) and reports nested executions' ends to their parents."""

from __future__ import annotations

from typing import Any

from steplane.handlers.observability import logger, metrics, tracer
from steplane.handlers.sqs_batch import QueueRecord, delivery_of, process_batch
from steplane.handlers.wiring import Dependencies, entrypoint
from steplane.json_input import parse_json
from steplane.messages import CallerMessage, integration_message


def handle(event: dict[str, Any], context: Any, deps: Dependencies) -> dict[str, Any]:
    """Perform each task's call and record its outcome; flush what the decisions sent."""
    shell = deps.integrations()

    def on_record(record: QueueRecord) -> str:
        message = integration_message(parse_json(record.body, "the integration task"))
        logger.set_correlation_id(message.execution_id)
        if isinstance(message, CallerMessage):
            return shell.report_child(message, delivery_of(record))
        return shell.perform(message, delivery_of(record))

    response = process_batch(event, context, on_record, deps.settle)
    deps.bus.flush()
    return response


lambda_handler = tracer.capture_lambda_handler(
    metrics.log_metrics(logger.inject_lambda_context(entrypoint(handle)))
)
