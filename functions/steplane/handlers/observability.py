"""Powertools instances shared by the engine's handlers, and the one error-to-outcome map."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError
from pydantic import ValidationError

from steplane.errors import (
    ExecutionAlreadyExistsError,
    ExecutionNotFoundError,
    InvalidTaskTokenError,
    PayloadTooLargeError,
    WorkflowNotFoundError,
)

logger = Logger(service="steplane")
tracer = Tracer(service="steplane")
metrics = Metrics(namespace="Steplane", service="steplane")

# Inputs that can never succeed however often they are retried: acknowledge them, log
# them whole (so nothing is lost), count them. Everything else is raised, reported as a
# batch item failure, and redelivered (then dead-lettered after maxReceiveCount).
POISON = (
    ValidationError,
    ExecutionAlreadyExistsError,
    InvalidTaskTokenError,
    ExecutionNotFoundError,
    WorkflowNotFoundError,
    PayloadTooLargeError,
    ValueError,
)


def is_poison(error: BaseException) -> bool:
    """Whether a failed input should be acknowledged rather than retried."""
    if isinstance(error, ClientError):
        return False
    return isinstance(error, POISON)


def drop_poison(record_body: str, error: BaseException, **keys: Any) -> None:
    """Log a poison input with its full body and count it."""
    logger.error(
        "dropping an input that can never succeed",
        extra={"body": record_body, "reason": str(error), **keys},
    )
    metrics.add_metric(name="PoisonInputs", unit=MetricUnit.Count, value=1)
