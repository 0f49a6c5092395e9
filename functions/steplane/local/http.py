"""HTTP requests as API Gateway (REST) proxy events, and responses back."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit


def api_event(
    method: str, url: str, body: Any, route_method: str, pattern: str
) -> dict[str, Any] | None:
    """The proxy event for ``method url`` if route ``route_method pattern`` matches, else None."""
    split = urlsplit(url)
    names = re.findall(r"{(\w+)}", pattern)
    regex = "^" + re.sub(r"{\w+}", "([^/]+)", pattern) + "$"
    match = re.match(regex, split.path)
    if method.upper() != route_method or match is None:
        return None
    query = dict(parse_qsl(split.query)) or None
    return {
        "resource": pattern,
        "path": split.path,
        "httpMethod": method.upper(),
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": dict(zip(names, match.groups(), strict=True)) or None,
        "stageVariables": None,
        "isBase64Encoded": False,
        "body": _raw_body(body),
        "requestContext": {
            "resourcePath": pattern,
            "httpMethod": method.upper(),
            "stage": "v1",
            "path": f"/v1{split.path}",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
        },
    }


def path_segment(value: str) -> str:
    """Quote a value for use as one path segment (execution ids contain ':')."""
    return quote(value, safe="")


def parse_response(response: dict[str, Any]) -> tuple[int, Any]:
    """A proxy response's status code and JSON body."""
    body = response.get("body")
    return int(response["statusCode"]), json.loads(body) if body else None


def _raw_body(body: Any) -> str | None:
    """JSON-encode a body; ``bytes`` go as they are (to send malformed JSON on purpose)."""
    if isinstance(body, bytes):
        return body.decode()
    return json.dumps(body) if body is not None else None
