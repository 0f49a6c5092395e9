"""Powertools instances shared by the engine's handlers, and the one error-to-outcome map."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from steplane.errors import SteplaneError
from steplane.statistics import leaves_state


class HandlerTracer(Protocol):
    """What the handlers ask of a tracer: wrap the Lambda entry point."""

    def capture_lambda_handler(self, lambda_handler: Callable[..., Any]) -> Callable[..., Any]:
        """``lambda_handler``, traced or as it is."""
        ...


class _Untraced:
    """No X-Ray SDK: Lambda's active tracing still records every invocation's segment."""

    def capture_lambda_handler(self, lambda_handler: Callable[..., Any]) -> Callable[..., Any]:
        return lambda_handler


def _tracer() -> HandlerTracer:
    """Powertools' Tracer (X-Ray subsegments per AWS call) only when STEPLANE_XRAY_SDK is
    true: importing the X-Ray SDK builds two botocore clients, ~100 ms of every cold start."""
    if os.environ.get("STEPLANE_XRAY_SDK", "false").lower() != "true":
        return _Untraced()
    from aws_lambda_powertools import Tracer  # noqa: PLC0415 - opt-in, see above

    tracer: HandlerTracer = Tracer(service="steplane")
    return tracer


class WorkflowMetrics:
    """Per-workflow metrics of the transitions one invocation commits, flushed once at its
    end (one EMF document per workflow, with a ``workflow`` dimension, and one of the
    executions' totals, without it): executions
    started, succeeded, failed, timed out, aborted and redriven; transitions; tasks
    succeeded and failed, their attempts and their duration (state entered to result).
    Children of a Parallel or Map count as transitions of their root's workflow only."""

    _ENDS = {
        "ExecutionStarted": "ExecutionsStarted",
        "ExecutionSucceeded": "ExecutionsSucceeded",
        "ExecutionFailed": "ExecutionsFailed",
        "ExecutionTimedOut": "ExecutionsTimedOut",
        "ExecutionAborted": "ExecutionsAborted",
        "ExecutionRedriven": "ExecutionsRedriven",
        "TaskSucceeded": "TasksSucceeded",
        "TaskFailed": "TasksFailed",
        "TaskTimedOut": "TasksTimedOut",
    }

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], float] = {}
        self._durations: dict[str, list[float]] = {}

    def observe(self, previous: Any, committed: Any, events: Any) -> None:
        """Count a committed transition (``previous`` None: the first)."""
        workflow = str(committed.workflow)
        before = previous.transitions if previous is not None else 0
        self._add(workflow, "Transitions", committed.transitions - before)
        if committed.parent is not None:
            return  # a branch or item: not an execution operators count
        for event in events:
            name = self._ENDS.get(event.type)
            if name is not None:
                self._add(workflow, name, 1)
        attempt = previous.task_attempt if previous is not None else None
        if attempt is not None and leaves_state(previous, committed):
            # The task's state was left: its attempts, and its time since entered.
            self._add(workflow, "TaskAttempts", attempt.number)
            if previous.entered_at is not None and committed.updated_at is not None:
                took = (committed.updated_at - previous.entered_at).total_seconds() * 1000
                self._durations.setdefault(workflow, []).append(took)

    def _add(self, workflow: str, name: str, value: float) -> None:
        if value:
            self._counts[(workflow, name)] = self._counts.get((workflow, name), 0) + value

    def flush(self) -> None:
        """Emit what was observed (one EMF log line per workflow), then forget it."""
        from aws_lambda_powertools.metrics import EphemeralMetrics  # noqa: PLC0415

        workflows = {workflow for workflow, _ in self._counts} | set(self._durations)
        for workflow in sorted(workflows):
            emf = EphemeralMetrics(namespace="Steplane", service="steplane")
            emf.add_dimension(name="workflow", value=workflow)
            for (name_of, name), value in self._counts.items():
                if name_of == workflow:
                    emf.add_metric(name=name, unit=MetricUnit.Count, value=value)
            for took in self._durations.get(workflow, []):
                emf.add_metric(name="TaskDuration", unit=MetricUnit.Milliseconds, value=took)
            emf.flush_metrics()
        self._flush_totals()
        self.clear()

    def _flush_totals(self) -> None:
        """The executions' counts of every workflow together (dimension ``service``
        alone): what the failed-executions alarm watches, whatever the workflow."""
        from aws_lambda_powertools.metrics import EphemeralMetrics  # noqa: PLC0415

        totals: dict[str, float] = {}
        for (_, name), value in self._counts.items():
            if name.startswith("Executions"):
                totals[name] = totals.get(name, 0) + value
        if not totals:
            return
        emf = EphemeralMetrics(namespace="Steplane", service="steplane")
        for name, value in sorted(totals.items()):
            emf.add_metric(name=name, unit=MetricUnit.Count, value=value)
        emf.flush_metrics()

    def clear(self) -> None:
        """Forget what was observed (the local runtime: nothing to emit to)."""
        self._counts.clear()
        self._durations.clear()


logger = Logger(service="steplane")
workflow_metrics = WorkflowMetrics()
tracer = _tracer()
metrics = Metrics(namespace="Steplane", service="steplane")


def is_poison(error: BaseException) -> bool:
    """Whether a failed input should be acknowledged rather than retried.

    An input that can never succeed however often it is retried (malformed, unknown
    execution, conflicting start, too large) is acknowledged, logged whole (so nothing is
    lost) and counted. Everything else, an AWS error or an engine error marked retryable
    such as a concurrent decision, is redelivered (and dead-lettered after maxReceiveCount).
    """
    if isinstance(error, SteplaneError):
        return not error.retryable
    return isinstance(error, ValidationError)


def drop_poison(record_body: str, error: BaseException, **keys: Any) -> None:
    """Log a poison input with its full body and count it."""
    logger.error(
        "dropping an input that can never succeed",
        extra={"body": record_body, "reason": str(error), **keys},
    )
    metrics.add_metric(name="PoisonInputs", unit=MetricUnit.Count, value=1)
