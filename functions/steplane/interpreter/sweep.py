"""When an execution's expected progress is overdue: the sweeper's schedule, as pure functions.

Every running head implies messages in flight (a task, a timer). If one is lost (a send
that failed until its input was dead-lettered, a starter that died after its commit) the
execution would wait for ever. The head therefore says by when something must have
happened; the sweeper finds heads past that moment and re-sends what they imply.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from steplane.definition.loader import Definition
from steplane.execution import Execution
from steplane.settings import Settings
from steplane.states import parked_in
from steplane.states.lifecycle import doubling_gap


def sweep_due(definition: Definition, execution: Execution, settings: Settings) -> datetime | None:
    """The moment ``execution`` (just committed) is overdue if its head has not moved.

    Each state type says (its lifecycle's ``overdue_at``): a Wait's end plus the grace; a
    Task's dispatch plus the task lease, or its timeout plus the grace if that comes
    first; a long Pass/Choice chain that yielded, the commit plus the grace.
    """
    if execution.status.is_terminal or execution.state is None or execution.updated_at is None:
        return None
    state = definition.state(execution.state)
    due = parked_in(state, execution).overdue_at(state, execution, settings)
    if execution.deadline is not None:
        due = min(due, execution.deadline + timedelta(seconds=settings.sweep_grace_seconds))
    return due


def next_sweep(
    definition: Definition | None, execution: Execution, now: datetime, settings: Settings
) -> datetime:
    """When to look again after re-sending at ``now``: the state's gap after this many
    re-sends (a task's doubles each time, up to the cap). A sweep that failed
    (``definition`` None: it may not even load) backs off from the task lease, the longer
    base.
    """
    if definition is None or execution.state is None:
        gap = doubling_gap(settings.task_lease_seconds, execution.sweep_count, settings)
    else:
        state = definition.state(execution.state)
        gap = parked_in(state, execution).resend_gap_seconds(settings, execution.sweep_count)
    return now + timedelta(seconds=gap)
