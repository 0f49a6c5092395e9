"""task-complete: worker results from TaskResultQueue, and HTTP callbacks by task token."""

from __future__ import annotations

import hashlib
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from steplane.handlers.api import error_response, json_response
from steplane.handlers.observability import logger, metrics, tracer
from steplane.handlers.sqs_batch import delivery_of, process_batch
from steplane.handlers.wiring import Dependencies, entrypoint
from steplane.messages import TaskFailureBody, TaskResultMessage
from steplane.service import Delivery


def handle(event: dict[str, Any], context: Any, deps: Dependencies) -> dict[str, Any]:
    """Route an SQS batch of results or an API Gateway callback request."""
    if "Records" in event:
        response = process_batch(event, context, lambda record: _on_record(record, deps))
    else:
        response = _api(deps).resolve(event, context)
    deps.bus.flush()
    return response


def _on_record(record: SQSRecord, deps: Dependencies) -> str:
    message = TaskResultMessage.model_validate_json(record.body)
    return deps.engine.task_result(message, delivery_of(record)).value


def _callback(deps: Dependencies, token: str, message: TaskResultMessage) -> Response[Any]:
    # An HTTP retry of the same callback carries the same decision id, so it is idempotent.
    digest = hashlib.sha256(message.to_json().encode()).hexdigest()[:32]
    try:
        outcome = deps.engine.task_result(message, Delivery(f"callback:{digest}", redelivered=True))
    except Exception as error:
        return error_response(error)
    return json_response(200, {"outcome": outcome.value})


def _api(deps: Dependencies) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)

    @app.post("/tasks/<token>/success")
    def success(token: str) -> Response[Any]:
        output = app.current_event.json_body if app.current_event.body else None
        return _callback(
            deps, token, TaskResultMessage(task_token=token, status="SUCCEEDED", output=output)
        )

    @app.post("/tasks/<token>/failure")
    def failure(token: str, body: TaskFailureBody) -> Response[Any]:
        return _callback(
            deps,
            token,
            TaskResultMessage(
                task_token=token, status="FAILED", error=body.error, cause=body.cause
            ),
        )

    return app


lambda_handler = tracer.capture_lambda_handler(
    metrics.log_metrics(logger.inject_lambda_context(entrypoint(handle)))
)
