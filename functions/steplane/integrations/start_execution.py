"""Step Functions: ``arn:aws:states:::states:startExecution`` (request-response,
``.sync``, ``.sync:2``, ``.waitForTaskToken``): a nested steplane execution.

- ``StateMachineArn`` names the workflow (``...:stateMachine:{workflow}``), ``Input`` its
  input (an object, or JSON text), ``Name`` the execution's name.
- Request-response answers StartExecution's ``{ExecutionArn, StartDate}`` with the HTTP
  metadata. ``.sync`` and ``.sync:2`` wait for the child: "Both will wait for the nested
  state machine to complete, but they return different Output formats" (``.sync``: a
  String, ``.sync:2``: JSON), as DescribeExecution describes the child. A child that does
  not succeed fails the task with ``States.TaskFailed`` ("If a nested state machine throws
  a States.Timeout, the parent will receive a States.TaskedFailed error"), its
  description as the cause.
- Errors: ``StepFunctions.StateMachineDoesNotExistException``,
  ``StepFunctions.ExecutionAlreadyExistsException``, ``StepFunctions.InvalidNameException``,
  ``StepFunctions.InvalidExecutionInputException``.

Repeat-safety: StartExecution is idempotent by name ("if you call StartExecution with the
same name and input as a running execution, the call succeeds"). A child given no
``Name`` is named from the task's idempotency key and attempt, so a repeated call finds
the child it started, and a Retry starts a new one. A ``.sync`` child names its parent's
waiting attempt (its token): its end is reported to it, and a repeat of the parent's call
(its task lease) finds a child that ended and reports that end, so a lost report heals.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from steplane.errors import SteplaneError
from steplane.integrations.calls import (
    Call,
    Failed,
    Outcome,
    Ports,
    Running,
    Submitted,
    Succeeded,
)
from steplane.integrations.nested import child_name, workflow_of
from steplane.integrations.resources import Pattern
from steplane.jsontypes import Json, compact_json

_SERVICE = (
    "(Service: AWSStepFunctions; Status Code: 400; Error Code: {code}; Request ID: {rid}; "
    "Proxy: null)"
)


def perform(call: Call, ports: Ports) -> Outcome:
    """Start (or find) the child; answer at once, or when it ends."""
    if not isinstance(call.parameters, dict):
        return _refused(
            "ValidationException",
            "states:startExecution needs Parameters (or Arguments): an object with StateMachineArn",
        )
    parameters = call.parameters
    workflow = workflow_of(parameters.get("StateMachineArn"))
    if workflow is None:
        return _invalid_arn(parameters.get("StateMachineArn"))
    child_input = _input(parameters.get("Input", {}))
    if isinstance(child_input, Failed):
        return child_input
    name = child_name(parameters, call.message.idempotency_key, call.message.attempt)
    if not isinstance(name, str):
        return _refused("InvalidName", f"Name must be a string, got {json.dumps(name)}")
    sync = call.pattern in (Pattern.SYNC, Pattern.SYNC_2)
    caller = (call.message.task_token, call.pattern) if sync else None
    try:
        child = ports.executions.start(workflow, name, child_input, caller)
    except SteplaneError as error:
        if error.retryable:
            raise  # a concurrent start of this name is committing: redelivery finds it
        code = {"PayloadTooLarge": "InvalidExecutionInput"}.get(error.api_error, error.api_error)
        return _refused(code, str(error))
    if sync and child.get("caller") != call.message.task_token:
        # The name belongs to an execution this attempt did not start.
        message = f"Execution Already Exists: '{child['executionArn']}'"
        return _refused("ExecutionAlreadyExists", message)
    if call.pattern is Pattern.CALLBACK:
        return Submitted()
    if not sync:
        return Succeeded(_started(child))
    return ended(child, call.pattern) or Running()


def ended(child: dict[str, Any], pattern: Pattern) -> Outcome | None:
    """How a ``.sync`` child's end answers its parent's task (None: still running)."""
    status = child["status"]
    if status == "RUNNING":
        return None
    description = describe(child, pattern)
    if status == "SUCCEEDED":
        return Succeeded(description)
    return Failed("States.TaskFailed", json.dumps(description, separators=(",", ":")))


def describe(child: dict[str, Any], pattern: Pattern) -> dict[str, Any]:
    """The child as DescribeExecution describes it (PascalCase, dates in epoch
    milliseconds); ``.sync:2`` gives Input and Output as JSON, ``.sync`` as strings."""
    as_json = pattern is Pattern.SYNC_2
    described: dict[str, Any] = {
        "ExecutionArn": child["executionArn"],
        "Input": child["input"] if as_json else compact_json(child["input"]),
        "InputDetails": {"Included": True},
        "Name": child["name"],
        "StartDate": _millis(child["startDate"]),
        "StateMachineArn": child["stateMachineArn"],
        "Status": child["status"],
    }
    if child["status"] == "SUCCEEDED":
        output = child.get("output")
        described["Output"] = output if as_json else compact_json(output)
        described["OutputDetails"] = {"Included": True}
    else:
        described.update({"Error": child.get("error"), "Cause": child.get("cause")})
        described = {k: v for k, v in described.items() if v is not None}
    if child.get("stopDate") is not None:
        described["StopDate"] = _millis(child["stopDate"])
    return described


def _started(child: dict[str, Any]) -> dict[str, Any]:
    return {
        "ExecutionArn": child["executionArn"],
        "StartDate": _millis(child["startDate"]),
        "SdkHttpMetadata": {
            "AllHttpHeaders": {"Content-Type": ["application/x-amz-json-1.0"]},
            "HttpHeaders": {"Content-Type": "application/x-amz-json-1.0"},
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": str(uuid.uuid4())},
    }


def _invalid_arn(arn: Any) -> Failed:
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) == 8 and parts[5] == "stateMachine":
        return _refused(
            "InvalidArn", f"{arn}: versions and aliases of a state machine are not supported yet"
        )
    return _refused("InvalidArn", f"Invalid Arn: 'StateMachineArn' {json.dumps(arn)}")


def _input(given: Json) -> Json | Failed:
    if not isinstance(given, str):
        return given
    try:
        parsed: Json = json.loads(given)
    except ValueError as error:
        return _refused("InvalidExecutionInput", f"Invalid State Machine Execution Input: {error}")
    return parsed


def _refused(code: str, message: str) -> Failed:
    name = code if code.endswith("Exception") else f"{code}Exception"
    cause = f"{message} {_SERVICE.format(code=code, rid=uuid.uuid4())}"
    return Failed(f"StepFunctions.{name}", cause)


def _millis(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp).timestamp() * 1000)
