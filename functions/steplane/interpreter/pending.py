"""The commands an execution head implies: what must be in flight for it to make progress.

They are derived from the head alone, so the shell never stores an outbox: after a crash
between the commit and the sends, the same commands are derived again from the head.
"""

from __future__ import annotations

import math
from datetime import datetime

from steplane.asl.paths import apply_input_path
from steplane.definition.loader import Definition
from steplane.definition.model import TaskState, WaitState
from steplane.execution import Execution
from steplane.interpreter.decisions import Command, DispatchTask, WakeAt
from steplane.interpreter.signals import WakePurpose
from steplane.interpreter.tokens import TokenClaim, encode_task_token

# SQS caps DelaySeconds at 900; longer delays travel as re-armed wake-ups.
MAX_QUEUE_DELAY_SECONDS = 900


def pending_commands(
    definition: Definition, execution: Execution, now: datetime
) -> tuple[Command, ...]:
    """The messages that must be in flight for ``execution`` to move on from its head."""
    if execution.status.is_terminal or execution.state is None:
        return ()
    state = definition.state(execution.state)
    version = execution.version
    if isinstance(state, WaitState):
        return (WakeAt(execution.due_at or now, WakePurpose.WAIT, version),)
    if not isinstance(state, TaskState):
        return (WakeAt(now, WakePurpose.CONTINUE, version),)
    delay = max(0.0, ((execution.due_at or now) - now).total_seconds())
    if delay > MAX_QUEUE_DELAY_SECONDS:
        # A retry further away than SQS can delay travels as re-armed wake-ups; the
        # attempt's timeout wake-up is sent with the attempt itself, not hop after hop.
        return (WakeAt(execution.due_at or now, WakePurpose.RETRY, version),)
    commands: list[Command] = [dispatch_command(state, execution, math.ceil(delay))]
    if execution.timeout_at is not None:
        commands.append(WakeAt(execution.timeout_at, WakePurpose.TIMEOUT, version))
    return tuple(commands)


def dispatch_command(state: TaskState, execution: Execution, delay_seconds: int) -> DispatchTask:
    """The message that sends the current task attempt to its worker."""
    token = encode_task_token(
        TokenClaim(execution.execution_id, execution.version, execution.task_nonce or "")
    )
    return DispatchTask(
        route=state.route,
        action=state.action_name,
        resource=state.resource,
        token=token,
        input=apply_input_path(execution.data, state.input_path),
        attempt=execution.attempt,
        # Stable across redeliveries and retries of this state visit.
        idempotency_key=f"{execution.execution_id}/{execution.state}/{execution.entered_version}",
        delay_seconds=delay_seconds,
        deadline=execution.timeout_at,
    )
