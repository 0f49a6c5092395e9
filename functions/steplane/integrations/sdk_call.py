"""Any AWS API: ``arn:aws:states:::aws-sdk:{service}:{action}`` (and ``.waitForTaskToken``).

- "Parameters in Step Functions are expressed in PascalCase, even if the native service
  API is in camelCase": each parameter is matched to the API's member of that name in
  any case (``StateMachineArn`` -> ``stateMachineArn``), and "API fields for equals will
  be referred to ... as EqualsValue".
- The output is the API's response alone, its member names in PascalCase (no HTTP
  metadata); datetimes in ISO 8601; a body (S3 GetObject's ``Body``) as text.
- "the resulting Error field will be composed of the service name and the error name,
  separated by a period" with the Exception suffix: ``S3.NoSuchKeyException``,
  ``DynamoDb.ConditionalCheckFailedException``; an error the service does not model is
  ``{Prefix}.{Prefix}Exception`` (``S3.S3Exception``).

Repeat-safety: an API with an idempotency token (a member the API models as one:
``ClientToken``, ``ClientRequestToken``) gets one derived from the task's idempotency key
and attempt when the definition gives none, so a call the IntegrationFunction makes again
after dying before it recorded the result is the same request to the service (the SDK
would otherwise draw a new random token each time). Other APIs repeat as they do.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from steplane.errors import StatesError
from steplane.integrations.calls import Call, Failed, Outcome, Ports, Submitted, Succeeded
from steplane.integrations.resources import Pattern, ServiceCall
from steplane.integrations.responses import BodyTooLargeError, to_json
from steplane.integrations.sdk_names import boto3_name, operation_name
from steplane.integrations.service_errors import sdk_failure


def perform(call: Call, ports: Ports) -> Outcome:
    """Make the API call."""
    target = call.target
    assert isinstance(target, ServiceCall)
    from botocore.exceptions import UnknownServiceError  # noqa: PLC0415 - with the client

    try:
        client = ports.client(boto3_name(target.service))
    except UnknownServiceError as error:  # refused at load: a definition stored before
        return Failed("States.Runtime", f"aws-sdk:{target.service}: {error}")
    model = client.meta.service_model
    operation = operation_name(target.action)
    if operation not in model.operation_names:
        return Failed("States.Runtime", f"aws-sdk:{target.service} has no action {target.action!r}")
    shape = model.operation_model(operation)
    request = to_boto(call.parameters if call.parameters is not None else {}, shape.input_shape)
    if not isinstance(request, dict):
        return Failed("States.Runtime", f"aws-sdk:{target.service}:{target.action} takes an object")
    request = {**idempotency_tokens(call, shape.input_shape), **request}
    from botocore import xform_name  # noqa: PLC0415 - loaded with the client already

    try:
        response = getattr(client, xform_name(operation))(**request)
    except Exception as error:  # the service's refusal is the task's error
        return sdk_failure(target.service, client, error)
    if call.pattern is Pattern.CALLBACK:
        return Submitted()
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    try:
        return Succeeded(from_boto(body, shape.output_shape))
    except BodyTooLargeError as error:
        return Failed(StatesError.DATA_LIMIT_EXCEEDED.value, str(error))


def idempotency_tokens(call: Call, shape: Any) -> dict[str, str]:
    """A token for each idempotency-token member of the request: the same for every
    repeat of one attempt, another for a Retry."""
    members = getattr(shape, "members", {}) if shape is not None else {}
    key = f"{call.message.idempotency_key}#{call.message.attempt}"
    return {
        name: str(uuid.uuid5(_TOKENS, f"{key}#{name}"))
        for name, member in members.items()
        if member.metadata.get("idempotencyToken")
    }


_TOKENS = uuid.UUID("0b3f7f9e-5c1d-4a8e-9d62-2c4f6a1e8b70")


def to_boto(value: Any, shape: Any) -> Any:
    """``value`` with its keys matched to ``shape``'s members (PascalCase to the API's)."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = {name.lower(): name for name in shape.members}
        shaped = {}
        for key, item in value.items():
            name = members.get(key.lower())
            if name is None and key == "EqualsValue":
                name = members.get("equals")
            if name is None:
                shaped[key] = item  # unknown: boto3 names it in its refusal
            else:
                shaped[name] = to_boto(item, shape.members[name])
        return shaped
    if kind == "list" and isinstance(value, list):
        return [to_boto(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: to_boto(item, shape.value) for key, item in value.items()}
    if kind == "blob" and isinstance(value, str):
        if shape.serialization.get("streaming"):
            return value.encode()  # a body (S3 PutObject's): its text
        try:
            return base64.b64decode(value, validate=True)  # as the service's JSON carries it
        except ValueError:
            return value.encode()
    return value


def from_boto(value: Any, shape: Any) -> Any:
    """A response as Step Functions gives it: member names in PascalCase, JSON values."""
    if shape is None:
        return to_json(value)
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {
            _pascal(key): from_boto(item, shape.members.get(key)) for key, item in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [from_boto(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {str(key): from_boto(item, shape.value) for key, item in value.items()}
    return to_json(value)


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]
