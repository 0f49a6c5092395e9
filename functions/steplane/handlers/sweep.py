"""sweep: the scheduled function that heals executions whose expected progress is overdue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from steplane.handlers.observability import logger, metrics, tracer
from steplane.handlers.wiring import Dependencies, entrypoint


def handle(event: dict[str, Any], context: Any, deps: Dependencies) -> dict[str, Any]:
    """Re-send what every overdue execution implies; keep long runners' items retained."""
    resent = deps.engine.sweep()
    deps.bus.flush()
    metrics.add_metric(name="SweptExecutions", unit=MetricUnit.Count, value=resent)
    if resent:
        logger.warning("re-sent the commands of overdue executions", extra={"count": resent})
    return {"resent": resent}


lambda_handler = tracer.capture_lambda_handler(
    metrics.log_metrics(logger.inject_lambda_context(entrypoint(handle)))
)
