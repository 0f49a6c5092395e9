"""The worker SDK: register task handlers, run them on task messages, report results.

Two handler shapes are accepted:
- the founding shape, ``fn(task_context)``, registered by ``register_task_handler``; it
  may report with ``complete_task`` / ``fail_task`` or simply return or raise;
- the local-runtime shape, ``fn(task_input, context)``, registered by ``register``.
Raising ``steplane.TaskFailed(error, cause)`` fails with that error and cause, as given;
any other exception fails with its class name as the error and, as Step Functions records
a Lambda function error, the JSON document ``{"errorMessage", "errorType", "stackTrace"}``
as the cause (:mod:`steplane.worker.lambda_error`).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic_core import PydanticSerializationError

from steplane.errors import StatesError, TaskFailed
from steplane.json_input import json_problem
from steplane.limits import MAX_PAYLOAD_BYTES, utf8_size
from steplane.messages import OutboundMessage, TaskMessage, TaskResultMessage
from steplane.ports import Clock, MessageBus, SystemClock
from steplane.worker.context import TaskContext
from steplane.worker.lambda_error import lambda_error_cause

HANDLER_NOT_FOUND = "Steplane.HandlerNotFound"
# A handler returned something that is not JSON: a task failure a Catch can handle.
RESULT_NOT_SERIALISABLE = "Steplane.ResultNotSerializable"
TaskHandler = Callable[[TaskContext], Any]


@dataclass
class _Attempt:
    """Results reported by ``complete_task``/``fail_task`` while a handler runs."""

    reported: dict[str, TaskResultMessage] = field(default_factory=dict)


# The attempt being run in this thread/context: ``complete_task`` called from inside any
# handler (through any client, e.g. the module-level ``workflow_client``) lands here.
_CURRENT_ATTEMPT: ContextVar[_Attempt | None] = ContextVar("steplane_attempt", default=None)


class WorkerClient:
    """Holds task handlers and runs them. One per process is usual (see ``workflow_client``)."""

    def __init__(
        self,
        result_queue_url: str | None = None,
        bus: MessageBus | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._handlers: dict[tuple[str | None, str], TaskHandler] = {}
        self._result_queue_url = result_queue_url
        self._bus = bus
        self.clock: Clock = clock or SystemClock()
        # Called with the moment a handler finished when it ran past its attempt's deadline;
        # the local runtime moves its virtual clock there, so TimeoutSeconds is enforced.
        self.on_overrun: Callable[[datetime], None] | None = None

    # -- registration ----------------------------------------------------------
    def register_task_handler(
        self, action: str, fn: Callable[[TaskContext], Any], service: str | None = None
    ) -> None:
        """Register the founding shape ``fn(task_context)`` for ``action`` (of any service)."""
        self._handlers[(service, action)] = fn

    def register_activity(self, activity: str, fn: Callable[[TaskContext], Any]) -> None:
        """Run ``fn(task_context)`` for the tasks of an activity, named by its name or its
        ARN (``arn:aws:states:REGION:ACCOUNT:activity:NAME``), as an activity worker polls
        GetActivityTask by the activity's ARN."""
        self._handlers[(None, _activity_key(activity))] = fn

    def register(
        self,
        route: str,
        action_or_fn: str | Callable[..., Any],
        fn: Callable[..., Any] | None = None,
    ) -> None:
        """Register ``fn(task_input, context)`` for a Service + Action, or for a Resource.

        ``register("AuthService", "createUser", fn)`` or ``register("arn:...:function:Echo", fn)``.
        """
        if isinstance(action_or_fn, str):
            service: str | None = route
            action, handler = action_or_fn, fn
        else:
            service, action, handler = None, route, action_or_fn
        if handler is None:
            raise TypeError("register() needs a handler function")
        call = handler
        self._handlers[(service, action)] = lambda context: call(context.input, context)

    def handler_for(self, message: TaskMessage) -> TaskHandler | None:
        """The handler for a task: by service and action first, then by action alone."""
        return self._handler(message.route, message.action)

    def handles(self, route: str, action: str) -> bool:
        """Whether a handler is registered for a task of ``route`` and ``action`` (for a
        Lambda function, ``route`` and ``action`` are its name or ARN)."""
        if self._handler(route, action) is not None:
            return True
        return route == action and self.function_key(action) is not None

    def function_key(self, reference: str) -> str | None:
        """The registered Resource that is the Lambda function ``reference`` names (a name,
        a partial or a full ARN, with a qualifier or not), or None."""
        wanted = _FUNCTION.fullmatch(reference)
        if wanted is None:
            return None
        registered = self.resources()
        if reference in registered:
            return reference
        for key in registered:
            found = _FUNCTION.fullmatch(key)
            if found is not None and found["region"] and found["name"] == wanted["name"]:
                return key
        return None

    def resources(self) -> list[str]:
        """The Resources handlers are registered for (not Service + Action)."""
        return [action for service, action in self._handlers if service is None]

    def _handler(self, route: str | None, action: str) -> TaskHandler | None:
        found = self._handlers.get((route, action)) or self._handlers.get((None, action))
        if found is None and ":activity:" in action:
            found = self._handlers.get((None, _activity_key(action)))
        return found

    # -- reporting -------------------------------------------------------------
    def complete_task(self, task_id: str, output: Any = None) -> None:
        """Report success for the task attempt ``task_id`` (its token)."""
        self._report(TaskResultMessage(task_token=task_id, status="SUCCEEDED", output=output))

    def fail_task(self, task_id: str, message: str = "", error: str = "States.TaskFailed") -> None:
        """Report failure: ``error`` is what Retry/Catch match, ``message`` becomes the Cause."""
        self._report(
            TaskResultMessage(task_token=task_id, status="FAILED", error=error, cause=message)
        )

    def heartbeat(self, task_id: str) -> None:
        """Tell the engine the task attempt ``task_id`` is alive, now (SendTaskHeartbeat):
        a Task with HeartbeatSeconds fails with States.HeartbeatTimeout when this is not
        called at least that often."""
        self.send_results([TaskResultMessage(task_token=task_id, status="HEARTBEAT")])

    def _report(self, result: TaskResultMessage) -> None:
        attempt = _CURRENT_ATTEMPT.get()
        if attempt is not None:
            attempt.reported[result.task_token] = result
            return
        # Reported outside a handler (an asynchronous completion): send it now.
        self.send_results([result])

    # -- running ---------------------------------------------------------------
    def run_task(
        self,
        message: TaskMessage,
        context: Callable[[TaskMessage], TaskContext] = TaskContext,
    ) -> TaskResultMessage:
        """Run the handler for one task message and return its result (not yet sent).
        ``context`` makes what the handler gets (the local runtime's Lambda functions get
        a context with Lambda's attributes too)."""
        started = self.clock.now()
        handler = self.handler_for(message)
        if handler is None:
            return TaskResultMessage(
                task_token=message.task_token,
                status="FAILED",
                error=HANDLER_NOT_FOUND,
                cause=f"no handler is registered for {_task_name(message)}",
                started_at=started,
            )
        began = time.monotonic()
        result = _invoke(handler, message, context)
        finished = started + timedelta(seconds=time.monotonic() - began)
        if message.deadline is not None and finished > message.deadline and self.on_overrun:
            # The handler ran past the attempt's TimeoutSeconds: that time really passed.
            self.on_overrun(finished)
        return _deliverable(result.model_copy(update={"started_at": started}))

    def send_results(self, results: list[TaskResultMessage]) -> None:
        """Send results to the engine's TaskResultQueue."""
        bus, queue_url = self._bus_and_queue()
        bus.send([OutboundMessage(queue_url=queue_url, body=r.to_json()) for r in results])

    def configure(
        self,
        result_queue_url: str | None = None,
        bus: MessageBus | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Point the client at a result queue, a bus or a clock (the local runtime does this)."""
        self._result_queue_url = result_queue_url or self._result_queue_url
        self._bus = bus or self._bus
        self.clock = clock or self.clock

    def _bus_and_queue(self, environ: Mapping[str, str] = os.environ) -> tuple[MessageBus, str]:
        if self._bus is None:
            import boto3  # noqa: PLC0415 - only a worker that sends builds a client

            from steplane.adapters.sqs_bus import SqsMessageBus  # noqa: PLC0415

            self._bus = SqsMessageBus(boto3.client("sqs"))
        queue_url = self._result_queue_url or environ.get("TASK_RESULT_QUEUE_URL")
        if not queue_url:
            raise RuntimeError(
                "no result queue: set TASK_RESULT_QUEUE_URL or call configure(result_queue_url=...)"
            )
        return self._bus, queue_url


def _invoke(
    handler: TaskHandler, message: TaskMessage, context: Callable[[TaskMessage], TaskContext]
) -> TaskResultMessage:
    """Call ``handler``; what it reports, returns or raises becomes the attempt's result."""
    attempt = _Attempt()
    reset = _CURRENT_ATTEMPT.set(attempt)
    try:
        returned = handler(context(message))
        return attempt.reported.get(message.task_token) or TaskResultMessage(
            task_token=message.task_token, status="SUCCEEDED", output=returned
        )
    except TaskFailed as failure:
        return TaskResultMessage(
            task_token=message.task_token,
            status="FAILED",
            error=failure.error,
            cause=failure.cause,
        )
    except Exception as error:  # any handler exception fails the task, as Lambda errors do
        return attempt.reported.get(message.task_token) or TaskResultMessage(
            task_token=message.task_token,
            status="FAILED",
            error=type(error).__name__,
            cause=lambda_error_cause(error),
        )
    finally:
        _CURRENT_ATTEMPT.reset(reset)


def _deliverable(result: TaskResultMessage) -> TaskResultMessage:
    """The result, or a failure saying why it cannot be sent (so the task fails, not the batch)."""
    # The same door as every other input: NaN, lone surrogates or a hostile depth would
    # otherwise be sent, then refused by the engine (or silently turned into null).
    problem = json_problem(result.output)
    if problem is not None:
        cause = f"the task result is not JSON-serialisable: {problem}"
        return _failure(result, RESULT_NOT_SERIALISABLE, cause)
    try:
        size = utf8_size(result.to_json())
    except (TypeError, ValueError, PydanticSerializationError) as error:
        cause = f"the task result is not JSON-serialisable: {error}"
        return _failure(result, RESULT_NOT_SERIALISABLE, cause)
    if size > MAX_PAYLOAD_BYTES:
        cause = f"the task result is {size} bytes; the limit is {MAX_PAYLOAD_BYTES} bytes"
        return _failure(result, StatesError.DATA_LIMIT_EXCEEDED.value, cause)
    return result


def _failure(result: TaskResultMessage, error: str, cause: str) -> TaskResultMessage:
    return TaskResultMessage(
        task_token=result.task_token,
        status="FAILED",
        error=error,
        cause=cause,
        started_at=result.started_at,
    )


def _activity_key(activity: str) -> str:
    """How an activity's handler is registered: by its name (an ARN's last part)."""
    return "activity:" + activity.rsplit(":activity:", 1)[-1]


# A Lambda function reference: a name, ACCOUNT:function:NAME, or the function's ARN.
_FUNCTION = re.compile(
    r"(?:arn:[\w-]+:lambda:(?P<region>[\w-]+):(?P<account>\d{12}):function:|"
    r"(?P<short>\d{12}):function:)?(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[\w$-]+))?"
)


def _task_name(message: TaskMessage) -> str:
    """How to name a task's route in a message: its Resource, or its Service and Action."""
    if message.resource:
        return f"resource {message.resource!r}"
    return f"service {message.route!r} action {message.action!r}"
