"""Shaping a service's answer as Step Functions returns it: the response with the HTTP
metadata optimised integrations add (``SdkHttpMetadata``, ``SdkResponseMetadata``; a
workflow may branch on ``$.SdkHttpMetadata.HttpStatusCode``), in JSON."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from steplane.jsontypes import Json


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


def to_json(value: Any, *, epoch_millis: bool = False) -> Json:
    """A boto3 value as JSON: datetimes as ISO 8601 (or epoch milliseconds), bytes as
    UTF-8 text when they are, else base64, streams read."""
    if isinstance(value, dict):
        return {str(k): to_json(v, epoch_millis=epoch_millis) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v, epoch_millis=epoch_millis) for v in value]
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000) if epoch_millis else value.isoformat()
    if hasattr(value, "read"):
        value = value.read()
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(bytes(value)).decode("ascii")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def as_text(value: Json) -> str:
    """A message body or payload Step Functions sends as text: a string as it is,
    anything else as its JSON ("Optimised integration automatically stringifies")."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
