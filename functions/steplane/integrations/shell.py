"""The IntegrationFunction's shell: make an integration task's call, then record its
outcome through the engine's task-result path, in the same invocation.

The attempt's token decides, as for a worker's result: a copy of a task message whose
attempt has closed makes no call; a copy of one whose result was committed re-sends what
that commit implied; a late or repeated outcome changes nothing. The call and the record
are not atomic: a crash between them redelivers the message and the call is made again
(each integration module says what a repeat does). A ``.waitForTaskToken`` call is
marked on the head once made (not a transition: its token must stay valid), so a re-sent
dispatch does not call again.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from steplane.errors import ExecutionNotFoundError, StatesError, TaskClosedError
from steplane.execution import Caller, Execution, ExecutionStatus
from steplane.handlers.observability import logger
from steplane.integrations.calls import (
    Call,
    Failed,
    Outcome,
    Perform,
    Ports,
    Running,
    Submitted,
    Succeeded,
)
from steplane.integrations.resources import LambdaFunction, Pattern, ServiceCall, classify
from steplane.interpreter.tokens import decode_task_token
from steplane.jsontypes import Json, compact_json
from steplane.limits import MAX_PAYLOAD_BYTES, utf8_size
from steplane.messages import CallerMessage, StartRequest, TaskMessage, TaskResultMessage
from steplane.ports import ExecutionStore
from steplane.service import Delivery, Engine
from steplane.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Callable


def perform_call(message: TaskMessage, ports: Ports) -> Outcome:
    """Make the call ``message``'s Resource names, through the module that performs it."""
    target = classify(message.resource)
    if not isinstance(target, ServiceCall | LambdaFunction):
        return Failed(
            StatesError.RUNTIME.value, f"{message.resource!r} is not a service integration"
        )
    module = target.offer.module if isinstance(target, ServiceCall) else "lambda_invoke"
    perform: Perform = importlib.import_module(f"steplane.integrations.{module}").perform
    return perform(Call(target, message.input, message), ports)


# How long one invocation holds an attempt's call: the IntegrationFunction's Timeout
# (template.yaml, 900 s), counted from the claim, which comes after the invocation began:
# no copy of the task, nor a re-sent dispatch, calls while the call may still run. It is
# also SQS's longest delay, so a copy sent back when it found the claim live returns
# once the claim has run out.
CLAIM_SECONDS = 900


