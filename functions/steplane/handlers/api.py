"""HTTP responses shared by the API handlers: JSON bodies, and engine errors as statuses."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

from steplane.errors import (
    ExecutionAlreadyExistsError,
    ExecutionNotFoundError,
    InvalidPageTokenError,
    InvalidTaskTokenError,
    PayloadTooLargeError,
    TaskClosedError,
    WorkflowNotFoundError,
)

# One place maps engine exceptions to HTTP statuses (and Step Functions' error names).
_STATUS = {
    ExecutionAlreadyExistsError: (409, "ExecutionAlreadyExists"),
    ExecutionNotFoundError: (404, "ExecutionDoesNotExist"),
    WorkflowNotFoundError: (404, "StateMachineDoesNotExist"),
    InvalidTaskTokenError: (400, "InvalidToken"),
    InvalidPageTokenError: (400, "InvalidToken"),
    TaskClosedError: (409, "TaskTimedOut"),
    PayloadTooLargeError: (413, "PayloadTooLarge"),
}


def json_response(status: int, body: Any) -> Response[Any]:
    """A JSON response."""
    return Response(
        status_code=status, content_type="application/json", body=json.dumps(body, default=str)
    )


def error_response(error: Exception) -> Response[Any]:
    """Map an engine exception to its HTTP status; anything else propagates (a 500)."""
    for kind, (status, name) in _STATUS.items():
        if isinstance(error, kind):
            return json_response(status, {"error": name, "message": str(error)})
    raise error
