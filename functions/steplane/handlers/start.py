"""start: ``POST /executions`` (API Gateway) and the same body as a StartQueue message;
``POST /executions/{id}/stop`` (StopExecution) and ``/redrive`` (RedriveExecution)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from steplane.handlers.api import json_response, resolver
from steplane.handlers.observability import logger, metrics, tracer
from steplane.handlers.sqs_batch import QueueRecord, batch_or_request
from steplane.handlers.wiring import Dependencies, entrypoint
from steplane.json_input import parse_json
from steplane.messages import RedriveRequest, StartRequest, StopRequest, queued_start_name


def handle(event: dict[str, Any], context: Any, deps: Dependencies) -> dict[str, Any]:
    """Start executions from an SQS batch or one API request."""
    return batch_or_request(
        event,
        context,
        lambda record: _on_record(record, deps),
        lambda: deps.resolver(_api),
        flush=deps.bus.flush,
        settle=deps.settle,
    )


def _on_record(record: QueueRecord, deps: Dependencies) -> str:
    request = StartRequest.model_validate(parse_json(record.body, "the start message"))
    if request.name is None:  # a redelivered or re-sent copy must start the same execution
        request = request.model_copy(update={"name": queued_start_name(request)})
    head, created = deps.engine.start(request)
    logger.set_correlation_id(head.execution_id)
    return "started" if created else "existing"


def _api(deps: Dependencies) -> APIGatewayRestResolver:
    app = resolver()

    @app.post("/executions")
    def start(request: StartRequest) -> Response[Any]:
        head, created = deps.engine.start(request)
        logger.set_correlation_id(head.execution_id)
        return json_response(
            201 if created else 200,
            {
                "executionId": head.execution_id,
                "startDate": head.start_date.isoformat(),
                "status": head.status.value,
            },
        )

    @app.post("/executions/<execution_id>/stop")
    def stop(execution_id: str) -> Response[Any]:
        body = app.current_event.body
        request = StopRequest.model_validate(parse_json(body, "the stop request") if body else {})
        head = deps.engine.stop_execution(unquote(execution_id), request.error, request.cause)
        logger.set_correlation_id(head.execution_id)
        return json_response(
            200,
            {
                "executionId": head.execution_id,
                "status": head.status.value,
                "stopDate": head.stop_date.isoformat() if head.stop_date else None,
            },
        )

    @app.post("/executions/<execution_id>/redrive")
    def redrive(execution_id: str) -> Response[Any]:
        from steplane.redriving import RedriveChoice  # noqa: PLC0415 - this route only

        body = app.current_event.body
        request = RedriveRequest.model_validate(
            parse_json(body, "the redrive request") if body else {}
        )
        choice = RedriveChoice(
            from_state=request.from_state,
            latest_definition=request.latest_definition,
            **({"input": request.input} if "input" in request.model_fields_set else {}),
        )
        head = deps.engine.redrive_execution(unquote(execution_id), choice)
        logger.set_correlation_id(head.execution_id)
        return json_response(
            200,
            {
                "executionId": head.execution_id,
                "status": head.status.value,
                "currentState": head.state,
                "redriveCount": head.redrive_count,
                "redriveDate": head.redriven_at.isoformat() if head.redriven_at else None,
                "definitionHash": head.definition_hash,
            },
        )

    return app


lambda_handler = tracer.capture_lambda_handler(
    metrics.log_metrics(logger.inject_lambda_context(entrypoint(handle)))
)
