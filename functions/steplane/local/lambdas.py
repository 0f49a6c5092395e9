"""Lambda functions on the local runtime: the Python callables registered by function
ARN (``rt.register(arn, fn)``), invoked as Lambda invokes a function.

``fn(event, context)`` gets the payload as its event and a context with Lambda's
attributes (``function_name``, ``invoked_function_arn``, ``aws_request_id``,
``client_context``, ``get_remaining_time_in_millis()``) besides the task's
(``attempt``, ``idempotency_key``, ``task_token``). What it returns is the payload; what it
raises is a function error, its document ``{"errorMessage", "errorType", "stackTrace"}``
as Lambda's Python runtime writes it. A function nobody registered is Lambda's 404
``ResourceNotFoundException`` ("Function not found: ...").
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from steplane.messages import TaskMessage
from steplane.settings import Settings
from steplane.worker.client import WorkerClient
from steplane.worker.context import TaskContext

_FUNCTION = re.compile(
    r"(?:arn:[\w-]+:lambda:(?P<region>[\w-]+):(?P<account>\d{12}):function:|"
    r"(?P<short>\d{12}):function:)?(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[\w$-]+))?"
)


class LambdaContext(TaskContext):
    """A task's context with the attributes of Lambda's context object."""

    def __init__(
        self,
        message: TaskMessage,
        function_arn: str,
        client_context: Any,
        deadline: datetime | None,
        now: datetime,
    ) -> None:
        super().__init__(message)
        self.invoked_function_arn = function_arn
        self.function_name = function_arn.split(":")[6]
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 128
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self.identity = None
        self.client_context = client_context
        self._ends = deadline
        self._now = now

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the task's deadline (900 s without one)."""
        if self._ends is None:
            return 900_000
        return max(0, int((self._ends - self._now).total_seconds() * 1000))


class LocalLambdas:
    """Lambda's Invoke over a WorkerClient's registered functions."""

    def __init__(self, worker: WorkerClient, settings: Settings) -> None:
        self._worker = worker
        self._settings = settings

    def invoke(self, **request: Any) -> dict[str, Any]:
        """Lambda's Invoke: the function's payload, or its error (``FunctionError``)."""
        reference = str(request.get("FunctionName", ""))
        key = self._worker.function_key(reference)
        if key is None:
            raise _not_found(self._full_arn(reference))
        payload = request.get("Payload") or b""
        context = _client_context(request.get("ClientContext"))
        message = _task_of(context, json.loads(payload) if payload else {}, key)
        arn = self._full_arn(key)
        now = self._worker.clock.now()
        result = self._worker.run_task(
            message,
            context=lambda m: LambdaContext(m, arn, context, m.deadline, now),
        )
        version = str(request.get("Qualifier") or "$LATEST")
        answer: dict[str, Any] = {
            "StatusCode": 200,
            "ExecutedVersion": version,
            "ResponseMetadata": _metadata(version),
        }
        if request.get("InvocationType") == "Event":
            return {**answer, "StatusCode": 202, "Payload": b""}
        if result.status == "SUCCEEDED":
            return {**answer, "Payload": json.dumps(result.output).encode()}
        return {**answer, "FunctionError": "Unhandled", "Payload": _error_document(result)}

    def _full_arn(self, reference: str) -> str:
        found = _FUNCTION.fullmatch(reference)
        if found is None or reference.startswith("arn:"):
            return reference
        settings = self._settings
        return (
            f"arn:{settings.partition}:lambda:{settings.region}:{settings.account_id}"
            f":function:{found.group('name')}"
        )


def _task_of(context: Any, event: Any, key: str) -> TaskMessage:
    """The task the invoke performs, from the ``custom.steplane*`` client context."""
    custom = context.get("custom") if isinstance(context, dict) else None
    task = custom if isinstance(custom, dict) else {}
    deadline = task.get("steplaneDeadline")
    return TaskMessage(
        task_token="",
        execution_id=str(task.get("steplaneExecutionId", "")),
        state=str(task.get("steplaneState", "")),
        route=key,
        action=key,
        resource=key,
        attempt=int(task.get("steplaneAttempt", 1)),
        idempotency_key=str(task.get("steplaneIdempotencyKey", "")),
        input=event,
        deadline=datetime.fromisoformat(deadline) if isinstance(deadline, str) else None,
    )


def _error_document(result: Any) -> bytes:
    """The function error's document: the handler's exception as Lambda's Python runtime
    writes it (the worker SDK already made it), or ``TaskFailed(error, cause)``'s."""
    cause = result.cause or ""
    try:
        document = json.loads(cause)
    except ValueError:
        document = None
    if not (isinstance(document, dict) and "errorType" in document):
        document = {"errorMessage": cause, "errorType": result.error}
    return json.dumps(document).encode()


def _client_context(encoded: Any) -> Any:
    if not isinstance(encoded, str):
        return None
    try:
        return json.loads(base64.b64decode(encoded))
    except ValueError:
        return None


def _metadata(version: str) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    return {
        "RequestId": request_id,
        "HTTPStatusCode": 200,
        "HTTPHeaders": {
            "content-type": "application/json",
            "x-amz-executed-version": version,
            "x-amzn-requestid": request_id,
        },
    }


def _not_found(arn: str) -> ClientError:
    request_id = str(uuid.uuid4())
    return ClientError(
        {
            "Error": {"Code": "ResourceNotFoundException", "Message": f"Function not found: {arn}"},
            "ResponseMetadata": {"HTTPStatusCode": 404, "RequestId": request_id},
        },
        "Invoke",
    )
