"""A service's refusal as Step Functions reports it: the error name Retry and Catch
match, and a cause in the AWS SDK's wording.

Optimised integrations (the Java SDK v1's wording, measured against AWS): error
``Lambda.ResourceNotFoundException``, cause ``Function not found: ... (Service: AWSLambda;
Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ...; Proxy: null)``;
an error the service does not model is its base exception (``SQS.AmazonSQSException``).
AWS SDK integrations: "the resulting Error field will be composed of the service name and
the error name, separated by a period ... Both ... in Pascal case", "always include the
Exception suffix"; cause ``... (Service: S3, Status Code: 404, Request ID: ...)``.
A call that never got an answer is ``{Prefix}.SdkClientException`` ("Unable to execute
HTTP request: ...").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from steplane.integrations.calls import Call, Failed, Outcome, Submitted, Succeeded
from steplane.integrations.resources import Pattern
from steplane.integrations.responses import with_metadata


@dataclass(frozen=True)
class Wording:
    """How one service's errors are named: the error prefix, and the SDK's service name
    and base exception used in causes."""

    prefix: str
    sdk_name: str
    base_exception: str


# Optimised integrations, by the Resource's service (the Java SDK v1 client names).
OPTIMISED_WORDING: dict[str, Wording] = {
    "lambda": Wording("Lambda", "AWSLambda", "AWSLambdaException"),
    "sqs": Wording("SQS", "AmazonSQS", "AmazonSQSException"),
    "sns": Wording("SNS", "AmazonSNS", "AmazonSNSException"),
    "events": Wording("EventBridge", "AmazonEventBridge", "AmazonEventBridgeException"),
    # "For optimized integrations, the exception prefix will be DynamoDB (uppercase DB)."
    "dynamodb": Wording("DynamoDB", "AmazonDynamoDBv2", "AmazonDynamoDBException"),
    "states": Wording("StepFunctions", "AWSStepFunctions", "AWSStepFunctionsException"),
}

# AWS SDK integrations' exception prefixes where they are not the service name with a
# capital (the developer guide's table: sqs -> Sqs, dynamodb -> DynamoDb, ...).
SDK_PREFIXES: dict[str, str] = {
    "acmpca": "AcmPca",
    "cloudwatchlogs": "CloudWatchLogs",
    "codeartifact": "Codeartifact",
    "dynamodb": "DynamoDb",
    "ec2": "Ec2",
    "eventbridge": "EventBridge",
    "fsx": "FSx",
    "lambda": "Lambda",
    "s3": "S3",
    "secretsmanager": "SecretsManager",
    "sfn": "Sfn",
    "sns": "Sns",
    "sqs": "Sqs",
}


def sdk_prefix(service: str) -> str:
    """The exception prefix of an ``aws-sdk:{service}`` call."""
    return SDK_PREFIXES.get(service) or service[:1].upper() + service[1:]


def optimised_call(
    call: Call, service: str, client: Any, request: Callable[[], dict[str, Any]]
) -> Outcome:
    """Make an optimised integration's ``request``: its response with the HTTP metadata,
    the wait for the token (``.waitForTaskToken``), or the service's refusal."""
    try:
        response = request()
    except Exception as error:  # the service's refusal is the task's error, for Retry
        return optimised_failure(service, client, error)
    if call.pattern is Pattern.CALLBACK:
        return Submitted()
    return Succeeded(with_metadata(response))


def invalid_request(service: str, message: str) -> Failed:
    """Parameters an optimised integration of ``service`` cannot send: the service's
    validation error, as it would answer them (catchable, unlike States.Runtime)."""
    wording = OPTIMISED_WORDING[service]
    cause = (
        f"{message} (Service: {wording.sdk_name}; Status Code: 400; Error Code: "
        "ValidationException; Request ID: ; Proxy: null)"
    )
    return Failed(f"{wording.prefix}.{wording.base_exception}", cause)


