"""Lambda: ``arn:aws:states:::lambda:invoke`` (and ``.waitForTaskToken``), and a function
ARN as the Resource.

- "When the Task result is returned, the function output is nested inside a dictionary of
  metadata": ``{ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata,
  StatusCode}``; "The Payload field of the response is parsed from escaped Json to Json."
- A function ARN as the Resource: "the task result contains only the function output",
  the state's input is the payload.
- "If the response contains the field FunctionError or an exception is raised within the
  Lambda function, the task fails": the error is the function's ``errorType``, the cause
  its error document as the function returned it.
- A service error is ``Lambda.{Exception}`` (``Lambda.ResourceNotFoundException``,
  ``Lambda.TooManyRequestsException``, ``Lambda.ServiceException``).

Repeat-safety: the call is made again when the IntegrationFunction dies between the call
and recording its result (SQS redelivers). The function gets the task's idempotency key
in its client context (``custom.steplaneIdempotencyKey``, the same for every repeat and
retry of the state visit), with ``steplaneAttempt``, ``steplaneExecutionId``,
``steplaneState`` and ``steplaneDeadline`` (the attempt's TimeoutSeconds, if any), to
make its own side effects once.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from steplane.integrations.calls import Call, Failed, Outcome, Ports, Submitted, Succeeded
from steplane.integrations.resources import LambdaFunction, Pattern
from steplane.integrations.responses import with_metadata
from steplane.integrations.service_errors import invalid_request, optimised_failure
from steplane.jsontypes import compact_json

# Invoke's request fields the optimised integration passes on ("LogType" is outside the
# documented list and accepted by Step Functions).
FIELDS = ("FunctionName", "Payload", "InvocationType", "Qualifier", "ClientContext", "LogType")


def perform(call: Call, ports: Ports) -> Outcome:
    """Invoke the function; its answer, or its error, is the task's."""
    legacy = isinstance(call.target, LambdaFunction)
    request = _request(call)
    if isinstance(request, Failed):
        return request
    try:
        response = ports.invoker().invoke(**request)
    except Exception as error:  # a refused or failed call is the task's error, for Retry
        return optimised_failure("lambda", ports.client("lambda"), error)
    payload = response.get("Payload", b"")
    text = payload.read() if hasattr(payload, "read") else payload
    text = text.decode("utf-8") if isinstance(text, bytes | bytearray) else str(text or "")
    if response.get("FunctionError"):
        return _function_error(text)
    if call.pattern is Pattern.CALLBACK:
        return Submitted()
    parsed = _parsed(text)
    if legacy:
        return Succeeded(parsed)
    body: dict[str, Any] = {
        "ExecutedVersion": response.get("ExecutedVersion", "$LATEST"),
        "Payload": parsed,
        "StatusCode": int(response.get("StatusCode", 200)),
    }
    if "LogResult" in response:
        body["LogResult"] = response["LogResult"]
    return Succeeded(with_metadata(response, body))


def _request(call: Call) -> dict[str, Any] | Failed:
    message = call.message
    key: dict[str, Any] = {
        "steplaneIdempotencyKey": message.idempotency_key,
        "steplaneAttempt": message.attempt,
        "steplaneExecutionId": message.execution_id,
        "steplaneState": message.state,
    }
    if message.deadline is not None:
        key["steplaneDeadline"] = message.deadline.isoformat()
    if isinstance(call.target, LambdaFunction):
        return {
            "FunctionName": call.target.arn,
            "Payload": _payload(call.parameters),
            "ClientContext": _client_context(None, key),
        }
    parameters = call.parameters
    if not isinstance(parameters, dict) or not isinstance(parameters.get("FunctionName"), str):
        return invalid_request(
            "lambda", "lambda:invoke needs Parameters (or Arguments) with FunctionName"
        )
    unknown = sorted(set(parameters) - set(FIELDS))
    if unknown:
        return invalid_request(
            "lambda",
            f"lambda:invoke does not take {', '.join(unknown)} (it takes {', '.join(FIELDS)})",
        )
    request = {k: v for k, v in parameters.items() if k != "Payload"}
    if "Payload" in parameters:
        request["Payload"] = _payload(parameters["Payload"])
    request["ClientContext"] = _client_context(parameters.get("ClientContext"), key)
    return request


def _payload(value: Any) -> bytes:
    """The event the function gets: the JSON value (a string stays a string)."""
    return compact_json(value).encode()


def _client_context(given: Any, task: dict[str, Any]) -> str:
    """The base64 client context the function receives: the given one (base64 JSON, as
    Invoke takes it), with the task's ``custom.steplane*`` fields added."""
    context: dict[str, Any] = {}
    if isinstance(given, str):
        try:
            decoded = json.loads(base64.b64decode(given))
            context = decoded if isinstance(decoded, dict) else {}
        except ValueError:
            return given  # not ours to read: passed on as given
    custom = context.setdefault("custom", {})
    if isinstance(custom, dict):
        for name, value in task.items():
            custom.setdefault(name, value)
    return base64.b64encode(json.dumps(context).encode()).decode("ascii")


def _function_error(text: str) -> Failed:
    """A function error: its ``errorType`` (``Exception`` when it names none), and the
    error document as the cause."""
    parsed = _parsed(text)
    error = parsed.get("errorType") if isinstance(parsed, dict) else None
    return Failed(str(error) if error else "Exception", text)


def _parsed(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
