"""HTTP responses shared by the API handlers: JSON bodies, and engine errors as statuses."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

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


def resolver() -> APIGatewayRestResolver:
    """An API Gateway resolver with pydantic validation whose 422s say what is wrong, where."""
    app = APIGatewayRestResolver(enable_validation=True)
    app.exception_handler(RequestValidationError)(_invalid_request)
    return app


def _invalid_request(error: RequestValidationError) -> Response[Any]:
    problems = [
        {
            "location": "/".join(str(part) for part in detail.get("loc", ())),
            "message": detail.get("msg", detail.get("type", "invalid")),
        }
        for detail in error.errors()
    ]
    summary = "; ".join(f"{p['location']}: {p['message']}" for p in problems)
    return json_response(
        422, {"error": "ValidationError", "message": summary, "problems": problems}
    )
