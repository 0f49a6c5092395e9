"""The commands an execution head implies: what must be in flight for it to make progress.

They are derived from the head alone, so the shell never stores an outbox: after a crash
between the commit and the sends, the same commands are derived again from the head. What
each state implies is its lifecycle's ``pending`` (``steplane.states``).
"""

from __future__ import annotations

from datetime import datetime

from steplane.definition.loader import Definition
from steplane.execution import Execution
from steplane.interpreter.decisions import Command, WakeAt
from steplane.interpreter.signals import WakePurpose
from steplane.settings import DEFAULT_SETTINGS, Settings
from steplane.states import parked_in


def pending_commands(
    definition: Definition,
    execution: Execution,
    now: datetime,
    settings: Settings = DEFAULT_SETTINGS,
) -> tuple[Command, ...]:
    """The messages that must be in flight for ``execution`` to move on from its head."""
    if execution.status.is_terminal or execution.state is None:
        return ()
    state = definition.state(execution.state)
    commands = parked_in(state, execution).pending(state, execution, now, settings)
    deadline = deadline_wake(execution)
    if deadline is not None and now >= deadline.due_at:
        # The execution's own timeout is due: its wake-up (sent at the start, and lost if
        # the execution is still running) is what moves it now.
        commands = (*commands, deadline)
    return commands


def deadline_wake(execution: Execution) -> WakeAt | None:
    """The wake-up of the execution's own timeout (top-level TimeoutSeconds), if it has one.

    It names the head's version, but applies at any version (see ``decide``).
    """
    if execution.deadline is None:
        return None
    return WakeAt(execution.deadline, WakePurpose.EXECUTION_TIMEOUT, execution.version)