def optimised_failure(service: str, client: Any, error: Exception) -> Failed:
    """A failed call of an optimised integration of ``service``."""
    wording = OPTIMISED_WORDING[service]
    details = _details(error)
    if details is None:
        return _unanswered(wording.prefix, error) or invalid_request(service, str(error))
    code, message, status, request_id = details
    name = _modelled_name(client, error, code) or wording.base_exception
    cause = (
        f"{message} (Service: {wording.sdk_name}; Status Code: {status}; Error Code: {code}; "
        f"Request ID: {request_id}; Proxy: null)"
    )
    return Failed(f"{wording.prefix}.{name}", cause)


def sdk_failure(service: str, client: Any, error: Exception) -> Failed:
    """A failed ``aws-sdk:{service}:...`` call."""
    prefix = sdk_prefix(service)
    details = _details(error)
    if details is None:
        unsent = f"{error} (Service: {prefix}, Status Code: 400, Request ID: )"
        return _unanswered(prefix, error) or Failed(f"{prefix}.{prefix}Exception", unsent)
    code, message, status, request_id = details
    name = _modelled_name(client, error, code) or f"{prefix}Exception"
    cause = f"{message} (Service: {prefix}, Status Code: {status}, Request ID: {request_id})"
    return Failed(f"{prefix}.{name}", cause)


def is_answered(error: Exception) -> bool:
    """Whether the service answered (a ClientError), rather than the call failing on
    the way (no connection, a timeout, a parameter the SDK refused before sending)."""
    return _details(error) is not None


def _details(error: Exception) -> tuple[str, str, int, str] | None:
    if type(error).__name__ == "ParamValidationError":
        # The SDK refused the request before sending it: what the service answers a
        # malformed request with (a 400 ValidationException).
        return "ValidationException", str(error).replace("\n", " ").strip(), 400, ""
    response = getattr(error, "response", None)
    if not isinstance(response, dict) or "Error" not in response:
        return None
    body, meta = response.get("Error", {}), response.get("ResponseMetadata", {})
    code = str(body.get("Code") or "Unknown")
    message = str(body.get("Message") or code)
    return code, message, int(meta.get("HTTPStatusCode") or 400), str(meta.get("RequestId", ""))


def _unanswered(prefix: str, error: Exception) -> Failed | None:
    """The SDK could not send the request (a connection, a timeout): a client error a
    Retry may be meant for. None: it could not even build the request from the
    parameters (a value of the wrong type), which is the service's validation error."""
    from botocore.exceptions import BotoCoreError  # noqa: PLC0415 - loaded with the client

    if isinstance(error, BotoCoreError):
        return Failed(f"{prefix}.SdkClientException", f"Unable to execute HTTP request: {error}")
    return None


def _modelled_name(client: Any, error: Exception, code: str) -> str | None:
    """The modelled exception an error is: by its code, or by the shape the response
    names (SQS's JSON protocol answers ``AWS.SimpleQueueService.NonExistentQueue`` with
    ``QueryErrorCode: QueueDoesNotExist`` and ``x-amzn-errortype: ...#QueueDoesNotExist``)."""
    response: dict[str, Any] = getattr(error, "response", None) or {}
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    candidates = (
        code,
        response.get("Error", {}).get("QueryErrorCode"),
        str(headers.get("x-amzn-errortype", "")).rsplit("#", 1)[-1].split(":", 1)[0],
    )
    for candidate in candidates:
        if candidate and (name := modelled_exception(client, str(candidate))) is not None:
            return name
    return None


def modelled_exception(client: Any, code: str) -> str | None:
    """The SDK's exception class for ``code``, when the service models it:
    ``ResourceNotFoundException``, ``QueueDoesNotExistException``."""
    name: str | None = _modelled(client.meta.service_model)(code)
    return name


@lru_cache(maxsize=64)
def _modelled(service_model: Any) -> Any:
    names: dict[str, str] = {}
    for shape in service_model.error_shapes:
        java = shape.name if shape.name.endswith("Exception") else f"{shape.name}Exception"
        names[shape.name] = java
        code = shape.metadata.get("error", {}).get("code")
        if code:
            names[code] = java
    return names.get
