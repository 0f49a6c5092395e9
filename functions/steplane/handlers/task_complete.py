"""task-complete: worker results from TaskResultQueue, and HTTP callbacks by task token."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from steplane.errors import InvalidTaskTokenError
from steplane.handlers.api import json_response, resolver
from steplane.handlers.observability import logger, metrics, tracer
from steplane.handlers.sqs_batch import QueueRecord, batch_or_request, delivery_of
from steplane.handlers.wiring import Dependencies, entrypoint
from steplane.interpreter.tokens import decode_task_token
from steplane.json_input import parse_json
from steplane.messages import TaskFailureBody, TaskResultMessage


def handle(event: dict[str, Any], context: Any, deps: Dependencies) -> dict[str, Any]:
    """Route an SQS batch of results or an API Gateway callback request."""
    return batch_or_request(
        event,
        context,
        lambda record: _on_record(record, deps),
        lambda: deps.resolver(_api),
        flush=deps.bus.flush,
        settle=deps.settle,
    )


def _on_record(record: QueueRecord, deps: Dependencies) -> str:
    message = TaskResultMessage.model_validate(parse_json(record.body, "the task result"))
    logger.set_correlation_id(_execution_of(message.task_token))
    return deps.engine.task_result(message, delivery_of(record)).value


def _execution_of(token: str) -> str | None:
    """The execution a token names, for log correlation (None if it is not a token)."""
    try:
        return decode_task_token(token).execution_id
    except InvalidTaskTokenError:
        return None


def _callback(deps: Dependencies, message: TaskResultMessage) -> Response[Any]:
    logger.set_correlation_id(_execution_of(message.task_token))
    deps.engine.accept_callback(message)
    return json_response(202, {"outcome": "accepted"})


def _api(deps: Dependencies) -> APIGatewayRestResolver:
    app = resolver()

    @app.post("/tasks/<token>/success")
    def success(token: str) -> Response[Any]:
        body = app.current_event.body
        output = parse_json(body, "the task output", "InvalidOutput") if body else None
        message = TaskResultMessage(task_token=token, status="SUCCEEDED", output=output)
        return _callback(deps, message)

    @app.post("/tasks/<token>/failure")
    def failure(token: str, body: TaskFailureBody) -> Response[Any]:
        message = TaskResultMessage(
            task_token=token, status="FAILED", error=body.error, cause=body.cause
        )
        return _callback(deps, message)

    @app.post("/tasks/<token>/heartbeat")
    def heartbeat(token: str) -> Response[Any]:
        logger.set_correlation_id(_execution_of(token))
        deps.engine.heartbeat(token)
        return json_response(200, {"outcome": "recorded"})

    return app


lambda_handler = tracer.capture_lambda_handler(
    metrics.log_metrics(logger.inject_lambda_context(entrypoint(handle)))
)
