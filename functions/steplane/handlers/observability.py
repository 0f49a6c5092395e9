"""Powertools instances shared by the engine's handlers, and the one error-to-outcome map."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from steplane.errors import SteplaneError


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


logger = Logger(service="steplane")
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
