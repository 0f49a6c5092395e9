"""Powertools instances shared by the engine's handlers, and the one error-to-outcome map."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from steplane.errors import SteplaneError

logger = Logger(service="steplane")
tracer = Tracer(service="steplane")
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