class IntegrationShell:
    """Performs integration tasks and reports nested executions' ends.

    ``hand_over``: sends a result to the TaskResultQueue, for when recording it here
    fails after the call was made (the call is not made again for that). ``look_again``:
    sends the task message back to IntegrationQueue after a delay (seconds, capped by
    SQS at 900).
    """

    def __init__(
        self,
        engine: Engine,
        store: ExecutionStore,
        ports: Ports,
        hand_over: Callable[[TaskResultMessage], None],
        look_again: Callable[[TaskMessage, int], None],
    ) -> None:
        self._engine = engine
        self._store = store
        self._ports = ports
        self._hand_over = hand_over
        self._look_again = look_again

    def perform(self, message: TaskMessage, delivery: Delivery) -> str:
        """Make the call for the attempt ``message`` names, if it is still open."""
        head = self._open(message.task_token)
        if head is None:
            # Closed: a late copy (no call), or this very message's result was committed
            # and its sends may be lost: the engine ignores it, or re-sends them.
            return self._engine.task_result(_closed(message.task_token), delivery).value
        attempt = head.task_attempt
        if attempt is not None and attempt.submitted:
            return "submitted-before"  # the callback's call was made; it waits for its token
        ports = self._ports_for(message)
        started = self._ports.now()
        if isinstance(ports, Failed):
            return self._record(message.task_token, ports, delivery, started)
        if not self._store.claim_call(head, started + timedelta(seconds=CLAIM_SECONDS), started):
            # Another invocation makes (or made) the call. If it dies before recording, its
            # claim runs out: this message comes back then, rather than wait for a sweep.
            self._look_again(message, CLAIM_SECONDS)
            return "claimed"
        outcome = perform_call(message, ports)
        if isinstance(outcome, Submitted):
            self._store.record_submitted(head)
            return "submitted"
        if isinstance(outcome, Running):
            return "running"
        return self._record(message.task_token, outcome, delivery, started)

    def _ports_for(self, message: TaskMessage) -> Ports | Failed:
        """The ports to call with, their role assumed now, before the call is claimed: the
        stack's call role, or the one the state's Credentials name. A role STS refuses is
        the task's error (States.Permissions); STS throttling or an outage is raised, so
        the message is delivered again with no claim held."""
        role = message.role_arn
        try:
            ports = (
                self._ports if role is None else self._ports.as_role(role, "steplane-credentials")
            )
            ports.client("sts")  # a role is assumed on first use: here, so a refusal shows now
        except Exception as error:
            if not _refused(error):
                raise
            named = f"the role {role} (Credentials)" if role else "the integrations' call role"
            return Failed(StatesError.PERMISSIONS.value, f"could not assume {named}: {error}")
        return ports

    def report_child(self, message: CallerMessage, delivery: Delivery) -> str:
        """A nested execution ended: report how to the parent task waiting on it."""
        from steplane.integrations.start_execution import ended  # noqa: PLC0415

        child = self._ports.executions.describe(message.execution_id)
        if child.get("caller") != message.task_token:
            return "ignored"
        outcome = ended(child, Pattern(message.pattern))
        if outcome is None:
            return "running"
        return self._record(message.task_token, outcome, delivery, None)

    def _open(self, token: str) -> Execution | None:
        """The head, when the attempt ``token`` names is still open (see
        ``Engine.open_attempt``); None when it has closed or names no execution."""
        try:
            return self._engine.open_attempt(token)
        except (ExecutionNotFoundError, TaskClosedError):
            return None

    def _record(
        self, token: str, outcome: Outcome, delivery: Delivery, started: datetime | None
    ) -> str:
        if isinstance(outcome, Succeeded):
            size = utf8_size(compact_json(outcome.output))
            if size > MAX_PAYLOAD_BYTES:
                outcome = Failed(
                    StatesError.DATA_LIMIT_EXCEEDED.value,
                    f"the integration's output is {size} bytes; the limit is "
                    f"{MAX_PAYLOAD_BYTES} bytes",
                )
        if isinstance(outcome, Succeeded):
            result = TaskResultMessage(
                task_token=token, status="SUCCEEDED", output=outcome.output, started_at=started
            )
        else:
            assert isinstance(outcome, Failed)
            result = TaskResultMessage(
                task_token=token,
                status="FAILED",
                error=outcome.error,
                cause=outcome.cause,
                started_at=started,
            )
        try:
            return self._engine.task_result(result, delivery).value
        except Exception:  # the call was made: never call again to record its result
            logger.exception("recording an integration's result failed")
            execution_id = decode_task_token(token).execution_id
            head = self._store.get_head(execution_id)
            if head is not None and head.decision_id == delivery.decision_id:
                # It was committed (only its answer was lost): send what it implies.
                return self._engine.task_result(result, replace(delivery, redelivered=True)).value
            self._hand_over(result)  # TaskComplete records it
            return "handed-over"


def _refused(error: Exception) -> bool:
    """Whether STS answered with a refusal (not throttling, not a 5xx, not no answer)."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
    return status < 500 and "Throttl" not in code


def _closed(token: str) -> TaskResultMessage:
    """A result the engine will not apply to an open attempt (it is only ever handed over
    for one that closed, or whose result this delivery already committed)."""
    return TaskResultMessage(
        task_token=token,
        status="FAILED",
        error=StatesError.RUNTIME.value,
        cause="the attempt closed before its call was made",
    )


class EngineExecutions:
    """Nested executions on this engine (``states:startExecution``)."""

    def __init__(self, engine: Engine, store: ExecutionStore, settings: Settings) -> None:
        self._engine = engine
        self._store = store
        self._settings = settings

    def start(
        self, workflow: str, name: str, input: Json, caller: tuple[str, Pattern] | None
    ) -> dict[str, Any]:
        """Start (or find) the execution; its description."""
        link = Caller(caller[0], caller[1].value) if caller is not None else None
        request = StartRequest(workflow=workflow, input=input, name=name)
        head, _ = self._engine.start(request, caller=link)
        return self._described(head, input)

    def describe(self, execution_id: str) -> dict[str, Any]:
        """The execution's description (its input read from its history)."""
        head = self._store.get_head(execution_id)
        if head is None:
            return {"caller": None, "status": "RUNNING"}
        return self._described(head, self._store.execution_input(head))

    def _described(self, head: Execution, input: Json) -> dict[str, Any]:
        settings = self._settings
        return {
            "executionId": head.execution_id,
            "executionArn": settings.execution_arn(head.workflow, head.name),
            "stateMachineArn": settings.state_machine_arn(head.workflow),
            "name": head.name,
            "status": head.status.value,
            "input": input,
            "output": head.data if head.status is ExecutionStatus.SUCCEEDED else None,
            "error": head.error,
            "cause": head.cause,
            "startDate": head.start_date.isoformat(),
            "stopDate": head.stop_date.isoformat() if head.stop_date else None,
            "caller": head.caller.task_token if head.caller else None,
        }
