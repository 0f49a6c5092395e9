"""When an execution's expected progress is overdue: the sweeper's schedule, as pure functions.

Every running head implies messages in flight (a task, a timer). If one is lost (a send
that failed until its input was dead-lettered, a starter that died after its commit) the
execution would wait for ever. The head therefore says by when something must have
happened; the sweeper finds heads past that moment and re-sends what they imply.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from steplane.definition.loader import Definition
from steplane.definition.model import TaskState, WaitState
from steplane.execution import Execution
from steplane.settings import Settings


def sweep_due(definition: Definition, execution: Execution, settings: Settings) -> datetime | None:
    """The moment ``execution`` (just committed) is overdue if its head has not moved.

    - a Wait: its end, plus the grace;
    - a Task: its dispatch (now, or when a retry delay ends) plus the task lease, or its
      timeout plus the grace if that comes first. The lease is how a lost task message is
      noticed, so a task running longer than the lease is dispatched again (same token and
      idempotency key: workers already get SQS's at-least-once delivery); waiting for its
      timeout instead would fail an attempt that never ran;
    - anything else (a long Pass/Choice chain that yielded): the commit plus the grace.
    """
    if execution.status.is_terminal or execution.state is None or execution.updated_at is None:
        return None
    state = definition.state(execution.state)
    grace = timedelta(seconds=settings.sweep_grace_seconds)
    if isinstance(state, WaitState):
        return (execution.due_at or execution.updated_at) + grace
    if isinstance(state, TaskState):
        dispatched = max(execution.due_at or execution.updated_at, execution.updated_at)
        due = dispatched + timedelta(seconds=settings.task_lease_seconds)
        if execution.timeout_at is not None:
            due = min(due, execution.timeout_at + grace)
        return due
    return execution.updated_at + grace


def next_sweep(
    definition: Definition | None, execution: Execution, now: datetime, settings: Settings
) -> datetime:
    """When to look again after re-sending at ``now``: doubling gaps, up to the cap.

    A task may legitimately run longer than its lease (a callback a person answers), so
    each re-send waits twice as long as the one before. A sweep that failed (``definition``
    None: it may not even load) backs off from the task lease, the longer base.
    """
    if definition is None or execution.state is None:
        is_task = definition is None
    else:
        is_task = isinstance(definition.state(execution.state), TaskState)
    base = settings.task_lease_seconds if is_task else settings.sweep_grace_seconds
    gap = min(base * 2 ** min(execution.sweep_count, 32), settings.sweep_max_backoff_seconds)
    return now + timedelta(seconds=gap)
