"""redrive: the operators' dead-letter API, ``GET /dead-letters`` and ``POST .../redrive``.

Every engine and task queue of the stack has a dead-letter queue. Redriving one is always
safe: each engine message is a hint that a redelivery cannot harm (a copy finds its own
commit by its content and re-sends what is pending, or is ignored as stale).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from steplane.adapters.sqs_redrive import dead_letter_url, redrive
from steplane.errors import SteplaneError
from steplane.handlers.api import json_response, resolver
from steplane.handlers.observability import logger, metrics, tracer
from steplane.handlers.wiring import Dependencies, entrypoint
from steplane.routing import Routes

# Messages one API call moves at most (about 150 SQS calls).
API_REDRIVE_MAX = 500


class UnknownQueueError(SteplaneError):
    """A queue name that is none of this stack's queues."""

    http_status = 404
    api_error = "QueueDoesNotExist"


def handle(event: dict[str, Any], context: Any, deps: Dependencies) -> dict[str, Any]:
    """List the dead-letter queues with their depth, or redrive one into its queue."""
    return deps.resolver(_api).resolve(event, context)


def _api(deps: Dependencies) -> APIGatewayRestResolver:
    app = resolver()
    queues = _source_queues(deps.routes)

    @app.get("/dead-letters")
    def listing() -> Response[Any]:
        return json_response(200, {"queues": [_describe(deps, n, u) for n, u in queues.items()]})

    @app.post("/dead-letters/<queue>/redrive")
    def redrive_queue(queue: str) -> Response[Any]:
        if queue not in queues:
            raise UnknownQueueError(f"no queue {queue!r}: one of {', '.join(sorted(queues))}")
        # Bounded, so one request stays well inside API Gateway's 29 s; "more" asks for
        # another call.
        result = redrive(deps.sqs, queues[queue], max_messages=API_REDRIVE_MAX)
        logger.info("redrove a dead-letter queue", extra={"queue": queue, "moved": result.moved})
        return json_response(200, {"queue": queue, "moved": result.moved, "more": result.more})

    return app


def _source_queues(routes: Routes) -> dict[str, str]:
    """The stack's queues by name (the last part of each URL)."""
    urls = [
        routes.start_queue_url,
        routes.advance_queue_url,
        routes.task_result_queue_url,
        routes.default_task_queue_url,
        routes.integration_queue_url,
        *routes.task_queue_urls.values(),
    ]
    return {url.rstrip("/").rsplit("/", 1)[-1]: url for url in urls if url}


def _describe(deps: Dependencies, name: str, url: str) -> dict[str, Any]:
    dlq = dead_letter_url(deps.sqs, url)
    attributes = deps.sqs.get_queue_attributes(
        QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return {
        "queue": name,
        "url": url,
        "deadLetterUrl": dlq,
        "messages": int(attributes["ApproximateNumberOfMessages"]),
    }


lambda_handler = tracer.capture_lambda_handler(
    metrics.log_metrics(logger.inject_lambda_context(entrypoint(handle)))
)
