"""Which execution a ``states:startExecution`` task starts: its workflow and its name,
from the task's parameters alone (pure: the interpreter stops the child it leaves)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from steplane.names import execution_id

_NAMESPACE = uuid.UUID("6f1c5a8e-3b0e-4d4b-9a57-0d1b7f3c2e91")


def workflow_of(state_machine_arn: Any) -> str | None:
    """``arn:aws:states:REGION:ACCOUNT:stateMachine:WORKFLOW`` -> ``WORKFLOW`` (None: not
    a state machine's ARN; a version or alias is not supported yet)."""
    parts = state_machine_arn.split(":") if isinstance(state_machine_arn, str) else []
    if len(parts) == 7 and parts[0] == "arn" and parts[5] == "stateMachine" and parts[6]:
        return parts[6]
    return None


def child_name(parameters: Mapping[str, Any], idempotency_key: str, attempt: int) -> Any:
    """The name given (``Name``), else one derived from the task's idempotency key and
    attempt: a repeat of one attempt finds the child it started, a Retry starts another."""
    if "Name" in parameters:
        return parameters["Name"]
    return str(uuid.uuid5(_NAMESPACE, f"{idempotency_key}#{attempt}"))


def child_id(parameters: Any, idempotency_key: str, attempt: int) -> str | None:
    """The id of the execution the task starts (None: its parameters name none)."""
    if not isinstance(parameters, Mapping):
        return None
    workflow = workflow_of(parameters.get("StateMachineArn"))
    name = child_name(parameters, idempotency_key, attempt)
    if workflow is None or not isinstance(name, str):
        return None
    return execution_id(workflow, name)
