"""The API resolver the API handlers share: strict JSON bodies, engine errors as statuses."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import ValidationError

from steplane.errors import SteplaneError
from steplane.json_input import parse_json


def json_response(status: int, body: Any) -> Response[Any]:
    """A JSON response."""
    return Response(
        status_code=status, content_type="application/json", body=json.dumps(body, default=str)
    )


def resolver() -> APIGatewayRestResolver:
    """An API Gateway resolver: bodies parsed by the one JSON door, every engine error mapped.

    Each engine exception carries its HTTP status and error name (steplane.errors), so one
    handler answers them all; anything else propagates (a 500, logged by powertools).
    """
    app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=_parse_body)
    app.exception_handler(RequestValidationError)(_invalid_request)
    # A body a route validates itself (one that may be empty: stop, redrive).
    app.exception_handler(ValidationError)(_invalid_request)
    app.exception_handler(SteplaneError)(_engine_error)
    return app


def _parse_body(body: str) -> Any:
    return parse_json(body, "the request body")


def _engine_error(error: SteplaneError) -> Response[Any]:
    return json_response(error.http_status, {"error": error.api_error, "message": str(error)})


def _invalid_request(error: RequestValidationError | ValidationError) -> Response[Any]:
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
