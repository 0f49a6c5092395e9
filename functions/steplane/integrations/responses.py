"""Shaping a service's answer as Step Functions returns it: the response with the HTTP
metadata optimised integrations add (``SdkHttpMetadata``, ``SdkResponseMetadata``; a
workflow may branch on ``$.SdkHttpMetadata.HttpStatusCode``), in JSON."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from steplane.jsontypes import Json, compact_json
from steplane.limits import MAX_PAYLOAD_BYTES


def with_metadata(response: dict[str, Any], body: dict[str, Any] | None = None) -> dict[str, Any]:
    """``body`` (default: the response without boto3's ResponseMetadata), plus
    ``SdkHttpMetadata`` and ``SdkResponseMetadata`` from the response's metadata."""
    meta = response.get("ResponseMetadata", {})
    headers = {str(k): str(v) for k, v in (meta.get("HTTPHeaders") or {}).items()}
    shaped = dict(body if body is not None else without_metadata(response))
    shaped["SdkHttpMetadata"] = {
        "AllHttpHeaders": {name: [value] for name, value in headers.items()},
        "HttpHeaders": headers,
        "HttpStatusCode": int(meta.get("HTTPStatusCode") or 200),
    }
    shaped["SdkResponseMetadata"] = {"RequestId": str(meta.get("RequestId", ""))}
    return shaped


def without_metadata(response: dict[str, Any]) -> dict[str, Any]:
    """The response's own fields, in JSON (datetimes as epoch milliseconds, as the
    optimised integrations give them)."""
    return {
        key: to_json(value, epoch_millis=True)
        for key, value in response.items()
        if key != "ResponseMetadata"
    }


class BodyTooLargeError(ValueError):
    """A response body is larger than a task's result may be."""


def to_json(value: Any, *, epoch_millis: bool = False) -> Json:
    """A boto3 value as JSON: datetimes as ISO 8601 (or epoch milliseconds), binary values
    in base64 (as the services' JSON APIs carry them), a streamed body (S3 GetObject's)
    as its text when it is UTF-8, else base64.

    Raises:
        BodyTooLargeError: a streamed body is larger than a task's result may be (it is
            read no further: a large object never fills the function's memory).
    """
    if isinstance(value, dict):
        return {str(k): to_json(v, epoch_millis=epoch_millis) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v, epoch_millis=epoch_millis) for v in value]
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000) if epoch_millis else value.isoformat()
    if hasattr(value, "read"):
        return _body(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _body(stream: Any) -> str:
    data = stream.read(MAX_PAYLOAD_BYTES + 1)
    if len(data) > MAX_PAYLOAD_BYTES:
        raise BodyTooLargeError(
            f"the response body is over {MAX_PAYLOAD_BYTES} bytes, the most a task's result may be"
        )
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(bytes(data)).decode("ascii")


def binary_values(value: Any) -> Any:
    """DynamoDB attribute values with their ``B`` and ``BS`` given in base64, as the
    service's JSON carries them, decoded to the bytes boto3 takes (it encodes them)."""
    if isinstance(value, dict):
        if set(value) == {"B"} and isinstance(value["B"], str):
            return {"B": base64.b64decode(value["B"])}
        if set(value) == {"BS"} and isinstance(value["BS"], list):
            return {"BS": [base64.b64decode(v) if isinstance(v, str) else v for v in value["BS"]]}
        return {key: binary_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [binary_values(item) for item in value]
    return value


def as_text(value: Json) -> str:
    """A message body or payload Step Functions sends as text: a string as it is,
    anything else as its JSON ("Optimised integration automatically stringifies")."""
    if isinstance(value, str):
        return value
    return compact_json(value)
