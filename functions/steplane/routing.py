"""Where messages go: a task route (Service or Resource) to its queue, wake-ups to AdvanceQueue."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from steplane.integrations.resources import is_integration
from steplane.interpreter.decisions import (
    AbortChildren,
    Command,
    DispatchTask,
    NotifyCaller,
    StepLanes,
    StopExecution,
    WakeAt,
    lane_batches,
)
from steplane.limits import MAX_QUEUE_DELAY_SECONDS
from steplane.messages import (
    AbortMessage,
    CallerMessage,
    LanesMessage,
    OutboundMessage,
    StopMessage,
    TaskMessage,
    WakeMessage,
)


@dataclass(frozen=True)
class Routes:
    """Queue URLs the engine sends to."""

    advance_queue_url: str
    default_task_queue_url: str
    task_queue_urls: Mapping[str, str] = field(default_factory=dict)
    task_result_queue_url: str = ""
    start_queue_url: str = ""
    # Tasks the IntegrationFunction performs (Lambda, AWS services, nested executions).
    integration_queue_url: str = ""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> Routes:
        """Read the ``*_QUEUE_URL`` variables and ``TASK_QUEUE_URLS`` (JSON route -> URL)."""
        return cls(
            advance_queue_url=environ["ADVANCE_QUEUE_URL"],
            default_task_queue_url=environ.get("DEFAULT_TASK_QUEUE_URL", ""),
            task_queue_urls=json.loads(environ.get("TASK_QUEUE_URLS") or "{}"),
            task_result_queue_url=environ.get("TASK_RESULT_QUEUE_URL", ""),
            start_queue_url=environ.get("START_QUEUE_URL", ""),
            integration_queue_url=environ.get("INTEGRATION_QUEUE_URL", ""),
        )

    def task_queue(self, route: str, resource: str | None = None) -> str:
        """The queue for a task: the IntegrationQueue for a Resource that calls Lambda or
        a service, else its route's queue; unknown routes go to the default task queue."""
        if self.integration_queue_url and is_integration(resource):
            return self.integration_queue_url
        return self.task_queue_urls.get(route, self.default_task_queue_url)

    def to_messages(
        self, execution_id: str, state: str | None, commands: tuple[Command, ...], now: datetime
    ) -> list[OutboundMessage]:
        """Turn interpreter commands into queue messages."""
        messages: list[OutboundMessage] = []
        for command in commands:
            if isinstance(command, AbortChildren):
                messages.extend(self._aborts(command))
            else:
                messages.append(self._message(execution_id, state or "", command, now))
        return messages

    def _aborts(self, command: AbortChildren) -> list[OutboundMessage]:
        """One message per batch of lanes (decisions.lane_batches)."""
        return [
            OutboundMessage(
                queue_url=self.advance_queue_url,
                body=AbortMessage(
                    parent=command.parent, visit=command.visit, first=first, last=last
                ).to_json(),
            )
            for first, last in lane_batches(command.lanes)
        ]

    def _message(
        self, execution_id: str, state: str, command: Command, now: datetime
    ) -> OutboundMessage:
        if isinstance(command, DispatchTask):
            body = TaskMessage(
                task_token=command.token,
                execution_id=execution_id,
                state=state,
                route=command.route,
                action=command.action,
                resource=command.resource,
                attempt=command.attempt,
                idempotency_key=command.idempotency_key,
                input=command.input,
                deadline=command.deadline,
                role_arn=command.role_arn,
            )
            return OutboundMessage(
                queue_url=self.task_queue(command.route, command.resource),
                body=body.to_json(),
                delay_seconds=min(command.delay_seconds, MAX_QUEUE_DELAY_SECONDS),
            )
        if isinstance(command, StopExecution):
            stop = StopMessage(
                execution_id=command.execution_id,
                cause=command.cause,
                task_token=command.task_token,
            )
            return OutboundMessage(queue_url=self.advance_queue_url, body=stop.to_json())
        if isinstance(command, NotifyCaller):
            ended = CallerMessage(
                task_token=command.task_token, execution_id=execution_id, pattern=command.pattern
            )
            return OutboundMessage(queue_url=self.integration_queue_url, body=ended.to_json())
        if isinstance(command, StepLanes):
            lanes = LanesMessage(
                parent=command.parent,
                visit=command.visit,
                first=command.first,
                last=command.last,
                ended=command.ended,
                read=True if command.read else None,
            )
            return OutboundMessage(queue_url=self.advance_queue_url, body=lanes.to_json())
        assert isinstance(command, WakeAt)
        # A wake-up beyond SQS's 900 s cap arrives early and is re-armed by the interpreter.
        delay = math.ceil(max(0.0, (command.due_at - now).total_seconds()))
        wake = WakeMessage(
            execution_id=execution_id,
            version=command.version,
            purpose=command.purpose,
            due_at=command.due_at,
        )
        return OutboundMessage(
            queue_url=self.advance_queue_url,
            body=wake.to_json(),
            delay_seconds=min(delay, MAX_QUEUE_DELAY_SECONDS),
        )
