"""sweep: the scheduled function that heals executions whose expected progress is overdue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from steplane.handlers.observability import logger, metrics, tracer
from steplane.handlers.wiring import Dependencies, entrypoint


def handle(event: dict[str, Any], context: Any, deps: Dependencies) -> dict[str, Any]:
    """Re-send what every overdue execution implies; keep long runners' items retained."""
    time_left = None
    if context is not None:
        time_left = lambda: context.get_remaining_time_in_millis() / 1000  # noqa: E731
    report = deps.engine.sweep(time_left=time_left)
    deps.bus.flush()
    metrics.add_metric(name="SweptExecutions", unit=MetricUnit.Count, value=report.resent)
    metrics.add_metric(name="SweepFailures", unit=MetricUnit.Count, value=len(report.failed))
    if report.resent:
        logger.warning("re-sent the commands of overdue executions", extra={"count": report.resent})
    for execution_id, error in report.failed:
        # Looked at again after a backoff; an operator sees which execution and why.
        logger.error(
            "could not sweep an execution", extra={"execution": execution_id, "error": error}
        )
    if not report.complete:
        logger.warning("the sweep stopped for time; the next one goes on from another shard")
    return {"resent": report.resent, "failed": len(report.failed), "complete": report.complete}


lambda_handler = tracer.capture_lambda_handler(
    metrics.log_metrics(logger.inject_lambda_context(entrypoint(handle)))
)
